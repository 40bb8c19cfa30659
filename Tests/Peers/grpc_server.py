"""A grpcio server with raw-bytes methods under /test.Echo/, the independent peer the
transport's client is tested against.

Prints "READY <port>" once listening on 127.0.0.1, then one line per observed event
("CANCELLED <method>") so tests can see what the server saw.
"""

import sys
import threading
import time

import grpc
from concurrent import futures

CODES = {code.value[0]: code for code in grpc.StatusCode}


def say(line):
    print(line, flush=True)


def echo_metadata(context):
    head = [(k, v) for k, v in context.invocation_metadata() if k.startswith("x-echo")]
    tail = [(k, v) for k, v in context.invocation_metadata() if k.startswith("x-trailer")]
    context.send_initial_metadata(head)
    context.set_trailing_metadata(tail)


def unary(request, context):
    echo_metadata(context)
    return request


def fail(request, context):
    code, _, message = request.decode().partition(":")
    context.set_trailing_metadata([("x-detail-bin", b"\x00\x01\x02\xff")])
    context.abort(CODES[int(code)], message)


def server_stream(request, context):
    for index in range(int(request.decode() or "0")):
        yield str(index).encode()


def client_stream(request_iterator, context):
    total = 0
    count = 0
    for message in request_iterator:
        total += len(message)
        count += 1
    return f"{total}/{count}".encode()


def bidi(request_iterator, context):
    for message in request_iterator:
        yield message


def size(request, context):
    return b"a" * int(request.decode())


def sleep(request, context):
    # The request names the call, so tests sharing this server can tell calls apart.
    tag = request.decode() or "untagged"
    done = threading.Event()
    context.add_callback(done.set)
    say(f"STARTED {tag}")
    done.wait(600)
    if not context.is_active():
        say(f"CANCELLED {tag}")
    return b""


def cancel_me(request, context):
    # Ends the call from the server's side while the client still waits.
    context.cancel()
    return b""


def metadata_dump(request, context):
    # Answers with the request metadata, one "key=value" line each, in order.
    lines = []
    for key, value in context.invocation_metadata():
        if isinstance(value, bytes):
            value = value.hex()
        lines.append(f"{key}={value}")
    return "\n".join(lines).encode()


def timeout_left(request, context):
    return f"{context.time_remaining():.3f}".encode()


HANDLERS = {
    "Unary": grpc.unary_unary_rpc_method_handler(unary),
    "Fail": grpc.unary_unary_rpc_method_handler(fail),
    "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
    "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
    "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    "Size": grpc.unary_unary_rpc_method_handler(size),
    "Sleep": grpc.unary_unary_rpc_method_handler(sleep),
    "CancelMe": grpc.unary_unary_rpc_method_handler(cancel_me),
    "Metadata": grpc.unary_unary_rpc_method_handler(metadata_dump),
    "TimeoutLeft": grpc.unary_unary_rpc_method_handler(timeout_left),
}


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("test.Echo", HANDLERS),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    say(f"READY {port}")
    # Ends when the test closes our stdin or kills us.
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
