import Engine
import Messages
import Services
import Testing
import Transport

@testable import Server

/// How long the alert log is kept for resuming watchers, counted on the
/// server's clock, and changed by a reload without a restart.
@Suite("Alert log retention", .timeLimit(.minutes(2)))
struct RetentionTests {
    @Test func aReloadedRetentionIsAppliedOnTheServersClock() async throws {
        try await withTestServer(configure: { $0.alertRetentionDays = 30 }) { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            let script = CaseScript(department: Demo.health, caseID: "R-1")
            _ = try await server.report(
                [
                    script.received("r", at: local("2026-02-24T09:00"), item: Demo.healthItem),
                    script.accepted("a", at: local("2026-02-24T10:00")),
                ], as: department)
            let end = try await supervisor.unary(AlertService.listAlerts, ListAlertsRequest())
                .position
            #expect(end > 0)
            func oldestKept() async throws -> UInt64 {
                try await server.server.runtime.read { try $0.oldestKeptAlertLogSequence() }
            }

            // Ten days on, thirty days of log are kept: all of it.
            try await server.advance(to: local("2026-03-12T12:00"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await oldestKept() == 1)

            // Down to one day: the transitions recorded on 2 March go, within
            // the hour on the server's clock.
            var shorter = Configuration()
            shorter.alertRetentionDays = 1
            shorter.logLevel = .info
            server.server.reload(shorter)
            server.clock.advance(to: local("2026-03-12T13:00"))
            let pruned = try await eventually { try await oldestKept() == end + 1 }
            let kept = try await oldestKept()
            #expect(pruned, "the oldest kept is \(kept), not \(end + 1)")

            let stale = try await AlertFeed(supervisor, after: 1)
            let ending = try await stale.waitForEnd() as? RPCError
            #expect(ending?.code == .outOfRange)
            #expect(ending?.metadata["monitor-oldest-sequence"] == String(end + 1))
        }
    }
}
