"""An alert server for the watcher's tests: AlertService/WatchAlerts and
ListAlerts over grpcio, serving a fixed alert log of --count transitions.

The log is made from the seed alone, so the test knows it. Each watch starts
after the requested sequence (sometimes a few transitions earlier, to check
that the client drops what it has seen), sends a random number of messages
with heartbeats among them, and then cuts the stream: UNAVAILABLE, or
RESOURCE_EXHAUSTED with the trailer monitor-resume-after naming the last
sequence sent. After --cuts cuts it streams to the end of the log, then sends
heartbeats. A watch after a sequence older than --oldest allows ends with
OUT_OF_RANGE and the trailer monitor-oldest-sequence. ListAlerts answers with
the alerts as they stood at --snapshot-at (default: the end of the log), newest
first, paged, with that position.

Usage: alerts_peer.py --count N [--oldest K] [--snapshot-at S] [--cuts C]
                      [--seed X] [--token T] [--gen DIR]

Prints "READY <port>", then "WATCH after=<n>" for each watch, "CUT <code>
resume_after=<n>" for each cut and "LIST token=<t>" for each list call.
"""

import argparse
import random
import sys
import threading
import time
from concurrent import futures

import grpc

from common import load_messages, require_token, say

KINDS = ["RAISED", "NOTICE_ISSUED", "FEEDBACK_SUBMITTED", "CLOSED"]
STATUS_AFTER = {"RAISED": "ACTIVE", "NOTICE_ISSUED": "NOTICE_ISSUED",
                "FEEDBACK_SUBMITTED": "FEEDBACK_SUBMITTED", "CLOSED": "CLOSED"}


def make_log(m, count):
    """Transition i changes alert A(i mod 23); each alert goes raised, notice,
    feedback, closed, and round again."""
    alerts = m["alerts"]
    common = m["common"]
    log = []
    steps = {}
    for sequence in range(1, count + 1):
        number = sequence % 23
        step = steps.get(number, 0)
        steps[number] = step + 1
        kind = KINDS[step % len(KINDS)]
        t = alerts.AlertTransition(sequence=sequence, actor="engine", note=f"step {step}")
        t.kind = alerts.TransitionKind.Value(f"TRANSITION_KIND_{kind}")
        t.at.FromSeconds(1767225600 + sequence * 60)
        a = t.alert
        a.alert_id = f"A{number:02d}"
        a.rule = common.RULE_CASE_TIME
        a.level = [common.LEVEL_WARNING, common.LEVEL_YELLOW, common.LEVEL_RED][number % 3]
        a.status = alerts.AlertStatus.Value(f"ALERT_STATUS_{STATUS_AFTER[kind]}")
        a.department_code = "330101-LAND"
        a.case_id = f"2026-{number:04d}"
        a.subject = "case"
        a.sequence = sequence
        log.append(t)
    return log


class Peer:
    def __init__(self, args, m):
        self.args = args
        self.m = m
        self.log = make_log(m, args.count)
        self.cuts_left = args.cuts
        self.watches = 0
        self.lock = threading.Lock()

    def watch(self, request, context):
        require_token(context, self.args.token)
        alerts = self.m["alerts"]
        after = request.after_sequence
        with self.lock:
            self.watches += 1
            rng = random.Random(self.args.seed * 1000 + self.watches)
            cut = self.cuts_left > 0
            if cut:
                self.cuts_left -= 1
        say(f"WATCH after={after}")
        if after != 0 and after < self.args.oldest - 1:
            context.set_trailing_metadata(
                (("monitor-oldest-sequence", str(self.args.oldest)),))
            context.abort(grpc.StatusCode.OUT_OF_RANGE,
                          f"after_sequence {after} is older than the oldest kept,"
                          f" {self.args.oldest}")
        start = max(after + 1, self.args.oldest)
        if rng.random() < 0.3:
            start = max(self.args.oldest, start - rng.randint(1, 3))
        burst = rng.randint(1, 25)
        sent = 0
        last = after
        for t in self.log[start - 1:]:
            if cut and sent >= burst:
                break
            yield alerts.WatchAlertsResponse(transition=t)
            sent += 1
            last = t.sequence
            if rng.random() < 0.1:
                hb = alerts.WatchAlertsResponse()
                hb.heartbeat.position = last
                hb.heartbeat.at.GetCurrentTime()
                yield hb
        if cut:
            if rng.random() < 0.5:
                context.set_trailing_metadata((("monitor-resume-after", str(last)),))
                say(f"CUT RESOURCE_EXHAUSTED resume_after={last}")
                context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                              "the watcher reads too slowly")
            say(f"CUT UNAVAILABLE resume_after={last}")
            context.abort(grpc.StatusCode.UNAVAILABLE, "the server is restarting")
        interval = request.heartbeat_seconds or 0.2
        while context.is_active():
            hb = alerts.WatchAlertsResponse()
            hb.heartbeat.position = len(self.log)
            hb.heartbeat.at.GetCurrentTime()
            yield hb
            time.sleep(min(interval, 0.2))

    def list_alerts(self, request, context):
        require_token(context, self.args.token)
        alerts = self.m["alerts"]
        say(f"LIST token={request.page_token or '-'}")
        position = self.args.snapshot_at or len(self.log)
        current = {}
        for t in self.log[:position]:
            current[t.alert.alert_id] = t.alert
        standing = sorted(current.values(), key=lambda a: -a.sequence)
        offset = int(request.page_token or "0")
        size = request.page_size or 100
        page = standing[offset:offset + size]
        response = alerts.ListAlertsResponse(alerts=page, position=position)
        if offset + size < len(standing):
            response.next_page_token = str(offset + size)
        return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--oldest", type=int, default=1)
    parser.add_argument("--snapshot-at", type=int, default=0)
    parser.add_argument("--cuts", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token")
    parser.add_argument("--gen")
    args = parser.parse_args()

    m = load_messages(args.gen)
    peer = Peer(args, m)
    alerts = m["alerts"]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("monitor.v1.AlertService", {
            "WatchAlerts": grpc.unary_stream_rpc_method_handler(
                peer.watch, request_deserializer=alerts.WatchAlertsRequest.FromString,
                response_serializer=alerts.WatchAlertsResponse.SerializeToString),
            "ListAlerts": grpc.unary_unary_rpc_method_handler(
                peer.list_alerts, request_deserializer=alerts.ListAlertsRequest.FromString,
                response_serializer=alerts.ListAlertsResponse.SerializeToString),
        }),
    ))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    say(f"READY {port}")
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
