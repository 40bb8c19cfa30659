import Engine
import Messages
import Services
import Store
import Testing
import Transport

@testable import Server

/// Watching alerts: resuming after a disconnect misses nothing and repeats
/// nothing; a position the server no longer keeps, and a watcher that reads
/// too slowly, are told so with what to do next.
@Suite("Watching alerts", .timeLimit(.minutes(3)))
struct WatchTests {
    /// Reports `count` health cases received and accepted on days before the
    /// server's clock, each of which raises several alerts at once.
    private func reportCases(
        _ server: TestServer, _ department: RPCClient, from first: Int, count: Int
    ) async throws {
        var events: [Messages.CaseEvent] = []
        for number in first..<(first + count) {
            let script = CaseScript(department: Demo.health, caseID: "W-\(number)")
            let day = 17 + number % 10
            events.append(
                script.received(
                    "w\(number)-r", at: local("2026-02-\(day)T09:00"), item: Demo.healthItem))
            events.append(script.accepted("w\(number)-a", at: local("2026-02-\(day)T10:00")))
        }
        let acks = try await server.report(events, as: department)
        guard acks.allSatisfy({ $0.status == .accepted }) else {
            let refused = acks.filter { $0.status != .accepted }
            throw HarnessError("not every event was accepted: \(refused)")
        }
    }

    /// Reports `count` cases spread over every department of the demo
    /// catalogue, each for the department's first item, received and
    /// accepted weeks before the server's clock.
    private func reportCasesEverywhere(
        _ server: TestServer, _ systems: [(client: RPCClient, item: Messages.Item)],
        from first: Int, count: Int
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, system) in systems.enumerated() {
                group.addTask {
                    var events: [Messages.CaseEvent] = []
                    let numbers = stride(
                        from: first + index, to: first + count, by: systems.count)
                    for number in numbers {
                        let script = CaseScript(
                            department: system.item.departmentCode, caseID: "E-\(number)")
                        let day = 10 + number % 10
                        events.append(
                            script.received(
                                "e\(number)-r", at: local("2026-02-\(day)T09:00"),
                                item: system.item.code))
                        events.append(
                            script.accepted("e\(number)-a", at: local("2026-02-\(day)T10:00")))
                    }
                    let acks = try await server.report(events, as: system.client)
                    guard acks.allSatisfy({ $0.status == .accepted }) else {
                        let refused = acks.filter { $0.status != .accepted }
                        throw HarnessError("events refused: \(refused)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Every alert as `ListAlerts` pages them.
    private func listAll(_ client: RPCClient) async throws -> [Messages.Alert] {
        var all: [Messages.Alert] = []
        var request = ListAlertsRequest()
        request.pageSize = 200
        repeat {
            let page = try await client.unary(AlertService.listAlerts, request)
            all += page.alerts
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return all
    }

    @Test func aWatcherThatReconnects100TimesSeesEveryTransitionOnceInOrder() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            let reconnections = SharedCounter()

            // The producer: cases whose alerts are raised as they arrive,
            // and the clock moving on so that the scheduler raises more.
            let producer = Task {
                var batch = 0
                var day = local("2026-03-02T12:00")
                while reconnections.value < 100 {
                    try await reportCases(server, department, from: batch * 4, count: 4)
                    batch += 1
                    day = day.adding(seconds: 86_400)
                    try await server.advance(to: day)
                }
                return batch
            }

            var generator = SeededGenerator(seed: 20_260_302)
            var seen: [Messages.AlertTransition] = []
            var last: UInt64 = 0
            var producing = true
            var finalPosition: UInt64 = .max
            while true {
                var request = WatchAlertsRequest()
                request.afterSequence = last
                request.heartbeatSeconds = 1
                let stream = try await supervisor.serverStreaming(
                    AlertService.watchAlerts, request, timeout: .seconds(60))
                // Cut the stream off after a random number of messages,
                // sometimes before reading any.
                let cutAfter = Int.random(in: 0...12, using: &generator)
                var read = 0
                do {
                    for try await response in stream {
                        if read >= cutAfter { break }
                        read += 1
                        switch response.message {
                        case .transition(let transition):
                            #expect(transition.sequence > last, "no repeat, no step back")
                            seen.append(transition)
                            last = transition.sequence
                        case .heartbeat(let beat):
                            #expect(beat.position >= last)
                            last = max(last, beat.position)
                        case nil:
                            Issue.record("an empty watch message")
                        }
                        if last >= finalPosition { break }
                    }
                } catch {
                    Issue.record("the watch failed: \(error)")
                }
                stream.cancel()
                reconnections.increment()

                if producing, reconnections.value >= 100 {
                    _ = try await producer.value
                    producing = false
                    finalPosition = try await supervisor.unary(
                        AlertService.listAlerts, ListAlertsRequest()
                    ).position
                }
                if !producing, last >= finalPosition { break }
            }

            let log = try await server.alertLog()
            #expect(log.count > 300, "alerts were produced throughout: \(log.count)")
            #expect(seen.map(\.sequence) == Array(1...UInt64(log.count)))
            #expect(seen.map(\.sequence) == log.map(\.sequence))
            #expect(seen.map { $0.alert?.alertID } == log.map { $0.alert?.alertID })
            #expect(seen.map(\.kind) == log.map(\.kind))
            #expect(log.contains { $0.kind == .raised && $0.alert?.level == .red })

            // The last transition seen of each alert is the alert as listed.
            var latest: [String: Messages.AlertTransition] = [:]
            for transition in seen { latest[transition.alert?.alertID ?? ""] = transition }
            let listed = try await listAll(supervisor)
            #expect(listed.count == latest.count)
            for alert in listed {
                #expect(latest[alert.alertID]?.sequence == alert.sequence)
                #expect(latest[alert.alertID]?.alert?.status == alert.status)
            }
        }
    }

    @Test func aPositionNoLongerKeptIsOutOfRangeWithTheOldestKept() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            try await reportCases(server, department, from: 0, count: 10)
            let log = try await server.alertLog()
            let end = try #require(log.last?.sequence)
            #expect(end > 20)

            let pruned = try await server.server.runtime.store.pruneAlertLog(
                .newest(10), now: server.clock.now().millisecondsSinceEpoch)
            #expect(pruned == Int(end) - 10)
            let oldest = end - 9

            let stale = try await AlertFeed(supervisor, after: 1)
            let error = try await stale.waitForEnd() as? RPCError
            #expect(error?.code == .outOfRange)
            #expect(error?.metadata["monitor-oldest-sequence"] == String(oldest))
            #expect(error?.message.contains("\(oldest)") == true, "\(error?.message ?? "")")

            // Resuming from just before the oldest kept works, and so does
            // asking for "from the oldest kept" with 0.
            for after in [oldest - 1, 0] {
                let feed = try await AlertFeed(supervisor, after: after)
                defer { feed.cancel() }
                try await feed.wait(for: "the kept transitions") { $0.count == 10 }
                _ = try await feed.waitForNextHeartbeat()
                #expect(feed.transitions.map(\.sequence) == Array(oldest...end))
            }
        }
    }

    @Test func aWatcherTooSlowToReadIsCutOffWithWhereToResume() async throws {
        try await withTestServer { server in
            let supervisor = try await server.client(.supervisor).client
            var systems: [(client: RPCClient, item: Messages.Item)] = []
            for department in try demoCatalogue().departments {
                let item = try #require(
                    try demoCatalogue().items.first { $0.departmentCode == department.code })
                systems.append((try await server.department(department.code), item))
            }

            // Attached, then never read while thousands of transitions are
            // produced: HTTP/2 flow control stops the server's sends, and
            // the server's buffer for this watcher fills.
            var request = WatchAlertsRequest()
            request.liveOnly = true
            request.heartbeatSeconds = 60
            let slow = try await supervisor.serverStreaming(
                AlertService.watchAlerts, request, timeout: .seconds(120))
            _ = await eventually { server.server.runtime.hub.subscriberCount == 1 }
            let capacity = server.server.runtime.hub.capacity
            var cases = 0
            while server.server.runtime.hub.position < UInt64(capacity + 2_000) {
                try await reportCasesEverywhere(server, systems, from: cases, count: 400)
                cases += 400
            }

            var received: [Messages.AlertTransition] = []
            var ending: RPCError?
            do {
                for try await response in slow {
                    if case .transition(let transition) = response.message {
                        received.append(transition)
                    }
                }
            } catch let error as RPCError {
                ending = error
            }
            #expect(ending?.code == .resourceExhausted)
            let resume = try #require(
                ending?.metadata["monitor-resume-after"].flatMap { UInt64($0) },
                "the trailer says where to resume: \(String(describing: ending))")
            #expect(received.last?.sequence == resume, "everything up to it was delivered")
            #expect(received.map(\.sequence) == Array(1...resume))
            #expect(ending?.message.contains("resume after sequence \(resume)") == true)

            // Resuming from there delivers the rest with no gap.
            let total = UInt64(try await server.alertLog().count)
            let feed = try await AlertFeed(supervisor, after: resume)
            defer { feed.cancel() }
            try await feed.wait(timeout: .seconds(60), for: "the rest of the log") {
                $0.last?.sequence == total
            }
            #expect(feed.transitions.map(\.sequence) == Array((resume + 1)...total))
        }
    }
}
