"""A grpcio client that runs one scenario against a server and prints what it saw as
one JSON object per call, the independent peer the transport's server is tested
against.

Usage: grpc_client.py PORT SCENARIO
"""

import json
import sys
import threading
import time

import grpc


def describe(call_result=None, error=None, **extra):
    out = dict(extra)
    if error is not None:
        out["code"] = error.code().name
        out["message"] = error.details()
        out["trailing"] = metadata_dict(error.trailing_metadata())
    return out


def metadata_dict(metadata):
    out = {}
    for key, value in metadata or ():
        if isinstance(value, bytes):
            value = "hex:" + value.hex()
        out.setdefault(key, []).append(value)
    return out


def emit(**fields):
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def main():
    port, scenario = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)

    def unary(name):
        return channel.unary_unary(f"/test.Echo/{name}")

    if scenario == "unary":
        metadata = [("x-echo-source", "county"), ("x-echo-key-bin", b"\x00\xff\x10"),
                    ("x-trailer-note", "done")]
        reply, call = unary("Unary").with_call("受理".encode(), metadata=metadata, timeout=5)
        emit(reply=reply.decode(), code=call.code().name,
             initial=metadata_dict(call.initial_metadata()),
             trailing=metadata_dict(call.trailing_metadata()))

    elif scenario == "statuses":
        for code in range(1, 17):
            message = f"审批超期 100% (code {code})"
            try:
                unary("Fail")(f"{code}:{message}".encode(), timeout=5)
                emit(code="OK")
            except grpc.RpcError as error:
                emit(**describe(error=error, sent=code, expected_message=message))
        for name in ("FailAfterSend", "Throw", "Nope"):
            try:
                list(channel.unary_stream(f"/test.Echo/{name}")(b"", timeout=5))
                emit(method=name, code="OK")
            except grpc.RpcError as error:
                emit(method=name, **describe(error=error))

    elif scenario == "streams":
        replies = list(channel.unary_stream("/test.Echo/ServerStream")(b"300", timeout=10))
        emit(kind="server", count=len(replies),
             ordered=[r.decode() for r in replies] == [str(i) for i in range(300)])
        reply = channel.stream_unary("/test.Echo/ClientStream")(
            iter([b"x" * i for i in range(200)]), timeout=10)
        emit(kind="client", reply=reply.decode())
        messages = [f"m{i}".encode() for i in range(300)]
        echoed = list(channel.stream_stream("/test.Echo/Bidi")(iter(messages), timeout=10))
        emit(kind="bidi", same=echoed == messages, count=len(echoed))
        reply = channel.stream_unary("/test.Echo/ClientStream")(iter([]), timeout=10)
        emit(kind="client-empty", reply=reply.decode())

    elif scenario == "deadline":
        started = time.monotonic()
        try:
            unary("Sleep")(b"", timeout=0.3)
            emit(code="OK")
        except grpc.RpcError as error:
            emit(elapsed=time.monotonic() - started, **describe(error=error))

    elif scenario == "cancel":
        future = unary("Sleep").future(b"", timeout=30)
        # The test tells us (a line on stdin) when the handler has started.
        sys.stdin.readline()
        future.cancel()
        try:
            future.result()
            emit(code="OK")
        except grpc.FutureCancelledError:
            emit(code="CANCELLED", message="cancelled by the client")
        except grpc.RpcError as error:
            emit(**describe(error=error))

    elif scenario == "limits":
        limit = 4 * 1024 * 1024
        for size in (limit, limit + 1):
            try:
                reply = channel.stream_unary("/test.Echo/ClientStream")(
                    iter([b"\x07" * size]), timeout=20)
                emit(size=size, code="OK", reply=reply.decode())
            except grpc.RpcError as error:
                emit(size=size, **describe(error=error))
        reply = unary("Unary")(b"still here", timeout=5)
        emit(after=reply.decode())

    elif scenario == "concurrent":
        results = []
        lock = threading.Lock()

        def one(index):
            reply = unary("Unary")(f"c{index}".encode(), timeout=10)
            with lock:
                results.append(reply.decode())

        threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        emit(count=len(results), distinct=len(set(results)))

    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
