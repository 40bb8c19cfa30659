print("monitord")
