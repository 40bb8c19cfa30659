"""Runs the whole-server benchmark and prints its tables as Markdown. Called by
scripts/bench-server, which builds the binaries first.

In each run, for each number of concurrent ReportEvents streams, the same client
(ServerBench load) reports the same realistic events to three servers, started
fresh one after the other:

  ours       monitord on a new data directory, catalogue and tokens loaded first
  transport  ServerBench serve-ack: our transport acknowledging without storing
  peer       intake_peer.py: grpcio + SQLite (WAL, synchronous=FULL, group commit)

Then monitord again, with 100 WatchAlerts subscribers, under a load paced at each
asked rate (10,000 and 2,000 events/s by default) where one case in ten charges a
fee its item has no standard for (a red card at the event's own instant): how long
each card takes to reach each subscriber.

Per server: acknowledged events/s, ack latency p50/p99, the server's CPU seconds
per event (utime + stime from /proc), its peak resident memory (VmHWM) and the
average group commit (monitord's /metrics; the peer's own count). Ratios are
taken within each run, then the median over runs is reported.
"""

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def fields(line):
    """{"key": value} of a "WORD key=value ..." line."""
    result = {}
    for word in line.split()[1:]:
        key, _, value = word.partition("=")
        try:
            result[key] = float(value)
        except ValueError:
            result[key] = value
    return result


def run_bench(bench, *arguments):
    output = subprocess.run(
        [bench, *arguments], capture_output=True, text=True, timeout=900)
    for line in output.stdout.splitlines():
        if line.startswith("RESULT") or line.startswith("SETUP"):
            if output.returncode == 0:
                return fields(line)
    raise SystemExit(
        f"ServerBench {arguments[0]} failed ({output.returncode}):\n"
        f"{output.stdout}\n{output.stderr}")


class Server:
    """A server process under test, started fresh."""

    def __init__(self, kind, args, work):
        self.kind = kind
        self.metrics_port = None
        self.stats_file = None
        if kind == "ours":
            self.data = tempfile.mkdtemp(prefix="monitord-", dir=work)
            self.stderr = open(os.path.join(self.data, "monitord.log"), "w+")
            command = [args.monitord, "--data-dir", self.data, "--listen", "127.0.0.1:0",
                       "--metrics-listen", "127.0.0.1:0"]
        elif kind == "transport":
            self.stderr = subprocess.DEVNULL
            command = [args.bench, "serve-ack"]
        else:
            self.data = tempfile.mkdtemp(prefix="peer-", dir=work)
            self.stderr = open(os.path.join(self.data, "peer.log"), "w+")
            command = [args.python, os.path.join(args.peers, "intake_peer.py"),
                       "--protos", args.protos,
                       "--database", os.path.join(self.data, "peer.sqlite")]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(?:READY |listening on [0-9.]+:)(\d+)", line)
        if not match:
            self.process.kill()
            raise SystemExit(f"{kind} server did not start: {line!r}")
        self.port = int(match.group(1))
        if kind == "ours":
            self.metrics_port = self._metrics_port()
            run_bench(args.bench, "setup", "--port", str(self.port),
                      "--admin-token", os.path.join(self.data, "admin.token"),
                      "--catalogue", args.catalogue,
                      "--tokens", os.path.join(self.data, "bench.tokens"))
        self.cpu_start = cpu_seconds(self.process.pid)
        self.metrics_start = self.metrics()

    def _metrics_port(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            self.stderr.seek(0)
            match = re.search(r"msg=listening .*metrics=(\d+)", self.stderr.read())
            if match:
                return int(match.group(1))
            time.sleep(0.05)
        raise SystemExit("monitord did not log its metrics port")

    @property
    def tokens(self):
        return os.path.join(self.data, "bench.tokens") if self.kind == "ours" else None

    def metrics(self):
        """(commits, committed writes) so far, for monitord."""
        if self.metrics_port is None:
            return (0, 0)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics") as page:
            text = page.read().decode()
        values = dict(re.findall(r"^(monitor_store_commit\w+) ([0-9.e+]+)$", text, re.M))
        return (float(values["monitor_store_commits"]),
                float(values["monitor_store_committed_writes"]))

    def measure(self):
        """CPU seconds used and commits / writes since the load started."""
        cpu = cpu_seconds(self.process.pid) - self.cpu_start
        commits, writes = (now - then for now, then in zip(self.metrics(), self.metrics_start))
        return cpu, peak_rss_mib(self.process.pid), commits, writes

    def stop(self):
        """Stops the server; for the peer, returns its (commits, writes).

        Only the peer is asked to stop (it reports its commits on SIGTERM); the
        others are killed, since what they would do on the way out is not measured.
        """
        if self.kind == "peer":
            self.process.terminate()
        else:
            self.process.kill()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.kind == "peer":
            self.stderr.seek(0)
            match = re.search(r"STATS commits=(\d+) writes=(\d+)", self.stderr.read())
            if match:
                return float(match.group(1)), float(match.group(2))
        return None


def checked(result):
    """The load's result, once every event was accepted as new and unremarkable."""
    if result["accepted"] != result["events"] or result.get("notices", 0):
        raise SystemExit(f"not every event was accepted cleanly: {result}")
    return result


def throughput(args, kind, streams):
    server = Server(kind, args, args.work)
    events = {"transport": args.transport_events, "peer": args.peer_events}.get(
        kind, args.events)
    load = ["load", "--port", str(server.port), "--catalogue", args.catalogue,
            "--streams", str(streams), "--events", str(events), "--window", str(args.window)]
    if server.tokens:
        load += ["--tokens", server.tokens]
    result = checked(run_bench(args.bench, *load))
    cpu, rss, commits, writes = server.measure()
    peer_stats = server.stop()
    if peer_stats:
        commits, writes = peer_stats
    result["server_cpu_us"] = cpu / result["events"] * 1e6
    result["client_cpu_us"] = result["client_cpu_s"] / result["events"] * 1e6
    result["rss"] = rss
    result["batch"] = writes / commits if commits else float("nan")
    return result


def alert_latency(args, rate):
    server = Server("ours", args, args.work)
    result = checked(run_bench(
        args.bench, "load", "--port", str(server.port), "--catalogue", args.catalogue,
        "--tokens", server.tokens, "--streams", str(args.alert_streams),
        "--events", str(rate * args.alert_seconds), "--window", str(args.window),
        "--rate", str(rate), "--fee-every", str(args.fee_every),
        "--watchers", str(args.watchers)))
    cpu, rss, commits, writes = server.measure()
    server.stop()
    result["server_cpu_us"] = cpu / result["events"] * 1e6
    result["rss"] = rss
    result["batch"] = writes / commits if commits else float("nan")
    return result


def live_counts(args):
    """A dashboard's counts against many open cases, and the same open-case count
    asked of the server's SQLite file directly (its partial index of open cases),
    the straightforward way to answer it, once the server has stopped."""
    server = Server("ours", args, args.work)
    result = run_bench(
        args.bench, "counts", "--port", str(server.port), "--catalogue", args.catalogue,
        "--tokens", server.tokens, "--cases", str(args.counts_cases))
    server.stop()
    database = sqlite3.connect(os.path.join(server.data, "monitor.sqlite"))
    times = []
    for _ in range(20):
        started = time.perf_counter()
        rows = database.execute(
            "SELECT department, count(*) FROM case_record INDEXED BY case_open "
            "WHERE is_open = 1 GROUP BY department").fetchall()
        times.append((time.perf_counter() - started) * 1000)
    database.close()
    result["sql_ms"] = statistics.median(times)
    result["sql_open"] = sum(count for _, count in rows)
    return result


def store_alone(args):
    """StoreBench's bulk and pipelined figures: the store by itself in this run."""
    output = subprocess.run(
        [args.storebench, "--events", str(args.store_events), "--runs", "1",
         "--stats-events", "0"], capture_output=True, text=True, timeout=1800).stdout
    figures = {}
    match = re.search(r"median: store (\d+) ev/s, peer (\d+) ev/s", output)
    if match:
        figures["bulk"], figures["c_peer"] = float(match.group(1)), float(match.group(2))
    match = re.search(r"CPU per event, median: store ([0-9.]+) us, peer ([0-9.]+) us", output)
    if match:
        figures["bulk_cpu"], figures["c_peer_cpu"] = float(match.group(1)), float(match.group(2))
    match = re.search(r"pipelined.*?: (\d+) ev/s, avg batch ([0-9.]+)", output)
    if match:
        figures["pipelined"], figures["pipelined_batch"] = (
            float(match.group(1)), float(match.group(2)))
    if not figures:
        print(f"StoreBench gave nothing readable:\n{output}", file=sys.stderr)
    return figures


def median(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--monitord", required=True)
    parser.add_argument("--storebench")
    parser.add_argument("--python", required=True)
    parser.add_argument("--catalogue", required=True)
    parser.add_argument("--protos", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--streams", default="1,4,16")
    # Sized so that each server runs for about five seconds or more: long enough
    # for monitord's write-ahead log to fill and start over, which a short run
    # never pays for; the peer, some five times slower, needs fewer events.
    parser.add_argument("--events", type=int, default=300000)
    parser.add_argument("--peer-events", type=int, default=60000)
    parser.add_argument("--transport-events", type=int, default=300000)
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--alert-rates", default="10000,2000")
    parser.add_argument("--alert-seconds", type=int, default=10)
    parser.add_argument("--alert-streams", type=int, default=8)
    parser.add_argument("--fee-every", type=int, default=10)
    parser.add_argument("--watchers", type=int, default=100)
    parser.add_argument("--store-events", type=int, default=20000)
    parser.add_argument("--counts-cases", type=int, default=100000)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    args.peers = os.path.dirname(os.path.abspath(__file__))
    streams_list = [int(s) for s in args.streams.split(",")]
    alert_rates = [int(r) for r in args.alert_rates.split(",")] if args.watchers > 0 else []
    kinds = ["ours", "transport", "peer"]

    with tempfile.TemporaryDirectory(prefix="serverbench-", dir=args.work) as work:
        args.work = work
        load_start = os.getloadavg()
        results = {(k, s): [] for k in kinds for s in streams_list}
        alerts = {rate: [] for rate in alert_rates}
        counts = []
        for run in range(1, args.runs + 1):
            for streams in streams_list:
                for kind in kinds:
                    result = throughput(args, kind, streams)
                    results[(kind, streams)].append(result)
                    print(f"run {run} {kind:9} streams {streams:2}: {result['rate']:8.0f} ev/s"
                          f"  ack p50 {result['ack_p50_ms']:7.1f} ms p99 "
                          f"{result['ack_p99_ms']:7.1f} ms  server CPU "
                          f"{result['server_cpu_us']:6.1f} us/ev  batch {result['batch']:7.1f}"
                          f"  load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            for rate in alert_rates:
                result = alert_latency(args, rate)
                alerts[rate].append(result)
                print(f"run {run} alerts at {rate}/s: {result['rate']:.0f} ev/s, "
                      f"{result['alerts']:.0f} cards x {result['watchers']:.0f} watchers, "
                      f"missing {result['missing']:.0f}, ack->watcher p50 "
                      f"{result['alert_p50_ms']} ms p99 {result['alert_p99_ms']} ms",
                      file=sys.stderr, flush=True)
            if args.counts_cases > 0:
                result = live_counts(args)
                counts.append(result)
                print(f"run {run} live counts over {result['open']:.0f} open cases: p50 "
                      f"{result['counts_p50_ms']} ms p99 {result['counts_p99_ms']} ms; "
                      f"SQL count {result['sql_ms']:.1f} ms", file=sys.stderr, flush=True)
        store = store_alone(args) if args.storebench else {}
        load_end = os.getloadavg()

    print(f"Medians of {args.runs} runs; load average (1/5/15 min) "
          f"{load_start[0]:.1f}/{load_start[1]:.1f}/{load_start[2]:.1f} at the start, "
          f"{load_end[0]:.1f}/{load_end[1]:.1f}/{load_end[2]:.1f} at the end; "
          f"{os.cpu_count()} cores. Ratios are to the grpcio + SQLite peer, taken "
          "within each run, then the median.\n")
    print(f"Durable events/s, {args.events} events per stream count for monitord "
          f"({args.transport_events} for the transport alone, {args.peer_events} for the "
          f"peer), {args.window} in flight per stream:\n")
    print("| streams | server | events/s | ratio | ack p50 ms | ack p99 ms | avg commit | "
          "server CPU us/event | peak RSS MiB | client CPU us/event |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    names = {"ours": "monitord", "transport": "transport alone (ack only)",
             "peer": "grpcio + SQLite peer"}
    for streams in streams_list:
        peer_rates = [r["rate"] for r in results[("peer", streams)]]
        for kind in kinds:
            rows = results[(kind, streams)]
            ratio = median([r["rate"] / p for r, p in zip(rows, peer_rates)])
            batch = median([r["batch"] for r in rows])
            batch_text = "" if batch != batch else f"{batch:.0f}"
            print(f"| {streams} | {names[kind]} | {median([r['rate'] for r in rows]):.0f} | "
                  f"{ratio:.2f} | {median([r['ack_p50_ms'] for r in rows]):.1f} | "
                  f"{median([r['ack_p99_ms'] for r in rows]):.1f} | {batch_text} | "
                  f"{median([r['server_cpu_us'] for r in rows]):.1f} | "
                  f"{median([r['rss'] for r in rows]):.1f} | "
                  f"{median([r['client_cpu_us'] for r in rows]):.1f} |")

    if alert_rates:
        print(f"\nAlert delivery: monitord with {args.watchers} WatchAlerts subscribers, "
              f"{args.alert_streams} streams paced at the asked rate in all for "
              f"{args.alert_seconds} s, one case in {args.fee_every} charging a fee its item "
              "has no standard for (a red card at the event's own instant). Latencies are "
              "from the event's ack, or its send, to the card's arrival at each subscriber; "
              "negative means the card came first:\n")
        print("| asked events/s | achieved | cards x subscribers | missing | "
              "ack to subscriber p50 ms | p99 ms | first subscriber p50 ms | p99 ms | "
              "before the ack | send to subscriber p50 ms | p99 ms | event ack p50 ms | "
              "p99 ms | avg commit | server CPU us/event |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for rate in alert_rates:
            rows = alerts[rate]

            def m(key, rows=rows):
                return median([r[key] for r in rows])

            before = median([r["alert_before_ack"] / r["deliveries"] for r in rows])
            print(f"| {rate} | {m('rate'):.0f} | {m('deliveries'):.0f} | {m('missing'):.0f} | "
                  f"{m('alert_p50_ms'):.1f} | {m('alert_p99_ms'):.1f} | "
                  f"{m('alert_first_p50_ms'):.1f} | {m('alert_first_p99_ms'):.1f} | "
                  f"{before:.0%} | {m('alert_from_send_p50_ms'):.1f} | "
                  f"{m('alert_from_send_p99_ms'):.1f} | {m('ack_p50_ms'):.1f} | "
                  f"{m('ack_p99_ms'):.1f} | {m('batch'):.0f} | {m('server_cpu_us'):.0f} |")

    if counts:
        def c(key):
            return median([r[key] for r in counts])

        print(f"\nLive counts: GetCaseCounts asked {c('queries'):.0f} times, one after "
              f"another, with {c('open'):.0f} cases open (received and accepted), against "
              "the same count of open cases by department asked of the stopped server's "
              "SQLite file through its index of open cases:\n")
        print("| open cases | GetCaseCounts p50 ms | p99 ms | SQL count ms | open cases by SQL "
              "| SQL / GetCaseCounts |")
        print("|---|---|---|---|---|---|")
        ratio = median([r["sql_ms"] / r["counts_p50_ms"] for r in counts])
        print(f"| {c('open'):.0f} | {c('counts_p50_ms'):.2f} | {c('counts_p99_ms'):.2f} | "
              f"{c('sql_ms'):.1f} | {c('sql_open'):.0f} | {ratio:.0f} |")

    if store:
        print(f"\nThe store alone (StoreBench, {args.store_events} events, one run, its own "
              "row set: event, case upsert, counter, an alert per ten events):\n")
        print("| what | events/s | CPU us/event |")
        print("|---|---|---|")
        if "bulk" in store:
            print(f"| store, 1,000 events per write | {store['bulk']:.0f} | "
                  f"{store.get('bulk_cpu', float('nan')):.1f} |")
            print(f"| C peer on SQLite, 1,000 per transaction | {store['c_peer']:.0f} | "
                  f"{store.get('c_peer_cpu', float('nan')):.1f} |")
        if "pipelined" in store:
            print(f"| store, 1 pipelined stream (avg commit {store['pipelined_batch']:.0f}) | "
                  f"{store['pipelined']:.0f} | |")


if __name__ == "__main__":
    main()
