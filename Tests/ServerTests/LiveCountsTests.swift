import Messages
import Services
import Store
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

    @Test func countsFollowEveryChangeThroughARestartAndAClockSetBack() async throws {
        try await withTestServer(at: local("2026-03-02T12:00")) { server in
            let department = try await server.department(Demo.health)
            let running = CaseScript(department: Demo.health, caseID: "WJJ-TALLY-1")
            let paused = CaseScript(department: Demo.health, caseID: "WJJ-TALLY-2")
            let late = CaseScript(department: Demo.health, caseID: "WJJ-TALLY-3")
            var events: [Messages.CaseEvent] = []
            // Event ids are the department's: each case's carry its number.
            for (number, script) in [running, paused, late].enumerated() {
                events.append(
                    script.received(
                        "t\(number)r", at: local("2026-03-02T09:00"), item: Demo.healthItem))
                events.append(script.accepted("t\(number)a", at: local("2026-03-02T10:00")))
            }
            events.append(
                paused.procedureStarted(
                    "t1p", at: local("2026-03-02T11:00"), procedure: "P1", type: .testing,
                    days: 20))
            #expect(try await server.report(events, as: department).allSatisfy {
                $0.status == .accepted
            })

            #expect(try await counts(server) == [3, 1, 0])

            // Two running cases pass their promised deadline with no event.
            try await server.advance(to: local("2026-03-10T00:00:01"))
            #expect(try await counts(server) == [3, 1, 2])

            // One concludes late, the paused one resumes with its deadline
            // moved by the days it was paused.
            _ = try await server.report(
                [
                    late.concluded("t2c", at: local("2026-03-10T09:00")),
                    paused.procedureEnded(
                        "t1e", at: local("2026-03-10T10:00"), procedure: "P1"),
                ], as: department)
            #expect(try await counts(server) == [2, 0, 1])

            // A clock set back before the deadline (by hand, say) counts
            // nobody overdue; forward again, the running case is.
            let core = server.server.runtime.core
            let earlier = try await server.server.runtime.write { transaction in
                try core.liveCounts(now: local("2026-03-09T12:00"), transaction)
            }
            #expect(earlier[Demo.health]?.overdue == 0)
            #expect(earlier[Demo.health]?.openCases == 2)
            #expect(try await counts(server) == [2, 0, 1])

            // Rebuilt from the store, the counts are the same.
            let restarted = try await server.restart()
            do {
                #expect(try await counts(restarted) == [2, 0, 1])
            } catch {
                await restarted.stop()
                throw error
            }
            await restarted.stop()
        }
    }

    /// Intake writes go without a savepoint each; when another write of their
    /// batch fails after changing rows, the batch is rolled back and run
    /// again. Every event is still acknowledged once, and the counts and the
    /// case are what the store holds, before and after a restart.
    @Test func countsStayRightWhenABatchIsRunAgain() async throws {
        struct Poison: Error {}
        try await withTestServer(at: local("2026-03-02T12:00")) { server in
            let department = try await server.department(Demo.health)
            let scripts = (1...4).map {
                CaseScript(department: Demo.health, caseID: "WJJ-AGAIN-\($0)")
            }
            var opening: [Messages.CaseEvent] = []
            for (number, script) in scripts.prefix(3).enumerated() {
                opening.append(
                    script.received(
                        "g\(number)r", at: local("2026-03-02T09:00"), item: Demo.healthItem))
                opening.append(script.accepted("g\(number)a", at: local("2026-03-02T10:00")))
            }
            #expect(try await server.report(opening, as: department).allSatisfy {
                $0.status == .accepted
            })

            // The writer is held while a stream's events queue up behind it,
            // then a write that changes a row and fails joins their batch.
            let runtime = server.server.runtime
            let hold = try await WriterHold(runtime)
            let later = [
                scripts[0].concluded("g0c", at: local("2026-03-02T11:00")),
                scripts[1].procedureStarted(
                    "g1p", at: local("2026-03-02T11:00"), procedure: "P1", type: .testing,
                    days: 20),
                scripts[3].received("g3r", at: local("2026-03-02T11:00"), item: Demo.healthItem),
                scripts[3].accepted("g3a", at: local("2026-03-02T11:30")),
            ]
            let reporting = Task { try await server.report(later, as: department) }
            try await Task.sleep(for: .milliseconds(500))
            let poison = try await runtime.submit(mayRunAgain: true) { transaction in
                try transaction.appendAudit(
                    AuditRecord(
                        at: 0, actor: "test", role: 0, action: "poison", target: "",
                        outcome: ""))
                throw Poison()
            }
            try await hold.release()
            #expect(try await reporting.value.allSatisfy { $0.status == .accepted })
            await #expect(throws: Poison.self) { try await poison.value }
            #expect(runtime.store.writerStatistics.batchesRunTwice == 1)

            let supervisor = try await server.client(.supervisor).client
            #expect(try await counts(server) == [3, 1, 0])
            let concluded = try await supervisor.unary(
                CaseService.getCase,
                GetCaseRequest(departmentCode: Demo.health, caseID: "WJJ-AGAIN-1"))
            #expect(concluded.timeline.count == 3)
            let restarted = try await server.restart()
            do {
                #expect(try await counts(restarted) == [3, 1, 0])
            } catch {
                await restarted.stop()
                throw error
            }
            await restarted.stop()
        }
    }

    /// The health commission's open, paused and overdue cases, as a
    /// supervisor's dashboard is told them.
    private func counts(_ target: TestServer) async throws -> [UInt64] {
        let supervisor = try await target.client(.supervisor).client
        let entry = try await supervisor.unary(
            CaseService.getCaseCounts, GetCaseCountsRequest()
        ).departments.first { $0.departmentCode == Demo.health }
        guard let found = entry else {
            Issue.record("no counts for \(Demo.health)")
            return []
        }
        return [found.openCases, found.inSpecialProcedure, found.overdue]
    }
}
