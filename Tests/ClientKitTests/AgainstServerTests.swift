import ClientKit
import Foundation
import Testing

extension RealPeers {
    /// The reporter, the watcher and the getting-started example against a real
    /// monitord, killed and restarted while they work.
    @Suite("Against monitord", .timeLimit(.minutes(4)))
    struct AgainstServerTests {
        /// Events of `cases` cases, each received, accepted, handled and
        /// concluded, in an order the server finds natural.
        private func caseEvents(cases: Int, prefix: String) -> [CaseEvent] {
            var events: [CaseEvent] = []
            let start = Date().addingTimeInterval(-3 * 3600)
            for step in 0..<4 {
                for number in 0..<cases {
                    var event = CaseEvent(
                        eventID: "\(prefix)-\(number)-\(step)",
                        departmentCode: ServerProcess.department, caseID: "\(prefix)-\(number)",
                        occurredAt: Timestamp(
                            start.addingTimeInterval(Double(step * 600 + number))))
                    switch step {
                    case 0:
                        event.kind = .received(CaseReceived(
                            itemCode: ServerProcess.item,
                            applicant: Applicant(type: .person, name: "张三"), channel: .online,
                            title: "申请 \(number)"))
                    case 1:
                        event.kind = .accepted(CaseAccepted(handler: "李四"))
                    case 2:
                        event.kind = .stepCompleted(StepCompleted(
                            step: .undertake, handler: "李四", opinion: "同意", outcome: .pass))
                    default:
                        event.kind = .concluded(CaseConcluded(
                            result: .approved, certificateName: "许可证",
                            certificateNumber: "No.\(number)"))
                    }
                    events.append(event)
                }
            }
            return events
        }

        @Test func theReporterLosesNothingWhileTheServerIsKilledAndRestarted() async throws {
            let directory = try TemporaryDirectory()
            let server = try await ServerProcess.start(in: directory)
            let token = try await server.makeToken(.department, name: "approval system")
            let client = MonitorClient(host: "127.0.0.1", port: server.port, token: token)
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(window: 64))

            // Reporting takes about two seconds; the server is killed three
            // times while it goes on, each time once some events got through.
            let events = caseEvents(cases: 150, prefix: "k")
            let reported = Flag()
            let reporting = Task {
                for chunk in stride(from: 0, to: events.count, by: 20) {
                    try await reporter.report(contentsOf: Array(events[chunk..<chunk + 20]))
                    try await Task.sleep(for: .milliseconds(60))
                }
                reported.set()
            }
            for round in 1...3 {
                try await eventually("\(round * 40) events acknowledged") {
                    await reporter.backlog.acknowledged >= round * 40
                }
                if round == 1 {
                    #expect(!reported.isSet, "the server dies while events are still coming")
                }
                await server.kill()
                try await Task.sleep(for: .milliseconds(100))
                try await server.restart()
            }
            try await reporting.value
            try await reporter.flush(timeout: .seconds(90))
            #expect(await reporter.backlog.rejected == 0)
            await reporter.close()

            // Every case holds its four events, each once.
            var missing: [String] = []
            for number in 0..<150 {
                let ids = try await server.timeline(client, caseID: "k-\(number)")
                let expected = (0..<4).map { "k-\(number)-\($0)" }
                if ids.sorted() != expected { missing.append("k-\(number): \(ids)") }
            }
            #expect(missing.isEmpty, "cases whose timeline is not exactly their events: \(missing)")
            await client.close()
            await server.kill()
        }

        @Test func aKilledReporterProcessLosesNothingItSpooled() async throws {
            let directory = try TemporaryDirectory()
            let server = try await ServerProcess.start(in: directory)
            let token = try await server.makeToken(.department, name: "approval system")
            let spool = directory.path("spool.sqlite")
            func probe(_ extra: [String]) throws -> ChildProcess {
                try ChildProcess(
                    try productPath("ReporterProbe"),
                    ["--port", String(server.port), "--token", token, "--spool", spool] + extra,
                    name: "ReporterProbe")
            }

            let first = try probe(["--count", "400", "--prefix", "q"])
            _ = try await first.line(startingWith: "SPOOLED 120", timeout: .seconds(60))
            await first.kill()
            let lastSpooled = first.lines.compactMap { line -> Int? in
                line.hasPrefix("SPOOLED ") ? Int(line.dropFirst("SPOOLED ".count)) : nil
            }.max() ?? 0
            let second = try probe(["--count", "0", "--flush"])
            _ = try await second.line(startingWith: "FLUSHED", timeout: .seconds(60))
            #expect(await second.waitForExit() == 0)

            // The probe spreads events 1, 2, 3, ... over seven cases by n mod 7.
            let client = MonitorClient(host: "127.0.0.1", port: server.port, token: token)
            var stored: [String] = []
            for number in 0..<7 {
                stored += try await server.timeline(client, caseID: "2026-000\(number)")
            }
            let numbers = stored.compactMap { Int($0.dropFirst("q-".count)) }.sorted()
            #expect(Set(numbers).count == numbers.count, "no event is stored twice")
            #expect(numbers.count >= lastSpooled)
            #expect(numbers == Array(1...max(numbers.count, 1)).prefix(numbers.count).map { $0 })
            await client.close()
            await server.kill()
        }

        @Test func theWatcherResumesExactlyAcrossAServerRestart() async throws {
            let directory = try TemporaryDirectory()
            let server = try await ServerProcess.start(in: directory)
            let supervisorToken = try await server.makeToken(.supervisor, name: "supervisor")
            let supervisor = MonitorClient(
                host: "127.0.0.1", port: server.port, token: supervisorToken)
            func issueCards(_ range: ClosedRange<Int>) async throws {
                for n in range {
                    _ = try await supervisor.alerts.issueManualCard(IssueManualCardRequest(
                        departmentCode: ServerProcess.department, caseID: "card-\(n)",
                        level: .yellow, reason: "manual card \(n)"))
                }
            }
            try await issueCards(1...20)

            let positionFile = directory.url.appendingPathComponent("watch.position")
            var configuration = AlertWatcher.Configuration()
            configuration.backoff = quickBackoff
            configuration.heartbeatSeconds = 1
            let watcher = try AlertWatcher(
                client: supervisor, positionFile: positionFile, configuration: configuration)

            var notes: [String] = []
            var iterator = watcher.makeAsyncIterator()
            while notes.count < 20 {
                if case .transition(let transition)? = try await iterator.next() {
                    notes.append(transition.note)
                }
            }
            try watcher.savePosition()

            // The server dies; cards issued after it is back are seen once each.
            await server.kill()
            try await server.restart()
            try await issueCards(21...35)
            while notes.count < 35 {
                if case .transition(let transition)? = try await iterator.next() {
                    notes.append(transition.note)
                }
            }
            #expect(notes.count == 35)
            for n in 1...35 {
                #expect(notes.filter { $0 == "manual card \(n)" }.count == 1,
                        "card \(n) seen exactly once")
            }

            // A new watcher from the saved position starts after card 20.
            let resumed = try AlertWatcher(
                client: supervisor, positionFile: positionFile, configuration: configuration)
            var next = resumed.makeAsyncIterator()
            var first: AlertTransition?
            while first == nil {
                if case .transition(let transition)? = try await next.next() { first = transition }
            }
            #expect(first?.note == "manual card 21")
            await supervisor.close()
            await server.kill()
        }

        @Test func theGettingStartedExampleRunsAgainstTheServer() async throws {
            let directory = try TemporaryDirectory()
            let server = try await ServerProcess.start(in: directory)
            let token = try await server.makeToken(.department, name: "vendor example")
            let tokenFile = directory.path("department.token")
            try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)

            let example = try ChildProcess(
                try productPath("GettingStarted"),
                ["--port", String(server.port), "--token-file", tokenFile,
                 "--spool", directory.path("example-spool.sqlite"), "--case", "2026-0001",
                 "--department", ServerProcess.department, "--item", ServerProcess.item,
                 "--watch", "1"],
                name: "GettingStarted")
            let status = await example.waitForExit(timeout: .seconds(60))
            let output = example.lines
            #expect(status == 0, "exit status; output:\n\(output.joined(separator: "\n"))")
            #expect(output.contains("spooled 7 events for case 2026-0001"))
            #expect(output.contains("acknowledged 8 events; 0 rejected"))
            #expect(output.contains {
                $0.hasPrefix("case 2026-0001: delivered, 8 timeline entries")
            })
            #expect(output.contains { $0.hasPrefix("  deadline promised:") })
            #expect(output.contains { $0.hasPrefix("alerts now: ") })
            await server.kill()
        }
    }
}
