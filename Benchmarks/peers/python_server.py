"""The Python peer for the transport benchmark: grpcio with raw-bytes methods
/bench.Bench/Unary and /bench.Bench/Stream (echo). Prints "READY <port>"."""

import sys
from concurrent import futures

import grpc


def unary(request, context):
    return request


def stream(request_iterator, context):
    for message in request_iterator:
        yield message


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.stream_stream_rpc_method_handler(stream),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("bench.Bench", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"READY {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
