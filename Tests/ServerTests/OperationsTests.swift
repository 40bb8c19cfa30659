import Engine
import Foundation
import Messages
import Services
import Testing
import Transport

@testable import Store

/// `monitord` as an operator meets it: its help, its refusals, and its
/// metrics endpoint.
@Suite("monitord operations", .timeLimit(.minutes(2)))
struct OperationsTests {
    @Test func helpListsEveryOptionAndExitsZero() async throws {
        let process = try ChildProcess(try Monitord.executable, ["--help"])
        defer { process.killNow() }
        #expect(try await process.waitForExit() == 0)
        let text = process.stdoutLines.joined(separator: "\n")
        #expect(text.contains("Usage: monitord [options]"))
        for option in [
            "--listen", "--data-dir", "--region", "--metrics-listen", "--log-level",
            "--alert-retention-days", "--shutdown-grace", "--config", "--help",
        ] {
            #expect(text.contains(option), "\(option) is in the help")
        }
        #expect(text.contains("SIGHUP"))
    }

    @Test(arguments: [
        (["--colour", "blue"], "--colour"),
        (["--region", "33"], "--region"),
        (["--listen"], "--listen needs a value"),
        (["--log-level", "loud"], "one of debug, info, warning, error"),
        (["data"], "unexpected argument \"data\""),
    ])
    func aBadCommandLineIsRefusedNamingWhatIsWrong(arguments: [String], named: String)
        async throws
    {
        let process = try ChildProcess(try Monitord.executable, arguments)
        defer { process.killNow() }
        let status = try await process.waitForExit()
        #expect(status != 0)
        let stderr = process.stderrLines.joined(separator: "\n")
        #expect(stderr.contains(named), "\(stderr)")
        #expect(process.stdoutLines.isEmpty, "nothing started")
    }

    @Test func aStoreWrittenByANewerBuildIsRefused() async throws {
        let data = temporaryDirectory("schema")
        defer { try? FileManager.default.removeItem(at: data) }
        let store = try Store(directory: data)
        await store.close()
        let newer = Store.schemaVersion + 1
        let connection = try Connection(path: data.appendingPathComponent(Store.fileName).path)
        try connection.execute("PRAGMA user_version = \(newer)")
        connection.close()

        let process = try ChildProcess(
            try Monitord.executable,
            ["--data-dir", data.path, "--listen", "127.0.0.1:0", "--metrics-listen", "off"])
        defer { process.killNow() }
        let status = try await process.waitForExit()
        #expect(status != 0)
        let stderr = process.stderrLines.joined(separator: "\n")
        #expect(stderr.contains("schema version \(newer)"), "\(stderr)")
        #expect(stderr.contains("newer build"))
        #expect(!process.stdoutLines.contains { $0.hasPrefix("monitord listening") })
    }

    /// The write-ahead log must be copied back into the database file as it
    /// grows; an operator sees that in two gauges. Until 2026-12-04 the
    /// background passes copied nothing, and nothing showed it.
    @Test func theMetricsShowTheLogCopiedBackAsItGrows() async throws {
        try await withMeteredServer("checkpoint-metrics") { _, metricsPort, _, department in
            var (page, passes) = ("", 0.0)
            let (status, first) = try httpGet(port: metricsPort, path: "/metrics")
            #expect(status == "HTTP/1.1 200 OK")
            #expect(sample(first, "monitor_store_checkpoint_passes") == 0)
            // The server wakes its checkpoint thread once the log holds 1,000
            // pages, which a round or two of these fills (each commit appends
            // every page it changed); cases received and accepted a minute ago,
            // so that no deadline or late report adds work.
            let now = Instant(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
            for round in 0..<12 where passes == 0 {
                let events = (0..<1_000).flatMap { number in
                    let script = CaseScript(department: Demo.health, caseID: "W-\(round)-\(number)")
                    return [
                        script.received("w-\(round)-\(number)-r", at: now, item: Demo.healthItem),
                        script.accepted("w-\(round)-\(number)-a", at: now),
                    ]
                }
                let call = try await department.streaming(IntakeService.reportEvents)
                var accepted = 0
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for event in events { try await call.send(event) }
                        try await call.finishSending()
                    }
                    for try await ack in call.responses where ack.status == .accepted {
                        accepted += 1
                    }
                    try await group.waitForAll()
                }
                #expect(accepted == events.count)
                // A pass runs on its own thread once woken: give it a moment.
                for _ in 0..<20 where passes == 0 {
                    page = try httpGet(port: metricsPort, path: "/metrics").body
                    passes = sample(page, "monitor_store_checkpoint_passes") ?? 0
                    if passes == 0 { try await Task.sleep(for: .milliseconds(50)) }
                }
            }
            #expect(passes > 0, "no background pass copied a page")
            #expect((sample(page, "monitor_store_log_pages") ?? 0) >= 1_000)
        }
    }

    @Test func theMetricsEndpointCountsEventsAlertsAndWatchers() async throws {
        try await withMeteredServer("metrics") { server, metricsPort, admin, department in
            let watch = try await AlertFeed(admin)
            defer { watch.cancel() }

            // Three events accepted, one resent, one rejected; the case was
            // accepted thirty days ago, so it is past its legal deadline.
            let month = Instant(
                secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 30 * 86_400)
            let script = CaseScript(department: Demo.health, caseID: "M-1")
            var broken = script.accepted("m-x", at: month)
            broken.kind = nil
            let events = [
                script.received("m-r", at: month, item: Demo.healthItem),
                script.accepted("m-a", at: month.adding(seconds: 600)),
                script.received("m-r", at: month, item: Demo.healthItem), broken,
            ]
            let call = try await department.streaming(IntakeService.reportEvents)
            for event in events { try await call.send(event) }
            try await call.finishSending()
            var statuses: [AckStatus] = []
            for try await ack in call.responses { statuses.append(ack.status) }
            #expect(statuses == [.accepted, .accepted, .duplicate, .rejected])
            try await watch.wait(for: "the case's alerts") { $0.count >= 3 }

            let (status, page) = try httpGet(port: metricsPort, path: "/metrics")
            #expect(status == "HTTP/1.1 200 OK")
            #expect(page.contains("# TYPE monitor_events_total counter"))
            #expect(sample(page, #"monitor_events_total{status="ACK_STATUS_ACCEPTED"}"#) == 2)
            #expect(sample(page, #"monitor_events_total{status="ACK_STATUS_DUPLICATE"}"#) == 1)
            #expect(sample(page, #"monitor_events_total{status="ACK_STATUS_REJECTED"}"#) == 1)
            let redCaseTime = #"{rule="RULE_CASE_TIME",level="LEVEL_RED"}"#
            #expect(sample(page, "monitor_alerts_raised_total" + redCaseTime) == 1)
            let lateReporting = #"{rule="RULE_LATE_REPORTING",level="LEVEL_WARNING"}"#
            #expect(sample(page, "monitor_alerts_raised_total" + lateReporting) == 2)
            #expect(sample(page, "monitor_alert_watchers") == 1)
            #expect(sample(page, "monitor_followed_cases") == 1)

            let (missing, _) = try httpGet(port: metricsPort, path: "/other")
            #expect(missing == "HTTP/1.1 404 Not Found")

            server.process.signal(SIGTERM)
            let code = try await server.process.waitForExit()
            #expect(code == 0, "\(server.process.stderrLines.suffix(20).joined(separator: "\n"))")
        }
    }

    /// Runs `body` against a new server with its metrics endpoint open, the
    /// demo catalogue loaded, an administrator's client and the health
    /// department's; the server is killed and its data removed afterwards.
    private func withMeteredServer(
        _ name: String,
        _ body: (Monitord, _ metricsPort: Int, _ admin: RPCClient, _ department: RPCClient)
            async throws -> Void
    ) async throws {
        let data = temporaryDirectory(name)
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try await Monitord(
            dataDirectory: data, extra: ["--metrics-listen", "127.0.0.1:0"])
        defer { server.process.killNow() }
        let line = try await server.process.waitForStderr(containing: ["msg=listening", "metrics="])
        let field = try #require(line.split(separator: " ").first { $0.hasPrefix("metrics=") })
        let metricsPort = try #require(Int(field.dropFirst("metrics=".count)), "\(line)")

        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        defer { Task { await channel.close() } }
        let admin = RPCClient(
            channel: channel, metadata: bearer(try server.adminSecret),
            defaultTimeout: .seconds(30))
        try await admin.loadDemoCatalogue()
        let secret = try await admin.tokenSecret("health", .department, department: Demo.health)
        let department = RPCClient(
            channel: channel, metadata: bearer(secret), defaultTimeout: .seconds(60))
        try await body(server, metricsPort, admin, department)
    }
}
