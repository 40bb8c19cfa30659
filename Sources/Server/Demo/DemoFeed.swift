import Engine
import Foundation
import Interchange
import Messages
import Services
import Store
import Transport

/// The demo: a county's catalogue and a feed of realistic cases, reported
/// through the server's own gRPC interface, so that a newcomer sees
/// warnings, yellow and red cards appear within a minute.
///
/// The demo runs on a `DemoClock`: it races through two weeks of history
/// (the feed reports each event as it happens, and thresholds pass as time
/// flies), then slows down ten minutes before midnight of a working day, so
/// that the deadlines ending that day are seen passing live.
struct DemoFeed {
    let runtime: Runtime
    let port: Int
    let catalogueFile: String
    let dataDirectory: String
    /// The real time the server started at, which the demo's days follow.
    let realNow: Instant

    /// The demo clock for a server started at `now`: from 08:00 a fortnight
    /// back, at 60,000 times real time (about 20 seconds), to 23:50 on the
    /// latest working day, then at `speed` times real time.
    static func clock(now: Instant, calendar: WorkingCalendar, speed: Double) -> DemoClock {
        var day = now.localDate
        while !calendar.isWorkingDay(day).value { day = day.adding(days: -1) }
        let catchUp = day.endInstant.adding(seconds: -600)
        let start = day.adding(days: -14).startInstant.adding(seconds: 8 * 3600)
        return DemoClock(start: start, catchUp: catchUp, fastSpeed: 60_000, speed: speed)
    }

    /// The last instant the feed reports events for: forty minutes after the
    /// clock slows down; cases still open then stay open and cross their
    /// deadlines.
    static func feedEnd(now: Instant, calendar: WorkingCalendar) -> Instant {
        var day = now.localDate
        while !calendar.isWorkingDay(day).value { day = day.adding(days: -1) }
        return day.endInstant.adding(seconds: 1800)
    }

    /// Loads the catalogue if the store has none, makes the demo's tokens,
    /// reports the backlog, then keeps reporting live events until
    /// cancelled.
    func run() async {
        let log = runtime.log.component("demo")
        do {
            try await loadCatalogue()
            let tokens = try await makeTokens()
            let now = runtime.clock.now()
            let context = runtime.catalogue.current.context
            let plan = DemoPlan(
                context: context, start: now,
                end: Self.feedEnd(now: realNow, calendar: context.calendar),
                runTag: String(realNow.millisecondsSinceEpoch / 1000 % 100_000))
            log.info(
                "demo feed starting",
                ["cases": plan.caseCount, "events": plan.events.count,
                 "watch": "monctl --server 127.0.0.1:\(port) --token-file "
                    + "\(dataDirectory)/supervisor.token alerts watch"])
            try await send(plan.events, tokens: tokens, log: log)
            log.info("demo feed finished its script; the clock and the rules go on")
        } catch is CancellationError {
        } catch {
            log.error("demo feed stopped", ["error": error])
        }
    }

    private func loadCatalogue() async throws {
        guard runtime.catalogue.current.document.departments.isEmpty else { return }
        let text = try String(contentsOfFile: catalogueFile, encoding: .utf8)
        let document = try CatalogueDocument(jsonString: text)
        let book = runtime.catalogue
        let core = runtime.core
        let clock = runtime.clock
        try await runtime.write { transaction in
            let now = clock.now()
            let snapshot = try book.snapshot(document, version: book.latest.version + 1, at: now)
            try CatalogueBook.store(snapshot, by: "demo", note: "demo county", transaction)
            _ = try core.changeContext(
                snapshot.context, version: snapshot.version,
                reason: .catalogueChanged(version: Int(snapshot.version)), transaction, now: now)
            book.stage(snapshot)
        }
    }

    /// One token per department for the feed, and a supervisor's and a
    /// dashboard's written to the data directory for the command line.
    private func makeTokens() async throws -> [String: String] {
        let departments = runtime.catalogue.current.document.departments.map(\.code)
        let clock = runtime.clock
        let (secrets, supervisor, dashboard) = try await runtime.write { transaction in
            let now = clock.now()
            var secrets: [String: String] = [:]
            for code in departments {
                let (record, secret) = Tokens.make(
                    name: "demo feed \(code)", role: .department, department: code,
                    by: "demo", at: now)
                try transaction.insertToken(record)
                secrets[code] = secret
            }
            let (supervisorRecord, supervisor) = Tokens.make(
                name: "demo supervisor", role: .supervisor, department: "", by: "demo", at: now)
            try transaction.insertToken(supervisorRecord)
            let (dashboardRecord, dashboard) = Tokens.make(
                name: "demo dashboard", role: .dashboard, department: "", by: "demo", at: now)
            try transaction.insertToken(dashboardRecord)
            return (secrets, supervisor, dashboard)
        }
        for (name, secret) in [("supervisor", supervisor), ("dashboard", dashboard)] {
            _ = FileManager.default.createFile(
                atPath: "\(dataDirectory)/\(name).token", contents: Data((secret + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        }
        return secrets
    }

    /// Reports each event when the demo clock reaches its send instant, over
    /// one stream per department, as a department's system would.
    private func send(_ events: [DemoPlan.Scheduled], tokens: [String: String], log: Logger)
        async throws
    {
        let channel = GRPCChannel(host: "127.0.0.1", port: port)
        defer { Task { await channel.close() } }
        var byDepartment: [String: [DemoPlan.Scheduled]] = [:]
        for event in events { byDepartment[event.event.departmentCode, default: []].append(event) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (department, scheduled) in byDepartment {
                guard let secret = tokens[department] else { continue }
                let client = RPCClient(
                    channel: channel, metadata: ["authorization": .string("Bearer \(secret)")])
                let clock = runtime.clock
                group.addTask {
                    let call = try await client.streaming(IntakeService.reportEvents)
                    let reader = Task {
                        var rejected = 0
                        for try await ack in call.responses where ack.status == .rejected {
                            rejected += 1
                            log.warning(
                                "demo event rejected",
                                ["event": ack.eventID, "field": ack.field, "reason": ack.reason])
                        }
                        return rejected
                    }
                    for item in scheduled.sorted(by: { $0.sendAt < $1.sendAt }) {
                        try await clock.sleep(until: item.sendAt)
                        try await call.send(item.event)
                    }
                    try await call.finishSending()
                    _ = try await reader.value
                }
            }
            try await group.waitForAll()
        }
    }
}
