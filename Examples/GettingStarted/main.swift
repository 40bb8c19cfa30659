// Getting started with ClientKit: report one case from receipt to delivery,
// then read back what the server made of it.
//
//   swift run GettingStarted --host 127.0.0.1 --port 50051 \
//       --token-file department.token --spool ./spool.sqlite
//
// The token must be a department token of the department the events name,
// made by the centre's administrator (`monctl tokens create`).

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
    let token = try? String(contentsOfFile: tokenFile, encoding: .utf8),
    let port = Int(settings["--port"]!)
else {
    print("give --token-file with the department's secret in it, and a numeric --port")
    exit(2)
}

let example = Example(
    spool: settings["--spool"]!, department: settings["--department"]!,
    item: settings["--item"]!, caseID: settings["--case"]!,
    watchSeconds: Double(settings["--watch"]!) ?? 0)
let client = MonitorClient(host: settings["--host"]!, port: port, token: token)
do {
    try await example.run(client)
} catch {
    print("failed: \(error)")
    exit(1)
}
await client.close()

/// What the example reports, and where it keeps its spool.
struct Example {
    var spool: String
    var department: String
    var item: String
    var caseID: String
    var watchSeconds: Double

    func run(_ client: MonitorClient) async throws {
        // 2. Who does the server say this token is? A department token reports
        //    only its own department's cases.
        let me = try await client.admin.getServerInfo(GetServerInfoRequest())
        print("connected as \(me.callerName) (\(me.callerRole)) of \(me.callerDepartmentCode)")
        guard me.callerDepartmentCode == department else {
            throw MonitorError(
                code: .permissionDenied,
                message: "the token reports for \(me.callerDepartmentCode), not \(department)")
        }

        // 3. The reporter: every event goes to the local spool first, then to
        //    the server. Events an earlier run left unacknowledged go too.
        var configuration = EventReporter.Configuration()
        configuration.departmentCode = department
        let reporter = try EventReporter(
            client: client, spoolPath: spool, configuration: configuration)

        // Rejected events need a person: log them, fix them, report them again.
        let rejections = Task {
            for await rejected in await reporter.rejections() {
                print("REJECTED \(rejected.event.eventID): \(rejected.field): \(rejected.reason)")
            }
        }

        // 4. The case's life, as the approval system sees it. Each event says
        //    when it happened; the reporter gives each a time-ordered event id.
        let start = Date().addingTimeInterval(-3600)
        func at(minutes: Double) -> Timestamp { Timestamp(start.addingTimeInterval(minutes * 60)) }
        func event(_ minutes: Double, _ kind: CaseEvent.Kind) -> CaseEvent {
            CaseEvent(caseID: caseID, occurredAt: at(minutes: minutes), kind: kind)
        }
        let applicant = Applicant(
            type: .person, name: "张三", idType: .residentIDCard, idNumber: "330101199001011234")
        let life: [CaseEvent] = [
            event(0, .received(CaseReceived(
                itemCode: item, applicant: applicant, channel: .counter,
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

        // 5. A correction: the acceptance really happened two minutes earlier.
        //    Same event id, a higher revision; the case keeps both in its history.
        var corrected = life[1]
        corrected.eventID = ids[1]
        corrected.revision = 1
        corrected.occurredAt = at(minutes: 3)
        try await reporter.report(corrected)

        // 6. Wait until the server has acknowledged everything, then stop.
        try await reporter.flush(timeout: .seconds(30))
        let backlog = await reporter.backlog
        print("acknowledged \(backlog.acknowledged) events; \(backlog.rejected) rejected")
        await reporter.close()
        rejections.cancel()

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

        // 8. Optionally, watch the department's alerts for a while, as a
        //    dashboard would: a snapshot first, then every change as it happens.
        guard watchSeconds > 0 else { return }
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
        try await Task.sleep(for: .seconds(watchSeconds))
        watching.cancel()
        try? await watching.value
    }
}
