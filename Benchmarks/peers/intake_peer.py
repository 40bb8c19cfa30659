"""The peer of the server benchmark: an intake server built the straightforward way.

grpcio (asyncio API) serves monitor.v1.IntakeService/ReportEvents from the
interface standard's own .proto files. One writer thread owns a SQLite file in WAL
mode with synchronous=FULL; every stream hands it its events, the writer takes
everything queued, inserts each event (deduplicated by department, event id and
revision) and upserts its case's row in one transaction, commits, and only then
are the events acknowledged, in the order they came, ACCEPTED or DUPLICATE. It
keeps no supervision state, evaluates no rule and raises no alert: it is the
floor of what a durable intake costs in Python.

  python intake_peer.py --protos DIR --database FILE [--window N]

Prints "READY <port>" once listening. On SIGTERM prints
"STATS commits=<n> writes=<n>" to standard error and exits.
"""

import argparse
import asyncio
import importlib
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY,
    department TEXT NOT NULL,
    event_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    kind INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    reported_at INTEGER NOT NULL,
    payload BLOB NOT NULL,
    UNIQUE (department, event_id, revision)
);
CREATE INDEX IF NOT EXISTS event_by_case ON event (department, case_id);
CREATE TABLE IF NOT EXISTS case_record (
    department TEXT NOT NULL,
    case_id TEXT NOT NULL,
    item_code TEXT NOT NULL DEFAULT '',
    state INTEGER NOT NULL,
    events INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (department, case_id)
) WITHOUT ROWID;
"""


def compile_protos(protos, into):
    """Generates the Python modules for the intake service and what it imports."""
    files = ["monitor/v1/intake.proto", "monitor/v1/events.proto", "monitor/v1/common.proto"]
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{protos}", f"--python_out={into}",
         f"--grpc_python_out={into}"] + files, check=True)
    sys.path.insert(0, into)
    return (importlib.import_module("monitor.v1.intake_pb2"),
            importlib.import_module("monitor.v1.intake_pb2_grpc"))


class Writer(threading.Thread):
    """Owns the database; commits whatever is queued as one transaction."""

    def __init__(self, path, loop, accepted, duplicate):
        super().__init__(daemon=True)
        self.path = path
        self.loop = loop
        self.accepted = accepted
        self.duplicate = duplicate
        self.queue = queue.SimpleQueue()
        self.commits = 0
        self.writes = 0

    def submit(self, event, future):
        self.queue.put((event, future))

    def run(self):
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        while True:
            batch = [self.queue.get()]
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            now = int(time.time() * 1000)
            statuses = []
            db.execute("BEGIN IMMEDIATE")
            for event, _ in batch:
                occurred = event.occurred_at.seconds * 1000 + event.occurred_at.nanos // 1_000_000
                kind = event.WhichOneof("kind")
                number = event.DESCRIPTOR.fields_by_name[kind].number
                inserted = db.execute(
                    "INSERT OR IGNORE INTO event (department, event_id, revision, case_id, kind,"
                    " occurred_at, reported_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (event.department_code, event.event_id, event.revision, event.case_id,
                     number, occurred, now, event.SerializeToString())).rowcount
                if inserted:
                    item = event.received.item_code if kind == "received" else ""
                    db.execute(
                        "INSERT INTO case_record (department, case_id, item_code, state, events,"
                        " updated_at) VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET"
                        " state = excluded.state, events = events + 1,"
                        " updated_at = excluded.updated_at",
                        (event.department_code, event.case_id, item, number, now))
                statuses.append(self.accepted if inserted else self.duplicate)
            db.execute("COMMIT")
            self.commits += 1
            self.writes += len(batch)
            self.loop.call_soon_threadsafe(resolve, batch, statuses)


def resolve(batch, statuses):
    for (_, future), status in zip(batch, statuses):
        if not future.cancelled():
            future.set_result(status)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--window", type=int, default=512)
    args = parser.parse_args()
    generated = tempfile.mkdtemp(prefix="intake-peer-")
    intake_pb2, intake_grpc = compile_protos(args.protos, generated)
    try:
        asyncio.run(serve(args, intake_pb2, intake_grpc))
    finally:
        shutil.rmtree(generated, ignore_errors=True)


async def serve(args, intake_pb2, intake_grpc):
    import grpc

    loop = asyncio.get_running_loop()
    writer = Writer(args.database, loop, intake_pb2.ACK_STATUS_ACCEPTED,
                    intake_pb2.ACK_STATUS_DUPLICATE)
    writer.start()

    class Intake(intake_grpc.IntakeServiceServicer):
        async def ReportEvents(self, request_iterator, context):
            # Up to `window` events wait for their commit; then reading stops and
            # HTTP/2 flow control holds the sender, as in the server measured.
            waiting = asyncio.Queue(maxsize=args.window)

            async def read():
                async for event in request_iterator:
                    future = loop.create_future()
                    writer.submit(event, future)
                    await waiting.put((event, future))
                await waiting.put(None)

            reader = asyncio.create_task(read())
            index = 0
            try:
                while True:
                    item = await waiting.get()
                    if item is None:
                        break
                    event, future = item
                    index += 1
                    yield intake_pb2.EventAck(
                        index=index, event_id=event.event_id, revision=event.revision,
                        status=await future)
                await reader
            finally:
                reader.cancel()

    server = grpc.aio.server()
    intake_grpc.add_IntakeServiceServicer_to_server(Intake(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"READY {port}", flush=True)

    stopped = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    await stopped.wait()
    await server.stop(grace=None)
    print(f"STATS commits={writer.commits} writes={writer.writes}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
