"""Runs the transport benchmark: the same load against our server, the C++ gRPC
server and the grpcio server in one run, several rounds, and prints medians and
ratios to C++ as a Markdown table. Called by scripts/bench-transport, which builds
the binaries first.

  unary   h2load: HTTP/2 POSTs carrying one 5-byte-framed message to
          /bench.Bench/Unary; calls/s, p50/p99 latency, peak RSS of the server
  stream  one bidirectional stream of small messages, driven by our client
  idle    N idle connections from our client; the server's resident memory
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def start(command):
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("READY "):
        process.kill()
        raise SystemExit(f"{command[0]} did not start: {line!r}")
    return process, int(line.split()[1])


def memory(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # MiB
    return float("nan")


def stop(process):
    process.kill()
    process.wait()


def unary(port, requests, clients, streams, body):
    with tempfile.NamedTemporaryFile(mode="r", suffix=".log") as log:
        output = subprocess.run(
            ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams),
             "-t", "1", "-d", body, "-H", "content-type: application/grpc",
             "-H", "te: trailers", "--log-file", log.name,
             f"http://127.0.0.1:{port}/bench.Bench/Unary"],
            capture_output=True, text=True, check=True).stdout
        durations = sorted(int(line.split("\t")[2]) for line in log if line.strip())
    rate = None
    succeeded = 0
    for line in output.splitlines():
        if line.startswith("finished in"):
            rate = float(line.split(",")[1].split()[0])
        if line.startswith("requests:"):
            succeeded = int(line.split(",")[3].split()[0])
    if succeeded != requests:
        raise SystemExit(f"only {succeeded} of {requests} calls succeeded:\n{output}")
    p50 = durations[len(durations) // 2] / 1000.0
    p99 = durations[int(len(durations) * 0.99)] / 1000.0
    return rate, p50, p99


def stream(bench, port, messages):
    output = subprocess.run(
        [bench, "stream", "--port", str(port), "--messages", str(messages)],
        capture_output=True, text=True, check=True, timeout=300).stdout
    for field in output.split():
        if field.startswith("rate="):
            return float(field[len("rate="):])
    raise SystemExit(f"no rate in {output!r}")


def idle(bench, port, connections, server_pid):
    client = subprocess.Popen(
        [bench, "idle", "--port", str(port), "--connections", str(connections)],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    line = client.stdout.readline()
    if not line.startswith("IDLE"):
        client.kill()
        raise SystemExit(f"idle client failed: {line!r}")
    time.sleep(0.5)
    rss = memory(server_pid, "VmRSS")
    client.stdin.close()
    client.wait()
    return rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--cpp", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--messages", type=int, default=1000000)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    peers_dir = os.path.dirname(os.path.abspath(__file__))
    servers = {
        "ours": [args.bench, "serve"],
        "cpp": [args.cpp],
        "python": [args.python, os.path.join(peers_dir, "python_server.py")],
    }
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as body:
        # One message: a protobuf `bytes data = 1` of 16 bytes, framed.
        message = b"\x0a\x10" + b"a" * 16
        body.write(b"\x00" + len(message).to_bytes(4, "big") + message)
    results = {name: {"rate": [], "p50": [], "p99": [], "rss": [], "stream": [], "idle": []}
               for name in servers}

    for run in range(args.runs):
        for name, command in servers.items():
            process, port = start(command)
            rate, p50, p99 = unary(port, args.requests, args.clients, args.streams,
                                   body.name)
            results[name]["rate"].append(rate)
            results[name]["p50"].append(p50)
            results[name]["p99"].append(p99)
            results[name]["rss"].append(memory(process.pid, "VmHWM"))
            stop(process)
            print(f"run {run + 1} {name}: unary {rate:.0f} calls/s p50 {p50:.2f} ms "
                  f"p99 {p99:.2f} ms", file=sys.stderr, flush=True)
        for name in ("ours", "cpp"):
            process, port = start(servers[name])
            rate = stream(args.bench, port, args.messages)
            results[name]["stream"].append(rate)
            stop(process)
            process, port = start(servers[name])
            results[name]["idle"].append(idle(args.bench, port, args.connections, process.pid))
            stop(process)
            print(f"run {run + 1} {name}: stream {rate:.0f} messages/s, idle RSS "
                  f"{results[name]['idle'][-1]:.1f} MiB", file=sys.stderr, flush=True)
    os.unlink(body.name)

    def median(name, key):
        values = results[name][key]
        return statistics.median(values) if values else float("nan")

    def ratio(name, key):
        # The ratio is taken within each run (same machine state), then the median.
        pairs = zip(results[name][key], results["cpp"][key])
        return statistics.median(mine / theirs for mine, theirs in pairs)

    print(f"Medians of {args.runs} runs. Ratios are to C++ gRPC, taken within each run, "
          "then the median.\n")
    print("| server | unary calls/s | ratio | p50 ms | p99 ms | peak RSS MiB | ratio |")
    print("|---|---|---|---|---|---|---|")
    for name in servers:
        print(f"| {name} | {median(name, 'rate'):.0f} | {ratio(name, 'rate'):.2f} | "
              f"{median(name, 'p50'):.2f} | {median(name, 'p99'):.2f} | "
              f"{median(name, 'rss'):.1f} | {ratio(name, 'rss'):.2f} |")
    print()
    print("| server | bidi stream messages/s | ratio | RSS with "
          f"{args.connections} idle connections, MiB | ratio |")
    print("|---|---|---|---|---|")
    for name in ("ours", "cpp"):
        print(f"| {name} | {median(name, 'stream'):.0f} | {ratio(name, 'stream'):.2f} | "
              f"{median(name, 'idle'):.1f} | {ratio(name, 'idle'):.2f} |")


if __name__ == "__main__":
    main()
