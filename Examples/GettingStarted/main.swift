// Getting started with ClientKit: report one case from receipt to delivery,
// then read back what the server made of it.
//
//   swift run GettingStarted --host 127.0.0.1 --port 50051 \
//       --token-file department.token --spool ./spool.sqlite
//
// The token must belong to the department the events name (a department
// token, made by the centre's administrator with `monctl token create`).

import ClientKit
import Foundation

// 1. Settings, from the command line.
var settings = [
    "--host": "127.0.0.1", "--port": "50051", "--spool": "spool.sqlite",
    "--department": "330101-LAND", "--item": "330101-001",
    "--case": "2026-\(Int(Date().timeIntervalSince1970) % 100_000)", "--watch": "0",
]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard settings[name] != nil || name == "--token-file", let value = arguments.popFirst() else {
        print("usage: GettingStarted [--host H] [--port P] --token-file FILE [--spool FILE]")
        print("       [--department CODE] [--item CODE] [--case ID] [--watch SECONDS]")
        exit(2)
    }
    settings[name] = value
}
guard let tokenFile = settings["--token-file"],
    let token = try? String(contentsOfFile: tokenFile, encoding: .utf8)
else {
    print("cannot read the token: give --token-file with the secret in it")
    exit(2)
}
let department = settings["--department"]!
let caseID = settings["--case"]!

// 2. A client for the server, and a check of who the token says we are.
let client = MonitorClient(host: settings["--host"]!, port: Int(settings["--port"]!)!,
                           token: token)
do {
    let me = try await client.admin.getServerInfo(GetServerInfoRequest())
    print("connected as \(me.callerName) (\(me.callerRole)) of \(me.callerDepartmentCode)")
} catch let error as MonitorError {
    print("cannot reach the server: \(error)")
    exit(1)
}

// 3. The reporter: every event goes to the local spool first, then to the
//    server. Events from an earlier run that were never acknowledged go too.
var configuration = EventReporter.Configuration()
configuration.departmentCode = department
let reporter = try EventReporter(
    client: client, spoolPath: settings["--spool"]!, configuration: configuration)

// Rejected events need a person: log them, fix them, report them again.
let rejections = Task {
    for await rejected in await reporter.rejections() {
        print("REJECTED \(rejected.event.eventID): \(rejected.field): \(rejected.reason)")
    }
}

// 4. The case's life, as the approval system sees it. Each event says when
//    it happened; the reporter gives each a time-ordered event id.
let start = Date().addingTimeInterval(-3600)
func at(minutes: Double) -> Timestamp { Timestamp(start.addingTimeInterval(minutes * 60)) }
func event(_ minutes: Double, _ kind: CaseEvent.Kind) -> CaseEvent {
    CaseEvent(caseID: caseID, occurredAt: at(minutes: minutes), kind: kind)
}

let applicant = Applicant(
    type: .person, name: "张三", idType: .residentIDCard, idNumber: "330101199001011234")
let life: [CaseEvent] = [
    event(0, .received(CaseReceived(
        itemCode: settings["--item"]!, applicant: applicant, channel: .counter,
        title: "建设用地规划许可证核发"))),
    event(5, .accepted(CaseAccepted(handler: "李四"))),
    event(10, .stepCompleted(StepCompleted(
        step: .undertake, handler: "李四", opinion: "符合条件，拟同意", outcome: .pass))),
    event(15, .stepCompleted(StepCompleted(
        step: .review, handler: "王五", opinion: "同意", outcome: .pass))),
    event(20, .stepCompleted(StepCompleted(
        step: .approve, handler: "赵局长", opinion: "准予许可", outcome: .pass))),
    event(25, .concluded(CaseConcluded(
        result: .approved, certificateName: "建设用地规划许可证",
        certificateNumber: "地字第\(caseID)号"))),
    event(40, .delivered(CertificateDelivered(method: .inPerson, recipient: "张三"))),
]
let ids = try await reporter.report(contentsOf: life)
print("spooled \(ids.count) events for case \(caseID)")

// 5. A correction: the acceptance really happened two minutes earlier. Same
//    event id, a higher revision; the server keeps both in the case history.
var corrected = life[1]
corrected.eventID = ids[1]
corrected.revision = 1
corrected.occurredAt = at(minutes: 3)
try await reporter.report(corrected)

// 6. Wait until the server has acknowledged everything.
do {
    try await reporter.flush(timeout: .seconds(30))
} catch {
    print("not everything was acknowledged: \(error)")
}
let backlog = await reporter.backlog
print("acknowledged \(backlog.acknowledged) events; \(backlog.rejected) rejected")

// 7. What the server made of the case: its state, deadlines and alerts.
let view = try await client.cases.getCase(
    GetCaseRequest(departmentCode: department, caseID: caseID))
let state = view.summary?.state ?? .unspecified
print("case \(caseID): \(state), \(view.timeline.count) timeline entries")
for deadline in view.deadlines {
    print("  deadline \(deadline.kind): \(deadline.dueDate) (\(deadline.limitDays) days)")
}
for alert in view.alerts {
    print("  alert \(alert.level) \(alert.rule): \(alert.description)")
}

// 8. Optionally, watch the department's alerts for a while, as a dashboard
//    would (resuming exactly after any disconnect).
if let seconds = Double(settings["--watch"]!), seconds > 0 {
    var watch = AlertWatcher.Configuration()
    watch.filter = AlertFilter(departmentCodes: [department])
    let watcher = AlertWatcher(client: client, start: .snapshot, configuration: watch)
    let watching = Task {
        for try await update in watcher {
            switch update {
            case .snapshot(let snapshot):
                print("alerts now: \(snapshot.alerts.count) at position \(snapshot.position)")
            case .transition(let transition):
                let alert = transition.alert ?? Alert()
                print("alert \(alert.alertID) \(alert.level): \(transition.kind)")
            case .heartbeat(let position):
                print("no news up to \(position)")
            }
        }
    }
    try await Task.sleep(for: .seconds(seconds))
    watching.cancel()
    try? await watching.value
}

await reporter.close()
rejections.cancel()
await client.close()
