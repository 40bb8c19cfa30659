"""What the ClientKit peers share: the interface standard compiled for Python,
the bearer-token check, and line output the Swift tests read."""

import os
import shutil
import subprocess
import sys
import tempfile

import grpc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTOS = os.path.join(ROOT, "Protos")


def say(line):
    print(line, flush=True)


def load_messages(gen_dir=None):
    """Compiles Protos/monitor (and the health check) with grpc_tools.protoc into
    gen_dir, unless it is there already, and imports the modules."""
    gen_dir = gen_dir or tempfile.mkdtemp(prefix="clientkit-peer-")
    marker = os.path.join(gen_dir, "monitor", "v1", "intake_pb2.py")
    if not os.path.exists(marker):
        # Compile into a fresh directory and rename it into place, so that two
        # peers starting at once never see a half-written tree.
        os.makedirs(gen_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix="staging-", dir=gen_dir)
        files = []
        for root, _, names in os.walk(os.path.join(PROTOS, "monitor")):
            files += [os.path.relpath(os.path.join(root, n), PROTOS)
                      for n in names if n.endswith(".proto")]
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTOS}",
                        f"--python_out={staging}"] + sorted(files), check=True)
        try:
            os.rename(os.path.join(staging, "monitor"), os.path.join(gen_dir, "monitor"))
        except OSError:
            pass  # another peer won the race; its tree is complete
        shutil.rmtree(staging, ignore_errors=True)
    sys.path.insert(0, gen_dir)
    from monitor.v1 import (admin_pb2, alerts_pb2, cases_pb2, common_pb2,  # noqa: E402
                            events_pb2, intake_pb2)
    return {"admin": admin_pb2, "alerts": alerts_pb2, "cases": cases_pb2,
            "common": common_pb2, "events": events_pb2, "intake": intake_pb2}


def require_token(context, token):
    """Ends the call with UNAUTHENTICATED unless it carries the bearer token."""
    if token is None:
        return
    sent = dict(context.invocation_metadata()).get("authorization", "")
    if sent != f"Bearer {token}":
        context.abort(grpc.StatusCode.UNAUTHENTICATED,
                      f"unknown token {sent!r}; expected 'Bearer <secret>'")
