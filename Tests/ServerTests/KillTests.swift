import Engine
import Foundation
import Messages
import Services
import Store
import Synchronization
import Testing
import Transport

/// `monitord` killed with SIGKILL at random moments while a department
/// streams events and a supervisor watches: nothing acknowledged is lost,
/// nothing is recorded twice, and the alert log has no gap.
@Suite("monitord killed mid-stream", .timeLimit(.minutes(4)))
struct KillTests {
    /// Enough cases that the stream is still sending at the last kill.
    static let cases = 300

    /// The events of `cases` health cases, received and accepted weeks ago
    /// and one step done since, in the order a system would send them.
    static func plannedEvents(cases: Int) -> [Messages.CaseEvent] {
        let now = Int64(Date().timeIntervalSince1970)
        var events: [Messages.CaseEvent] = []
        for number in 0..<cases {
            let script = CaseScript(department: Demo.health, caseID: "K-\(number)")
            let received = Instant(secondsSinceEpoch: now - 86_400 * Int64(20 + number % 15))
            events.append(script.received("k\(number)-r", at: received, item: Demo.healthItem))
            events.append(script.accepted("k\(number)-a", at: received.adding(seconds: 3_600)))
            var step = StepCompleted()
            step.step = .undertake
            step.handler = "Handler Wang"
            step.opinion = "in order"
            step.outcome = .pass
            events.append(
                script.event(
                    "k\(number)-s", at: received.adding(seconds: 86_400 * 3), .stepCompleted(step)))
        }
        return events
    }

    /// What the department's system knows: which events the server
    /// acknowledged as recorded.
    final class Ledger: Sendable {
        private let acknowledged = Mutex<Set<String>>([])
        let accepted = SharedCounter()
        let duplicates = SharedCounter()

        func record(_ ack: EventAck) {
            switch ack.status {
            case .accepted: accepted.increment()
            case .duplicate: duplicates.increment()
            default: return
            }
            _ = acknowledged.withLock { $0.insert(ack.eventID) }
        }

        func contains(_ id: String) -> Bool { acknowledged.withLock { $0.contains(id) } }
        var count: Int { acknowledged.withLock { $0.count } }
    }

    /// Sends every event the ledger does not hold yet on one stream,
    /// recording acknowledgements, until the stream ends or fails.
    static func sendUnacknowledged(
        _ events: [Messages.CaseEvent], _ client: RPCClient, _ ledger: Ledger
    ) async {
        let pending = events.filter { !ledger.contains($0.eventID) }
        guard !pending.isEmpty else { return }
        do {
            let call = try await client.streaming(IntakeService.reportEvents)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for event in pending { try await call.send(event) }
                    try await call.finishSending()
                }
                for try await ack in call.responses {
                    if ack.status == .rejected || ack.status == .superseded {
                        Issue.record("event \(ack.eventID) was \(ack.status): \(ack.reason)")
                    }
                    ledger.record(ack)
                }
                group.cancelAll()
            }
        } catch {
            // The server was killed under the stream: what was acknowledged
            // is in the ledger; the rest is sent again next time.
        }
    }

    /// A supervisor's watch resumed after `position` on `port` until the
    /// server dies or the watch reaches `until`; returns the sequences seen.
    static func watch(
        port: Int, secret: String, after position: UInt64, until: UInt64 = .max
    ) async -> [UInt64] {
        let channel = GRPCChannel(host: "127.0.0.1", port: port)
        let client = RPCClient(channel: channel, metadata: bearer(secret))
        var seen: [UInt64] = []
        do {
            var request = WatchAlertsRequest()
            request.afterSequence = position
            request.heartbeatSeconds = 1
            let stream = try await client.serverStreaming(
                AlertService.watchAlerts, request, timeout: .seconds(120))
            for try await response in stream {
                if case .transition(let transition) = response.message {
                    seen.append(transition.sequence)
                }
                if (seen.last ?? position) >= until { break }
                if case .heartbeat(let beat) = response.message, beat.position >= until { break }
            }
            stream.cancel()
        } catch {
            // The server died; the caller resumes after the last sequence.
        }
        await channel.close()
        return seen
    }

    @Test func acknowledgedEventsSurviveTwentyKills() async throws {
        let data = temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(at: data) }
        var server = try await Monitord(dataDirectory: data)
        defer { server.process.killNow() }

        // Catalogue and tokens, set up once; they survive every restart.
        let adminSecret = try server.adminSecret
        var channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let admin = RPCClient(
            channel: channel, metadata: bearer(adminSecret),
            defaultTimeout: .seconds(30))
        try await admin.loadDemoCatalogue()
        let departmentSecret = try await admin.tokenSecret(
            "health system", .department, department: Demo.health)
        let supervisorSecret = try await admin.tokenSecret("watcher", .supervisor)
        await channel.close()

        let events = Self.plannedEvents(cases: Self.cases)
        let ledger = Ledger()
        var watched: [UInt64] = []
        var generator = SeededGenerator(seed: 7_700_000)
        var kills = 0

        for round in 0..<20 {
            if round > 0 { server = try await Monitord(dataDirectory: data) }
            channel = GRPCChannel(host: "127.0.0.1", port: server.port)
            let department = RPCClient(
                channel: channel, metadata: bearer(departmentSecret),
                defaultTimeout: .seconds(30))
            let port = server.port
            let resumeAfter = watched.last ?? 0
            let watcher = Task {
                await Self.watch(port: port, secret: supervisorSecret, after: resumeAfter)
            }
            let sender = Task { await Self.sendUnacknowledged(events, department, ledger) }

            try await Task.sleep(for: .milliseconds(Int.random(in: 30...400, using: &generator)))
            server.process.signal(SIGKILL)
            _ = try await server.process.waitForExit(timeout: .seconds(20))
            #expect(server.process.endedBySignal, "round \(round): the kill, not a clean exit")
            kills += 1
            await sender.value
            watched += await watcher.value
            await channel.close()
        }
        #expect(kills == 20)

        // The last start: everything not acknowledged is sent once more.
        server = try await Monitord(dataDirectory: data)
        channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let department = RPCClient(
            channel: channel, metadata: bearer(departmentSecret),
            defaultTimeout: .seconds(30))
        await Self.sendUnacknowledged(events, department, ledger)
        #expect(ledger.count == events.count, "every event is acknowledged in the end")
        #expect(ledger.accepted.value + ledger.duplicates.value >= events.count)

        // The watcher, resumed from its last position, sees the log through.
        let supervisor = RPCClient(
            channel: channel, metadata: bearer(supervisorSecret),
            defaultTimeout: .seconds(30))
        let position = try await supervisor.unary(
            AlertService.listAlerts, ListAlertsRequest()
        ).position
        watched += await Self.watch(
            port: server.port, secret: supervisorSecret, after: watched.last ?? 0,
            until: position)
        #expect(position > 0)
        #expect(watched == Array(1...position), "the resumed watch saw no gap and no repeat")

        // Each case's timeline holds each of its events exactly once.
        for number in 0..<Self.cases {
            let view = try await supervisor.unary(
                CaseService.getCase,
                GetCaseRequest(departmentCode: Demo.health, caseID: "K-\(number)"))
            let ids = view.timeline.compactMap { $0.event?.eventID }
            #expect(ids.sorted() == ["k\(number)-a", "k\(number)-r", "k\(number)-s"], "K-\(number)")
        }
        await channel.close()
        server.process.signal(SIGTERM)
        #expect(try await server.process.waitForExit(timeout: .seconds(30)) == 0)

        // The file itself: one row per event, and an alert log numbered
        // 1, 2, 3, ... with nothing missing.
        var readOnly = Store.Configuration()
        readOnly.readOnly = true
        let store = try Store(directory: data, configuration: readOnly)
        let stored = try await store.read { transaction in
            try (0..<Self.cases).flatMap { number in
                try transaction.events(department: Demo.health, caseID: "K-\(number)")
                    .map(\.event.eventID)
            }
        }
        #expect(stored.count == events.count)
        #expect(Set(stored) == Set(events.map(\.eventID)))
        let sequences = try await store.read { transaction in
            var all: [UInt64] = []
            var after: UInt64 = 0
            while true {
                let page = try transaction.alertLog(after: after, limit: 500)
                all += page.entries.map(\.sequence)
                if page.entries.count < 500 { break }
                after = page.position
            }
            return all
        }
        #expect(sequences == Array(1...UInt64(sequences.count)))
        #expect(UInt64(sequences.count) == position)
        await store.close()
    }
}
