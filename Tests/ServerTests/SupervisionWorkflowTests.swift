import Engine
import Messages
import Services
import Testing
import Transport

/// What follows an alert, over RPC: supervision notices (督办), feedback,
/// returns, appeals (申诉), revocations, overdue feedback and manual cards.
///
/// Every scenario starts on Wednesday 4 March 2026 at noon with a health
/// case accepted on 24 February: its promised deadline (5 working days:
/// 25, 26, 27, 28 February, a make-up Saturday, and 2 March) passed at
/// 24:00 of 2 March, so the case carries a yellow card.
@Suite("Supervision over RPC", .timeLimit(.minutes(2)))
struct SupervisionWorkflowTests {
    static let start = local("2026-03-04T12:00")

    struct Actors {
        let supervisor: RPCClient
        let department: RPCClient
        let yellow: Messages.Alert
        let warning: Messages.Alert
    }

    private func prepare(_ server: TestServer) async throws -> Actors {
        let department = try await server.department(Demo.health)
        let supervisor = try await server.client(.supervisor, name: "Supervisor Li").client
        let script = CaseScript(department: Demo.health, caseID: "H-7")
        _ = try await server.report(
            [
                script.received("r", at: local("2026-02-24T09:00"), item: Demo.healthItem),
                script.accepted("a", at: local("2026-02-24T10:00")),
            ], as: department)
        var request = ListAlertsRequest()
        request.filter = Messages.AlertFilter(rules: [.caseTime])
        let alerts = try await supervisor.unary(AlertService.listAlerts, request).alerts
        let yellow = try #require(alerts.first { $0.level == .yellow })
        let warning = try #require(alerts.first { $0.level == .warning })
        return Actors(
            supervisor: supervisor, department: department, yellow: yellow, warning: warning)
    }

    /// Asserts that `body` fails with FAILED_PRECONDITION whose message
    /// contains `reason`.
    private func expectRefused(
        _ reason: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("the action was allowed", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == .failedPrecondition, sourceLocation: sourceLocation)
            #expect(
                error.message.contains(reason), "\(error.message)",
                sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func noticeFeedbackReturnFeedbackClose() async throws {
        try await withTestServer(at: Self.start) { server in
            let actors = try await prepare(server)
            let id = actors.yellow.alertID

            await expectRefused("no supervision notice awaits feedback") {
                _ = try await actors.department.unary(
                    AlertService.submitFeedback,
                    SubmitFeedbackRequest(alertID: id, explanation: "we were busy"))
            }

            let issued = try await actors.supervisor.unary(
                AlertService.issueNotice,
                IssueNoticeRequest(alertID: id, instructions: "explain the delay"))
            #expect(issued.alert?.status == .noticeIssued)
            // Three working days after 4 March: 5, 6 and 9 March.
            #expect(issued.alert?.notice?.feedbackDueDate == "2026-03-09")
            #expect(issued.alert?.notice?.feedbackDueAt == Timestamp(local("2026-03-10T00:00")))
            #expect(issued.alert?.notice?.issuedBy == "Supervisor Li")

            await expectRefused("a notice can only be issued on a raised alert") {
                _ = try await actors.supervisor.unary(
                    AlertService.issueNotice, IssueNoticeRequest(alertID: id))
            }
            await expectRefused("there is no feedback to return") {
                _ = try await actors.supervisor.unary(
                    AlertService.returnNotice, ReturnNoticeRequest(alertID: id, reason: "more"))
            }

            let answered = try await actors.department.unary(
                AlertService.submitFeedback,
                SubmitFeedbackRequest(
                    alertID: id, explanation: "a handler was ill",
                    rectification: "a deputy is named"))
            #expect(answered.alert?.status == .feedbackSubmitted)
            #expect(answered.alert?.notice?.explanation == "a handler was ill")

            let returned = try await actors.supervisor.unary(
                AlertService.returnNotice,
                ReturnNoticeRequest(alertID: id, reason: "name the deputy", feedbackDays: 2))
            #expect(returned.alert?.status == .noticeIssued)
            #expect(returned.alert?.notice?.timesReturned == 1)
            #expect(returned.alert?.notice?.feedbackDueDate == "2026-03-06")

            _ = try await actors.department.unary(
                AlertService.submitFeedback,
                SubmitFeedbackRequest(alertID: id, explanation: "deputy: Handler Zhao"))
            let closed = try await actors.supervisor.unary(
                AlertService.closeNotice, CloseNoticeRequest(alertID: id, comment: "verified"))
            #expect(closed.alert?.status == .closed)

            await expectRefused("no supervision notice awaits feedback") {
                _ = try await actors.department.unary(
                    AlertService.submitFeedback,
                    SubmitFeedbackRequest(alertID: id, explanation: "once more"))
            }

            let view = try await actors.supervisor.unary(
                AlertService.getAlert, GetAlertRequest(alertID: id))
            #expect(
                view.history.map(\.kind) == [
                    .raised, .noticeIssued, .feedbackSubmitted, .returned, .feedbackSubmitted,
                    .closed,
                ])
            #expect(
                view.history.map(\.actor) == [
                    "engine", "Supervisor Li", "system of \(Demo.health) (\(Demo.health))",
                    "Supervisor Li", "system of \(Demo.health) (\(Demo.health))",
                    "Supervisor Li",
                ])
            let sequences = view.history.map(\.sequence)
            #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
            #expect(view.alert?.sequence == sequences.last)

            // A closed card is no longer standing.
            let counts = try await actors.supervisor.unary(
                CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(counts.departments.first?.yellowCards == 0)

            // Every action is in the audit record, by the one who took it.
            let audit = try await server.admin.unary(
                AdminService.listAuditRecords, ListAuditRecordsRequest())
            let actions = audit.records.filter { $0.target == "alert \(id)" }
                .sorted { $0.sequence < $1.sequence }.map(\.action)
            #expect(
                actions == [
                    AlertService.issueNotice.path, AlertService.submitFeedback.path,
                    AlertService.returnNotice.path, AlertService.submitFeedback.path,
                    AlertService.closeNotice.path,
                ])
        }
    }

    @Test func aRevokedCardStopsCountingAnUpheldOneStands() async throws {
        try await withTestServer(at: Self.start) { server in
            let actors = try await prepare(server)
            let before = try await actors.supervisor.unary(
                CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(before.departments.first?.yellowCards == 1)

            await expectRefused("only a yellow or red card can be appealed") {
                _ = try await actors.department.unary(
                    AlertService.appeal,
                    AppealRequest(alertID: actors.warning.alertID, grounds: "not late"))
            }
            await expectRefused("a card is revoked only on appeal") {
                _ = try await actors.supervisor.unary(
                    AlertService.decideAppeal,
                    DecideAppealRequest(
                        alertID: actors.yellow.alertID, decision: .revoke, reason: "fine"))
            }

            let appealed = try await actors.department.unary(
                AlertService.appeal,
                AppealRequest(
                    alertID: actors.yellow.alertID, grounds: "the applicant asked to wait"))
            #expect(appealed.alert?.appeal == .pending)
            let revoked = try await actors.supervisor.unary(
                AlertService.decideAppeal,
                DecideAppealRequest(
                    alertID: actors.yellow.alertID, decision: .revoke, reason: "documented"))
            #expect(revoked.alert?.status == .revoked)
            #expect(revoked.alert?.appeal == .revoked)

            let after = try await actors.supervisor.unary(
                CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(after.departments.first?.yellowCards == 0, "a revoked card does not count")
            #expect(after.departments.first?.warnings == before.departments.first?.warnings)
            let view = try await actors.supervisor.unary(
                CaseService.getCase, GetCaseRequest(departmentCode: Demo.health, caseID: "H-7"))
            #expect(view.summary?.highestLevel == .warning)

            await expectRefused("the card was already appealed once") {
                _ = try await actors.department.unary(
                    AlertService.appeal,
                    AppealRequest(alertID: actors.yellow.alertID, grounds: "again"))
            }

            // The server rebuilds its live counts from the store at start.
            let restarted = try await server.restart()
            do {
                let supervisor = try await restarted.client(.supervisor).client
                let counts = try await supervisor.unary(
                    CaseService.getCaseCounts, GetCaseCountsRequest())
                #expect(counts.departments.first?.yellowCards == 0)
                #expect(counts.departments.first?.openCases == 1)
            } catch {
                await restarted.stop()
                throw error
            }
            await restarted.stop()
        }
    }

    @Test func anUpheldAppealLeavesTheCardWhereItWas() async throws {
        try await withTestServer(at: Self.start) { server in
            let actors = try await prepare(server)
            let id = actors.yellow.alertID
            _ = try await actors.supervisor.unary(
                AlertService.issueNotice, IssueNoticeRequest(alertID: id, instructions: "why?"))
            _ = try await actors.department.unary(
                AlertService.appeal, AppealRequest(alertID: id, grounds: "not our delay"))
            await expectRefused("no supervision notice awaits feedback") {
                _ = try await actors.department.unary(
                    AlertService.submitFeedback,
                    SubmitFeedbackRequest(alertID: id, explanation: "while appealing"))
            }
            let upheld = try await actors.supervisor.unary(
                AlertService.decideAppeal,
                DecideAppealRequest(alertID: id, decision: .uphold, reason: "it was"))
            #expect(upheld.alert?.appeal == .upheld)
            #expect(upheld.alert?.status == .noticeIssued)
            // Back where it was: the notice awaits feedback again.
            let answered = try await actors.department.unary(
                AlertService.submitFeedback,
                SubmitFeedbackRequest(alertID: id, explanation: "now explained"))
            #expect(answered.alert?.status == .feedbackSubmitted)

            await #expect {
                _ = try await actors.supervisor.unary(
                    AlertService.decideAppeal,
                    DecideAppealRequest(alertID: id, decision: .unspecified, reason: "?"))
            } throws: { error in
                let error = error as? RPCError
                return error?.code == .invalidArgument
                    && error?.message.contains("APPEAL_DECISION_UPHOLD") == true
            }
        }
    }

    @Test func feedbackNotGivenByItsDueDateRaisesARedAlert() async throws {
        try await withTestServer(at: Self.start) { server in
            let actors = try await prepare(server)
            let feed = try await AlertFeed(actors.supervisor)
            defer { feed.cancel() }
            let issued = try await actors.supervisor.unary(
                AlertService.issueNotice,
                IssueNoticeRequest(
                    alertID: actors.yellow.alertID, instructions: "explain", feedbackDays: 1))
            // One working day after Wednesday 4 March: due at 24:00 of 5 March.
            #expect(issued.alert?.notice?.feedbackDueDate == "2026-03-05")
            try await feed.wait(for: "the notice") {
                $0.contains { $0.kind == .noticeIssued }
            }

            try await server.advance(to: local("2026-03-05T23:59:59"))
            _ = try await feed.waitForNextHeartbeat()
            #expect(!feed.transitions.contains { $0.alert?.rule == .feedbackOverdue })

            try await server.advance(to: local("2026-03-06T00:00:01"))
            try await feed.wait(for: "the feedback-overdue red alert") {
                $0.contains { $0.alert?.rule == .feedbackOverdue }
            }
            let overdue = try #require(
                feed.transitions.first { $0.alert?.rule == .feedbackOverdue }?.alert)
            #expect(overdue.level == .red)
            #expect(overdue.dueAt == Timestamp(local("2026-03-06T00:00")))
            #expect(overdue.departmentCode == Demo.health)
            #expect(overdue.caseID == "H-7")
            #expect(overdue.description.contains(actors.yellow.alertID))

            // Feedback now is late, and escalation is possible.
            let answered = try await actors.department.unary(
                AlertService.submitFeedback,
                SubmitFeedbackRequest(alertID: actors.yellow.alertID, explanation: "late"))
            #expect(answered.alert?.status == .feedbackSubmitted)
            let alerts = try await actors.supervisor.unary(
                AlertService.listAlerts, ListAlertsRequest())
            #expect(alerts.alerts.filter { $0.rule == .feedbackOverdue }.count == 1)
            // The overdue feedback is a red card on the dashboard too.
            let counts = try await actors.supervisor.unary(
                CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(counts.departments.first?.redCards == 1)
            #expect(counts.departments.first?.yellowCards == 1)
        }
    }

    @Test func aSupervisorIssuesACardByHand() async throws {
        try await withTestServer(at: Self.start) { server in
            let actors = try await prepare(server)
            let position = try await actors.supervisor.unary(
                AlertService.listAlerts, ListAlertsRequest()).position
            let feed = try await AlertFeed(actors.supervisor, after: position)
            defer { feed.cancel() }

            let card = try await actors.supervisor.unary(
                AlertService.issueManualCard,
                IssueManualCardRequest(
                    departmentCode: Demo.health, caseID: "H-7", level: .red,
                    reason: "fee charged without a receipt"))
            #expect(card.alert?.rule == .manual)
            #expect(card.alert?.level == .red)
            #expect(card.alert?.status == .active)
            #expect(card.alert?.description.contains("fee charged without a receipt") == true)
            #expect(card.history.first?.actor == "Supervisor Li")
            try await feed.wait(for: "the manual card") {
                $0.contains { $0.alert?.alertID == card.alert?.alertID }
            }

            // Two cards on the same case are two alerts.
            let second = try await actors.supervisor.unary(
                AlertService.issueManualCard,
                IssueManualCardRequest(
                    departmentCode: Demo.health, caseID: "H-7", level: .yellow,
                    reason: "certificate handed over without identity check"))
            #expect(second.alert?.alertID != card.alert?.alertID)

            // Cards issued by hand stand on the dashboard like the engine's.
            let counts = try await actors.supervisor.unary(
                CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(counts.departments.first?.redCards == 1)
            #expect(counts.departments.first?.yellowCards == 2)

            await #expect {
                _ = try await actors.supervisor.unary(
                    AlertService.issueManualCard,
                    IssueManualCardRequest(
                        departmentCode: "330899-XXX", level: .red, reason: "unknown"))
            } throws: { error in
                let error = error as? RPCError
                return error?.code == .invalidArgument
                    && error?.message.contains("330899-XXX") == true
            }
            await #expect {
                _ = try await actors.supervisor.unary(
                    AlertService.issueManualCard,
                    IssueManualCardRequest(departmentCode: Demo.health, level: .red))
            } throws: { error in
                let error = error as? RPCError
                return error?.code == .invalidArgument && error?.message.contains("reason") == true
            }
        }
    }
}
