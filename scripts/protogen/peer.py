#!/usr/bin/env python3
"""The independent peer of the Messages tests: Python protobuf, which nobody
here wrote, reading and writing the same messages.

Usage: peer.py PROTOS_DIR WORK_DIR

WORK_DIR/swift/manifest.tsv has one line per message: "full_name<TAB>stem".
For each, the Swift side wrote stem.bin (binary) and stem.json (JSON). This
script compiles PROTOS_DIR with grpc_tools.protoc, then for each message:
  - parses stem.bin and stem.json, and reports when they differ;
  - writes its own encodings to WORK_DIR/python/stem.bin and stem.json.
WORK_DIR/swift/descriptors.tsv lists "file_name<TAB>stem" of serialized
FileDescriptorProtos; each must parse and name its file.
Disagreements go to WORK_DIR/report.txt, one per line; empty means agreement.
"""

import importlib.util
import os
import subprocess
import sys


def main(protos_dir, work):
    generated = os.path.join(work, "py")
    os.makedirs(generated, exist_ok=True)
    files = []
    for root, _, names in os.walk(protos_dir):
        for n in names:
            if n.endswith(".proto"):
                files.append(os.path.relpath(os.path.join(root, n), protos_dir))
    files.sort()
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{protos_dir}",
                    f"--python_out={generated}"] + files, check=True)

    # monitor.v1 imports by package path; the grpc.* files would clash with
    # the installed grpc package, so they are loaded by file under other names.
    sys.path.insert(0, generated)
    for f in files:
        module_path = os.path.join(generated, f[:-len(".proto")] + "_pb2.py")
        if f.startswith("monitor/"):
            __import__(f[:-len(".proto")].replace("/", ".") + "_pb2")
        else:
            name = "peer_" + f[:-len(".proto")].replace("/", "_")
            spec = importlib.util.spec_from_file_location(name, module_path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))

    from google.protobuf import descriptor_pb2, descriptor_pool, json_format
    from google.protobuf import message_factory

    pool = descriptor_pool.Default()
    report = []
    out_dir = os.path.join(work, "python")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(work, "swift", "manifest.tsv"), encoding="utf-8") as manifest:
        for line in manifest:
            full_name, stem = line.rstrip("\n").split("\t")
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))
            with open(os.path.join(work, "swift", stem + ".bin"), "rb") as f:
                from_binary = cls.FromString(f.read())
            with open(os.path.join(work, "swift", stem + ".json"), encoding="utf-8") as f:
                from_json = json_format.Parse(f.read(), cls())
            if from_binary != from_json:
                report.append(f"{stem} ({full_name}): binary and JSON differ: "
                              f"binary={from_binary!r} json={from_json!r}")
            with open(os.path.join(out_dir, stem + ".bin"), "wb") as f:
                f.write(from_binary.SerializeToString(deterministic=True))
            with open(os.path.join(out_dir, stem + ".json"), "w", encoding="utf-8") as f:
                f.write(json_format.MessageToJson(from_binary))

    with open(os.path.join(work, "swift", "descriptors.tsv"), encoding="utf-8") as listing:
        for line in listing:
            file_name, stem = line.rstrip("\n").split("\t")
            with open(os.path.join(work, "swift", stem + ".bin"), "rb") as f:
                proto = descriptor_pb2.FileDescriptorProto.FromString(f.read())
            if proto.name != file_name:
                report.append(f"descriptor {stem} names {proto.name!r}, expected {file_name!r}")
            if file_name != "google/protobuf/timestamp.proto":
                expected = pool.FindFileByName(file_name)
                names = sorted(m.name for m in proto.message_type)
                if names != sorted(expected.message_types_by_name):
                    report.append(f"descriptor {file_name}: messages {names}")
                services = sorted(s.name for s in proto.service)
                if services != sorted(expected.services_by_name):
                    report.append(f"descriptor {file_name}: services {services}")

    with open(os.path.join(work, "report.txt"), "w", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
