import Engine
import Messages
import Services
import Testing
import Transport

@testable import Server

/// Deadlines passing with no event at all: the scheduler raises each alert
/// at the instant its threshold is crossed, and late or corrected data
/// withdraws what no longer holds.
///
/// The case: health item 330899-WJJ-002 (promised 5, legal 20 working days),
/// received and accepted on Monday 2 March 2026. Its counted days are 3, 4,
/// 5, 6 and 9 March, so the promised deadline is 24:00 of 9 March and its
/// warning starts at 00:00 of the 4th counted day, 6 March.
@Suite("Deadlines passing on the server's clock", .timeLimit(.minutes(2)))
struct DeadlineTests {
    let script = CaseScript(department: Demo.health, caseID: "WJJ-2026-0001")

    @Test func theSchedulerRaisesEachThresholdTheMomentItPasses() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            let feed = try await AlertFeed(supervisor)
            defer { feed.cancel() }

            let acks = try await server.report(
                [
                    script.received("r1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    script.accepted("a1", at: local("2026-03-02T10:00")),
                ], as: department)
            #expect(acks.map(\.status) == [.accepted, .accepted])

            // One second before the warning's threshold: nothing.
            try await server.advance(to: local("2026-03-05T23:59:59"))
            _ = try await feed.waitForNextHeartbeat()
            #expect(feed.transitions.isEmpty)

            // One second after: the warning, dated at the threshold itself.
            try await server.advance(to: local("2026-03-06T00:00:01"))
            try await feed.wait(for: "the case-time warning") { $0.count == 1 }
            let warning = try #require(feed.raised.first)
            #expect(warning.rule == .caseTime)
            #expect(warning.level == .warning)
            #expect(warning.caseID == script.caseID)
            #expect(warning.dueAt == Timestamp(local("2026-03-06T00:00")))
            #expect(warning.raisedAt == Timestamp(local("2026-03-06T00:00:01")))

            // The yellow card at 24:00 of the promised deadline's day.
            try await server.advance(to: local("2026-03-09T23:59:59"))
            _ = try await feed.waitForNextHeartbeat()
            #expect(feed.transitions.count == 1)
            try await server.advance(to: local("2026-03-10T00:00:01"))
            try await feed.wait(for: "the yellow card") { $0.count == 2 }
            let yellow = try #require(feed.raised.last)
            #expect(yellow.rule == .caseTime)
            #expect(yellow.level == .yellow)
            #expect(yellow.dueAt == Timestamp(local("2026-03-10T00:00")))

            // The same alerts, as a list shows them after the fact.
            let listed = try await supervisor.unary(AlertService.listAlerts, ListAlertsRequest())
            #expect(Set(listed.alerts.map(\.alertID)) == [warning.alertID, yellow.alertID])
            #expect(listed.position == feed.transitions.last?.sequence)
        }
    }

    @Test func aWithdrawalNamesTheEventThatCausedIt() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            let feed = try await AlertFeed(supervisor)
            defer { feed.cancel() }
            _ = try await server.report(
                [
                    script.received("r1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    script.accepted("a1", at: local("2026-03-02T10:00")),
                ], as: department)
            try await server.advance(to: local("2026-03-10T00:00:01"))
            try await feed.wait(for: "the yellow card") { $0.count == 2 }

            // An inspection since 6 March, reported only now: it comes after
            // every event on record, yet it is late. It pauses the case from
            // 9 March, the day the promised limit would have ended, so the
            // yellow card no longer holds; the warning, crossed before the
            // pause, still does.
            let acks = try await server.report(
                [
                    script.procedureStarted(
                        "p6", at: local("2026-03-06T10:00"), procedure: "inspection-6",
                        type: .inspection, days: 5)
                ], as: department)
            #expect(acks.map(\.status) == [.accepted])
            try await feed.wait(for: "the withdrawal") { $0.contains { $0.kind == .withdrawn } }
            let withdrawals = feed.transitions.filter { $0.kind == .withdrawn }
            #expect(withdrawals.map { $0.alert?.level } == [.yellow])
            #expect(withdrawals.first?.note.contains("p6") == true, "\(withdrawals)")
        }
    }

    @Test func aLateEventWithdrawsWhatNoLongerHoldsAndRaisesWhatNowDoes() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let supervisor = try await server.client(.supervisor).client
            let feed = try await AlertFeed(supervisor)
            defer { feed.cancel() }

            _ = try await server.report(
                [
                    script.received("r1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    script.accepted("a1", at: local("2026-03-02T10:00")),
                ], as: department)
            try await server.advance(to: local("2026-03-10T00:00:01"))
            try await feed.wait(for: "the warning and the yellow card") {
                $0.filter { $0.kind == .raised }.count == 2
            }
            var step = StepCompleted()
            step.step = .undertake
            step.handler = "Handler Wang"
            step.opinion = "complete"
            step.outcome = .pass
            let stepAck = try await server.report(
                [script.event("s1", at: local("2026-03-09T15:00"), .stepCompleted(step))],
                as: department)
            #expect(stepAck.map(\.status) == [.accepted])
            let yellow = try #require(feed.raised.first { $0.level == .yellow })

            // An inspection from 3 to 5 March, granted one working day, is
            // reported only now, and before the step already on record. It
            // pauses the case for 4 and 5 March: the promised deadline moves
            // to 24:00 of 11 March, so the yellow card no longer holds; the
            // inspection itself ran a day over what was granted.
            let before = feed.transitions.count
            let acks = try await server.report(
                [
                    script.procedureStarted(
                        "p1", at: local("2026-03-03T10:00"), procedure: "inspection-1",
                        type: .inspection, days: 1),
                    script.procedureEnded(
                        "p2", at: local("2026-03-05T16:00"), procedure: "inspection-1"),
                ], as: department)
            #expect(acks.map(\.status) == [.accepted, .accepted])
            try await feed.wait(for: "the recomputation's transitions") {
                $0.dropFirst(before).contains { $0.kind == .withdrawn }
                    && $0.dropFirst(before).contains {
                        $0.kind == .raised && $0.alert?.rule == .specialProcedureTime
                    }
                    && $0.dropFirst(before).filter {
                        $0.kind == .raised && $0.alert?.rule == .lateReporting
                    }.count >= 2
            }
            let after = Array(feed.transitions.dropFirst(before))
            let withdrawn = try #require(
                after.first { $0.kind == .withdrawn && $0.alert?.alertID == yellow.alertID })
            #expect(withdrawn.alert?.status == .withdrawn)
            #expect(withdrawn.note.contains("p1"), "the withdrawal names the late event")
            #expect(withdrawn.note.contains("out of order"), "\(withdrawn.note)")
            let procedureCard = try #require(
                after.first { $0.kind == .raised && $0.alert?.rule == .specialProcedureTime }?
                    .alert)
            #expect(procedureCard.level == .yellow)
            #expect(procedureCard.subject == "procedure:inspection-1")
            // Both events came more than a day after they happened.
            let late = after.filter { $0.kind == .raised && $0.alert?.rule == .lateReporting }
            #expect(late.count == 2)

            // The yellow card comes back when the moved deadline passes.
            try await server.advance(to: local("2026-03-12T00:00:01"))
            try await feed.wait(for: "the yellow card raised again") {
                $0.last?.kind == .raised && $0.last?.alert?.alertID == yellow.alertID
            }
            #expect(feed.transitions.last?.alert?.dueAt == Timestamp(local("2026-03-12T00:00")))

            // A revision: the inspection was a hearing, granted three days.
            // The item allows no hearing (a new card); three days were
            // enough (the procedure-time card is withdrawn).
            let beforeRevision = feed.transitions.count
            var corrected = script.procedureStarted(
                "p1", at: local("2026-03-03T10:00"), procedure: "inspection-1", type: .hearing,
                days: 3)
            corrected.revision = 1
            let revised = try await server.report([corrected], as: department)
            #expect(revised.map(\.status) == [.accepted])
            try await feed.wait(for: "the revision's transitions") {
                let new = $0.dropFirst(beforeRevision)
                return new.contains { $0.kind == .withdrawn }
                    && new.contains { $0.alert?.rule == .specialProcedureType }
            }
            let afterRevision = Array(feed.transitions.dropFirst(beforeRevision))
            let procedureWithdrawn = try #require(afterRevision.first { $0.kind == .withdrawn })
            #expect(procedureWithdrawn.alert?.alertID == procedureCard.alertID)
            #expect(procedureWithdrawn.note.contains("p1"))
            #expect(procedureWithdrawn.note.contains("revision"))
            let typeCard = try #require(
                afterRevision.first { $0.alert?.rule == .specialProcedureType }?.alert)
            #expect(typeCard.level == .yellow)
            #expect(typeCard.status == .active)

            // The case keeps both revisions in its timeline, the first
            // marked as superseded.
            let view = try await supervisor.unary(
                CaseService.getCase,
                GetCaseRequest(departmentCode: Demo.health, caseID: script.caseID))
            let starts = view.timeline.filter { $0.event?.eventID == "p1" }
            #expect(starts.map(\.superseded).sorted { !$0 && $1 } == [false, true])
        }
    }
}
