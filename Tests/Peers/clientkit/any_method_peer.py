"""A server that answers every method of the interface standard, for testing
the generated clients: each call is printed, and its behaviour is chosen by
the request metadata.

Every unary call answers an empty message (a valid message of every type).
A server-streaming call answers two empty messages; a streaming call one
empty message per request.

Request metadata:
  x-want-status: "<code>:<message>"  ends the call with that status and the
                                     trailer x-detail: detail
  x-want-sleep: "<seconds>"          waits that long first; prints
                                     "STARTED <path>" and, if the client
                                     cancels meanwhile, "CANCELLED <path>"

Prints "READY <port>", then "CALL <path> auth=<authorization or ->
deadline=<yes|no>" for every call.
"""

import sys
import threading
from concurrent import futures

import grpc

from common import say

CODES = {code.value[0]: code for code in grpc.StatusCode}


def behave(path, context):
    metadata = dict(context.invocation_metadata())
    # grpcio reports a call without a deadline as one with centuries left.
    remaining = context.time_remaining()
    deadline = "yes" if remaining is not None and remaining < 10 * 365 * 86400 else "no"
    say(f"CALL {path} auth={metadata.get('authorization', '-')} deadline={deadline}")
    if "x-want-sleep" in metadata:
        done = threading.Event()
        context.add_callback(done.set)
        say(f"STARTED {path}")
        done.wait(float(metadata["x-want-sleep"]))
        if not context.is_active():
            say(f"CANCELLED {path}")
            return
    if "x-want-status" in metadata:
        code, _, message = metadata["x-want-status"].partition(":")
        context.set_trailing_metadata((("x-detail", "detail"),))
        context.abort(CODES[int(code)], message)


class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        path = details.method

        def unary(request, context):
            behave(path, context)
            return b""

        def server_stream(request, context):
            behave(path, context)
            yield b""
            yield b""

        def bidi(requests, context):
            behave(path, context)
            for _ in requests:
                yield b""

        if path.endswith("/Watch") or path.endswith("/WatchAlerts"):
            return grpc.unary_stream_rpc_method_handler(server_stream)
        if path.endswith("/ReportEvents") or path.endswith("/Forward"):
            return grpc.stream_stream_rpc_method_handler(bidi)
        return grpc.unary_unary_rpc_method_handler(unary)


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((Handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    say(f"READY {port}")
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
