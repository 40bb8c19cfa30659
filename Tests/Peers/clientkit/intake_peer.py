"""An intake server for the reporter's tests: IntakeService/ReportEvents and
ReportEvent over grpcio, keeping what it acknowledges in a SQLite file.

It answers like the real server: an event_id and revision it has recorded
before is a DUPLICATE; a lower revision than one recorded is SUPERSEDED; a
`received` event without an item code is REJECTED. Every event is committed
(synchronous=FULL) before its acknowledgement is sent, so a peer killed at any
moment has acknowledged only what its file holds. CaseService/GetCase answers
with the case's stored timeline, for the getting-started example.

Usage:
  intake_peer.py --db FILE [--port N] [--token T] [--gen DIR] [--ack-delay S]
                 [--crash-after N]
  intake_peer.py --db FILE --dump      prints the file's contents as JSON

Prints "READY <port>" once listening. On stdin, "stats" prints one JSON line of
counters: events received, events committed, acknowledgements sent, the most
events received ahead of their acknowledgements, streams opened.
"""

import argparse
import json
import os
import queue
import sqlite3
import sys
import threading
import time
from concurrent import futures

import grpc

from common import load_messages, require_token, say

SCHEMA = """
CREATE TABLE IF NOT EXISTS accepted (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL, revision INTEGER NOT NULL,
    department_code TEXT NOT NULL, case_id TEXT NOT NULL, kind TEXT NOT NULL,
    event BLOB NOT NULL, reported_at REAL NOT NULL,
    UNIQUE (event_id, revision)
);
CREATE TABLE IF NOT EXISTS answers (status TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""


class Store:
    """The peer's durable record; one connection, used under a lock."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def record(self, events, answer):
        """Decides and records a batch in one transaction; returns the acks."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            acks = [answer(self.db, e) for e in events]
            self.db.execute("COMMIT")
            return acks


class Peer:
    def __init__(self, args, m):
        self.args = args
        self.m = m
        self.store = Store(args.db)
        self.lock = threading.Lock()
        self.received = 0
        self.acked = 0
        self.max_ahead = 0
        self.streams = 0
        self.committed = 0

    def answer(self, db, event):
        intake = self.m["intake"]
        ack = intake.EventAck(event_id=event.event_id, revision=event.revision)
        kind = event.WhichOneof("kind") or ""
        if kind == "received" and not event.received.item_code:
            ack.status = intake.ACK_STATUS_REJECTED
            ack.field = "received.item_code"
            ack.reason = "empty; expected the catalogue code of the item applied for"
        else:
            row = db.execute("SELECT 1 FROM accepted WHERE event_id = ? AND revision = ?",
                             (event.event_id, event.revision)).fetchone()
            if row:
                ack.status = intake.ACK_STATUS_DUPLICATE
            else:
                higher = db.execute(
                    "SELECT 1 FROM accepted WHERE event_id = ? AND revision > ?",
                    (event.event_id, event.revision)).fetchone()
                db.execute(
                    "INSERT INTO accepted (event_id, revision, department_code, case_id,"
                    " kind, event, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (event.event_id, event.revision, event.department_code, event.case_id,
                     kind, event.SerializeToString(), time.time()))
                ack.status = (intake.ACK_STATUS_SUPERSEDED if higher
                              else intake.ACK_STATUS_ACCEPTED)
        name = intake.AckStatus.Name(ack.status)
        db.execute("INSERT INTO answers (status, n) VALUES (?, 1)"
                   " ON CONFLICT (status) DO UPDATE SET n = n + 1", (name,))
        return ack

    def commit(self, events):
        acks = self.store.record(events, self.answer)
        with self.lock:
            self.committed += len(events)
            crash = self.args.crash_after and self.committed >= self.args.crash_after
        if crash:
            # Durable but unacknowledged: the client must resend these.
            os._exit(3)
        return acks

    def report_events(self, requests, context):
        require_token(context, self.args.token)
        with self.lock:
            self.streams += 1
        inbox = queue.Queue()

        def read():
            try:
                for event in requests:
                    with self.lock:
                        self.received += 1
                        self.max_ahead = max(self.max_ahead, self.received - self.acked)
                    inbox.put(event)
            except Exception:
                pass
            inbox.put(None)

        threading.Thread(target=read, daemon=True).start()
        index = 0
        done = False
        while not done:
            batch = [inbox.get()]
            while True:
                try:
                    batch.append(inbox.get_nowait())
                except queue.Empty:
                    break
            if batch[-1] is None:
                batch.pop()
                done = True
            if not batch:
                continue
            for ack in self.commit(batch):
                index += 1
                ack.index = index
                if self.args.ack_delay:
                    time.sleep(self.args.ack_delay)
                with self.lock:
                    self.acked += 1
                yield ack

    def report_event(self, event, context):
        require_token(context, self.args.token)
        ack = self.commit([event])[0]
        ack.index = 1
        return ack

    def get_case(self, request, context):
        require_token(context, self.args.token)
        cases = self.m["cases"]
        events = self.m["events"]
        with self.store.lock:
            rows = self.store.db.execute(
                "SELECT event, kind, reported_at FROM accepted WHERE department_code = ?"
                " AND case_id = ? ORDER BY n", (request.department_code, request.case_id)
            ).fetchall()
        if not rows:
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"no case {request.case_id} in {request.department_code}")
        view = cases.CaseView()
        view.summary.department_code = request.department_code
        view.summary.case_id = request.case_id
        states = {"received": cases.CASE_STATE_RECEIVED,
                  "accepted": cases.CASE_STATE_IN_PROGRESS,
                  "concluded": cases.CASE_STATE_CONCLUDED,
                  "delivered": cases.CASE_STATE_DELIVERED}
        for blob, kind, reported_at in rows:
            entry = view.timeline.add()
            entry.event.CopyFrom(events.CaseEvent.FromString(blob))
            entry.reported_at.FromNanoseconds(int(reported_at * 1e9))
            if kind == "received":
                view.summary.item_code = entry.event.received.item_code
                view.summary.title = entry.event.received.title
            view.summary.state = states.get(kind, view.summary.state)
        return view

    def get_server_info(self, request, context):
        require_token(context, self.args.token)
        info = self.m["admin"].ServerInfo(
            version="intake-peer", region_code="330101", server_name="intake peer",
            caller_name="test department", caller_department_code="330101-LAND",
            services=["monitor.v1.IntakeService", "monitor.v1.CaseService"])
        info.caller_role = self.m["common"].ROLE_DEPARTMENT
        return info

    def stats(self):
        with self.lock:
            return {"received": self.received, "acked": self.acked,
                    "committed": self.committed, "max_ahead": self.max_ahead,
                    "streams": self.streams}


def dump(path):
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    accepted = [[e, r, c, k] for e, r, c, k in db.execute(
        "SELECT event_id, revision, case_id, kind FROM accepted ORDER BY n")]
    answers = dict(db.execute("SELECT status, n FROM answers"))
    print(json.dumps({"accepted": accepted, "answers": answers}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token")
    parser.add_argument("--gen")
    parser.add_argument("--ack-delay", type=float, default=0)
    parser.add_argument("--crash-after", type=int, default=0)
    parser.add_argument("--dump", action="store_true")
    args = parser.parse_args()
    if args.dump:
        dump(args.db)
        return

    m = load_messages(args.gen)
    peer = Peer(args, m)
    intake = m["intake"]
    events = m["events"]
    cases = m["cases"]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("monitor.v1.IntakeService", {
            "ReportEvents": grpc.stream_stream_rpc_method_handler(
                peer.report_events, request_deserializer=events.CaseEvent.FromString,
                response_serializer=intake.EventAck.SerializeToString),
            "ReportEvent": grpc.unary_unary_rpc_method_handler(
                peer.report_event, request_deserializer=events.CaseEvent.FromString,
                response_serializer=intake.EventAck.SerializeToString),
        }),
        grpc.method_handlers_generic_handler("monitor.v1.AdminService", {
            "GetServerInfo": grpc.unary_unary_rpc_method_handler(
                peer.get_server_info,
                request_deserializer=m["admin"].GetServerInfoRequest.FromString,
                response_serializer=m["admin"].ServerInfo.SerializeToString),
        }),
        grpc.method_handlers_generic_handler("monitor.v1.CaseService", {
            "GetCase": grpc.unary_unary_rpc_method_handler(
                peer.get_case, request_deserializer=cases.GetCaseRequest.FromString,
                response_serializer=cases.CaseView.SerializeToString),
        }),
    ))
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        say(f"FAILED cannot listen on 127.0.0.1:{args.port}")
        sys.exit(1)
    server.start()
    say(f"READY {port}")
    for line in sys.stdin:
        if line.strip() == "stats":
            say("STATS " + json.dumps(peer.stats()))
    server.stop(0)


if __name__ == "__main__":
    main()
