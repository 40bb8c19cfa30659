print("TransportBench")
