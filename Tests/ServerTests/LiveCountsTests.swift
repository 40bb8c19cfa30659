import Messages
import Services
import Testing

@testable import Server

/// The dashboards' live counts: open, paused and overdue cases, and the
/// standing alerts, as the clock moves.
///
/// Health item 330899-WJJ-002 promises 5 working days; received on Monday
/// 2 March 2026, the promised deadline is 24:00 of Monday 9 March.
@Suite("Live counts", .timeLimit(.minutes(2)))
struct LiveCountsTests {
    @Test func openPausedAndOverdueCasesAsTheClockPasses() async throws {
        try await withTestServer(at: local("2026-03-02T12:00")) { server in
            let department = try await server.department(Demo.health)
            let running = CaseScript(department: Demo.health, caseID: "WJJ-LIVE-1")
            let paused = CaseScript(department: Demo.health, caseID: "WJJ-LIVE-2")
            var start = SpecialProcedureStarted()
            start.procedureID = "P1"
            start.type = .testing
            start.grantedDays = 20
            start.reason = "samples sent to the laboratory"
            let acks = try await server.report(
                [
                    running.received("a1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    running.accepted("a2", at: local("2026-03-02T10:00")),
                    paused.received("b1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    paused.accepted("b2", at: local("2026-03-02T10:00")),
                    paused.event(
                        "b3", at: local("2026-03-02T11:00"), .specialProcedureStarted(start)),
                ], as: department)
            #expect(acks.allSatisfy { $0.status == .accepted })
            let supervisor = try await server.client(.supervisor).client

            func counts() async throws -> DepartmentCaseCounts? {
                try await supervisor.unary(CaseService.getCaseCounts, GetCaseCountsRequest())
                    .departments.first { $0.departmentCode == Demo.health }
            }

            var now = try #require(try await counts())
            #expect(now.openCases == 2)
            #expect(now.inSpecialProcedure == 1)
            #expect(now.overdue == 0)

            try await server.advance(to: local("2026-03-09T23:59:59"))
            now = try #require(try await counts())
            #expect(now.overdue == 0)

            // Past the promised deadline the running case is overdue; the
            // paused one is not, its clock stopped.
            try await server.advance(to: local("2026-03-10T00:00:01"))
            now = try #require(try await counts())
            #expect(now.openCases == 2)
            #expect(now.inSpecialProcedure == 1)
            #expect(now.overdue == 1)
            #expect(now.yellowCards >= 1, "the promised deadline's card stands")

            // Concluded, it is neither open nor overdue; its card still stands.
            _ = try await server.report(
                [running.concluded("a3", at: local("2026-03-10T09:00"))], as: department)
            now = try #require(try await counts())
            #expect(now.openCases == 1)
            #expect(now.overdue == 0)
            #expect(now.yellowCards >= 1)
            // The server's own summary counts open cases the same way.
            let info = try await supervisor.unary(
                AdminService.getServerInfo, GetServerInfoRequest())
            #expect(info.openCases == 1)
        }
    }
}
