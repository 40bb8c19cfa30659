"""Drives a running monitord with Python grpcio, a gRPC stack written by others.

Compiles the interface standard (Protos/monitor/v1) with grpc_tools.protoc into a
temporary directory, then, against the server at 127.0.0.1:PORT:

- checks health (grpc.health.v1) and server reflection (v1alpha through grpcio's own
  reflection client, v1 by hand), without a token;
- loads the catalogue from a JSON file as the administrator;
- reports a case over IntakeService/ReportEvents as the department;
- reads it back with CaseService/GetCase and watches its alerts as a supervisor;
- calls ComplaintService, which this server does not offer yet.

Prints one JSON object with what it saw; the Swift test judges it. Exits non-zero
when a step fails outright.

Usage: end_to_end.py PORT ADMIN_SECRET CATALOGUE_JSON PROTOS_DIR
"""

import datetime
import glob
import json
import os
import queue
import sys
import tempfile
import threading

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_tools import protoc
from google.protobuf import descriptor_pb2, json_format


def compile_standard(protos_dir, out_dir):
    files = sorted(glob.glob(os.path.join(protos_dir, "monitor", "v1", "*.proto")))
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    arguments = ["protoc", f"-I{protos_dir}", f"-I{include}", f"--python_out={out_dir}",
                 f"--grpc_python_out={out_dir}"] + files
    if protoc.main(arguments) != 0:
        raise SystemExit("grpc_tools.protoc could not compile the interface standard")
    sys.path.insert(0, out_dir)


def main():
    port, admin_secret, catalogue_path, protos_dir = sys.argv[1:5]
    out_dir = tempfile.mkdtemp(prefix="monitor-protos-")
    compile_standard(protos_dir, out_dir)

    from monitor.v1 import admin_pb2, admin_pb2_grpc
    from monitor.v1 import alerts_pb2, alerts_pb2_grpc
    from monitor.v1 import cases_pb2, cases_pb2_grpc
    from monitor.v1 import catalogue_pb2, catalogue_pb2_grpc
    from monitor.v1 import common_pb2
    from monitor.v1 import complaints_pb2, complaints_pb2_grpc
    from monitor.v1 import events_pb2
    from monitor.v1 import intake_pb2_grpc

    result = {}
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=20)

    def bearer(secret):
        return [("authorization", f"Bearer {secret}")]

    # Health and reflection need no token.
    health = health_pb2_grpc.HealthStub(channel)
    result["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
        health.Check(health_pb2.HealthCheckRequest(), timeout=10).status)
    result["health_intake"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
        health.Check(health_pb2.HealthCheckRequest(service="monitor.v1.IntakeService"),
                     timeout=10).status)

    database = ProtoReflectionDescriptorDatabase(channel)
    result["reflection_v1alpha_services"] = sorted(database.get_services())
    intake_file = database.FindFileContainingSymbol("monitor.v1.IntakeService")
    result["reflection_v1alpha_file"] = intake_file.name
    result["reflection_v1alpha_methods"] = [
        method.name for service in intake_file.service for method in service.method]

    v1 = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    answers = list(v1(iter([
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="monitor.v1.CaseView"),
    ]), timeout=10))
    result["reflection_v1_services"] = sorted(
        service.name for service in answers[0].list_services_response.service)
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
             for raw in answers[1].file_descriptor_response.file_descriptor_proto]
    result["reflection_v1_files"] = sorted(f.name for f in files)

    # The catalogue, as an administrator loads it.
    with open(catalogue_path, encoding="utf-8") as handle:
        document = json.load(handle)
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(channel)
    admin = bearer(admin_secret)
    catalogue.PutDepartments(
        json_format.ParseDict({"departments": document["departments"]},
                              catalogue_pb2.PutDepartmentsRequest()),
        metadata=admin, timeout=20)
    change = catalogue.PutItems(
        json_format.ParseDict({"items": document["items"]}, catalogue_pb2.PutItemsRequest()),
        metadata=admin, timeout=20)
    result["catalogue_version"] = change.version
    items = catalogue.ListItems(catalogue_pb2.ListItemsRequest(page_size=1000),
                                metadata=admin, timeout=20)
    result["items_listed"] = len(items.items)

    admin_service = admin_pb2_grpc.AdminServiceStub(channel)
    department_secret = admin_service.CreateToken(
        admin_pb2.CreateTokenRequest(name="Health system", role=1,
                                     department_code="330899-WJJ"),
        metadata=admin, timeout=10).secret
    supervisor_secret = admin_service.CreateToken(
        admin_pb2.CreateTokenRequest(name="Supervisor Li", role=2),
        metadata=admin, timeout=10).secret

    # A supervisor watches the case's alerts from the start of the log.
    alerts = alerts_pb2_grpc.AlertServiceStub(channel)
    watch_request = alerts_pb2.WatchAlertsRequest(heartbeat_seconds=1)
    watch_request.filter.case_id = "WJJ-PY-1"
    watch_request.filter.department_codes.append("330899-WJJ")
    watch = alerts.WatchAlerts(watch_request, metadata=bearer(supervisor_secret), timeout=60)
    transitions = queue.Queue()

    def read_watch():
        try:
            for response in watch:
                if response.HasField("transition"):
                    transitions.put(response.transition)
        except grpc.RpcError:
            pass

    reader = threading.Thread(target=read_watch, daemon=True)
    reader.start()

    # A case received and accepted ten days ago: overdue the moment it is known.
    now = datetime.datetime.now(datetime.timezone.utc)
    received_at = now - datetime.timedelta(days=10)

    def event(event_id, occurred, **kind):
        message = events_pb2.CaseEvent(event_id=event_id, department_code="330899-WJJ",
                                       case_id="WJJ-PY-1", **kind)
        message.occurred_at.FromDatetime(occurred)
        return message

    applicant = common_pb2.Applicant(type=1, name="李四", id_type=1,
                                     id_number="330824198805050011", phone="13905700002")
    events = [
        event("py-r1", received_at, received=events_pb2.CaseReceived(
            item_code="330899-WJJ-002", channel=2, title="Hygiene licence",
            applicant=applicant)),
        event("py-a1", received_at + datetime.timedelta(hours=1),
              accepted=events_pb2.CaseAccepted(handler="Handler Zhao")),
    ]
    intake = intake_pb2_grpc.IntakeServiceStub(channel)
    acks = list(intake.ReportEvents(iter(events), metadata=bearer(department_secret),
                                    timeout=20))
    result["acks"] = [json_format.MessageToDict(ack) for ack in acks]
    resent = list(intake.ReportEvents(iter(events), metadata=bearer(department_secret),
                                      timeout=20))
    result["resent_statuses"] = [json_format.MessageToDict(ack)["status"] for ack in resent]

    cases = cases_pb2_grpc.CaseServiceStub(channel)
    view = cases.GetCase(cases_pb2.GetCaseRequest(department_code="330899-WJJ",
                                                  case_id="WJJ-PY-1"),
                         metadata=bearer(supervisor_secret), timeout=10)
    result["case"] = {
        "state": cases_pb2.CaseState.Name(view.summary.state),
        "item": view.summary.item_code,
        "timeline": [entry.event.event_id for entry in view.timeline],
        "applicant": view.applicant.name,
        "alerts": {alert.alert_id: alerts_pb2.AlertStatus.Name(alert.status)
                   for alert in view.alerts},
        "deadline_kinds": sorted(cases_pb2.DeadlineKind.Name(d.kind) for d in view.deadlines),
    }

    # Every transition of the case's alerts up to the view's state arrives.
    seen = []
    latest = {}
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
    while latest != result["case"]["alerts"] and datetime.datetime.now() < deadline:
        try:
            transition = transitions.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(transition)
        latest[transition.alert.alert_id] = alerts_pb2.AlertStatus.Name(transition.alert.status)
    watch.cancel()
    result["watched"] = [
        {"sequence": t.sequence, "kind": alerts_pb2.TransitionKind.Name(t.kind),
         "alert_id": t.alert.alert_id, "case_id": t.alert.case_id,
         "status": alerts_pb2.AlertStatus.Name(t.alert.status)}
        for t in seen]

    complaints = complaints_pb2_grpc.ComplaintServiceStub(channel)
    try:
        complaints.GetComplaint(complaints_pb2.GetComplaintRequest(),
                                metadata=bearer(supervisor_secret), timeout=10)
        result["complaints"] = {"code": "OK"}
    except grpc.RpcError as error:
        result["complaints"] = {"code": error.code().name, "message": error.details()}

    try:
        cases.GetCase(cases_pb2.GetCaseRequest(department_code="330899-WJJ",
                                               case_id="WJJ-PY-1"), timeout=10)
        result["no_token"] = {"code": "OK"}
    except grpc.RpcError as error:
        result["no_token"] = {"code": error.code().name, "message": error.details()}

    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
