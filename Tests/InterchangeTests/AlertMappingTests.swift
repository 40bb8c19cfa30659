import Engine
import Interchange
import Messages
import Testing

private let key = CaseKey(departmentCode: "D1", caseID: "C1")
private let scope = AlertScope.caseOf(key)

private func alert(
    _ rule: AlertRule, _ subject: String, _ level: AlertLevel = .yellow,
    facts: AlertFacts = AlertFacts(), in alertScope: AlertScope = scope
) -> Engine.Alert {
    Engine.Alert(
        scope: alertScope, rule: rule, subject: subject, level: level,
        raisedAt: at("2026-10-13 00:00"), facts: facts, explanation: "words")
}

/// The facts as `name=value` lines.
private func facts(_ message: Messages.Alert) -> [String] {
    message.facts.map { "\($0.name)=\($0.value)" }
}

@Suite("Alerts and their follow-up in the standard's form")
struct AlertMappingTests {
    @Test func theEnginesAlertBecomesTheMessage() {
        let engine = alert(
            .caseTime, "promised",
            facts: AlertFacts(
                deadline: at("2026-10-13 00:00"), limitDays: 10,
                finishedAt: at("2026-10-14 09:00"), workingDaysOver: 2))
        let message = Messages.Alert(
            engine, regionCode: "330106", recordedAt: at("2026-10-13 00:00:02"), sequence: 41)
        #expect(message.alertID == "case:D1/C1|caseTime|promised|yellow")
        #expect(message.rule == .caseTime)
        #expect(message.level == .yellow)
        #expect(message.status == .active)
        #expect(message.appeal == .unspecified)
        #expect(message.departmentCode == "D1")
        #expect(message.caseID == "C1")
        #expect(message.subject == "case")
        #expect(message.dueAt == stamp("2026-10-13 00:00"))
        #expect(message.raisedAt == stamp("2026-10-13 00:00:02"))
        #expect(message.description == "words")
        #expect(message.notice == nil)
        #expect(message.sequence == 41)
        #expect(message.regionCode == "330106")
        #expect(
            facts(message) == [
                "promised_deadline=2026-10-13T00:00:00+08:00", "limit_days=10",
                "finished_at=2026-10-14T09:00:00+08:00", "working_days_over=2",
            ])
    }

    /// The engine's subjects in the standard's vocabulary, with what they
    /// say beyond it kept as facts.
    @Test(arguments: [
        (AlertRule.caseTime, "legal", "case", [String]()),
        (.intake, "intake", "intake", ["intake_period=1"]),
        (.intake, "intake-2", "intake", ["intake_period=2"]),
        (.stepTime, "review-3", "step:review", ["step_run=3"]),
        (.specialProcedureTime, "procedure-P-1", "procedure:P-1", ["procedure_id=P-1"]),
        (.specialProcedureType, "procedure-P1", "procedure:P1", ["procedure_id=P1"]),
        (.extensionGrant, "event-0190a5b2-0004", "event:0190a5b2-0004", []),
        (.missingReason, "event-E2", "event:E2", []),
        (.outOfOrder, "event-E3", "event:E3", []),
        (.lateReporting, "event-E4", "event:E4", []),
        (.unknownItem, "item-X-1", "item:X-1", ["item_code=X-1"]),
        (.fee, "fee", "fee", []),
        (.delivery, "delivery", "delivery", []),
        (.feedbackOverdue, "notice-N-7-2", "notice:N-7", ["notice_number=N-7", "notice_round=2"]),
        (.manual, "ref-1", "ref-1", []),
    ])
    func subjectsFollowTheStandard(
        rule: AlertRule, engineSubject: String, subject: String, extra: [String]
    ) {
        let message = Messages.Alert(alert(rule, engineSubject))
        #expect(message.subject == subject)
        #expect(facts(message) == extra)
        // The id keeps the engine's own subject.
        #expect(message.alertID.contains("|" + engineSubject + "|"))
    }

    @Test func calendarAndComplaintAlertsNameWhatTheyConcern() {
        let calendar = Messages.Alert(
            alert(
                .calendarMissing, "calendar-330106-2027", .warning,
                facts: AlertFacts(region: RegionCode("330106"), year: 2027)))
        #expect(calendar.subject == "calendar:330106/2027")
        #expect(calendar.rule == .calendarMissing)
        #expect(facts(calendar) == ["region=330106", "year=2027"])

        let complaint = Messages.Alert(
            alert(
                .complaintConclusion, "conclusion", .red,
                facts: AlertFacts(deadline: at("2026-10-20 00:00"), limitDays: 15),
                in: .complaint(departmentCode: "D1", complaintID: "TS-9")))
        #expect(complaint.rule == .complaintTime)
        #expect(complaint.caseID == "")
        #expect(complaint.departmentCode == "D1")
        #expect(complaint.subject == "complaint:TS-9")
        #expect(
            facts(complaint) == [
                "complaint_deadline=2026-10-20T00:00:00+08:00", "limit_days=15",
                "complaint_clock=conclusion",
            ])
    }

    /// Alerts the engine raises itself, as they reach the standard.
    @Test func alertsFromARealEvaluation() throws {
        let messages = [
            event(.received(CaseReceived(itemCode: "LIC")), id: "E1", at: "2026-09-21 09:00"),
            event(.accepted(CaseAccepted(handler: "h")), id: "E2", at: "2026-09-21 10:00"),
            event(
                .feeCharged(FeeCharged(feeItem: "f", amountFen: 6000)), id: "E3",
                at: "2026-09-22 10:00"),
            event(
                .extensionGranted(ExtensionGranted(days: 15, approver: "", reason: "r")), id: "E4",
                at: "2026-09-23 10:00"),
        ]
        let events = try messages.map {
            try Engine.CaseEvent($0, reportedAt: Instant($0.occurredAt!))
        }
        let evaluation = Supervision.evaluate(
            events: events, context: context, now: at("2026-09-26 00:00"))
        let alerts = evaluation.alerts.map { Messages.Alert($0) }
        #expect(
            alerts.map { "\($0.rule.protoName!) \($0.level.protoName!) \($0.subject)" } == [
                "RULE_FEE LEVEL_RED fee",
                "RULE_EXTENSION LEVEL_RED event:E4",
                "RULE_STEP_TIME LEVEL_YELLOW step:undertake",
            ])
        #expect(facts(alerts[0]) == ["event_id=E3", "fee_total_fen=6000", "fee_standard_fen=5000"])
        #expect(
            facts(alerts[1]) == [
                "allowed_extension_days=10", "event_id=E4", "extension_days=15",
            ])
        #expect(
            facts(alerts[2]) == [
                "step_deadline=2026-09-25T00:00:00+08:00", "limit_days=3", "step_run=1",
            ])
        #expect(alerts.allSatisfy { $0.status == .active && $0.raisedAt == $0.dueAt })
    }

    @Test func theFollowUpGivesStatusAppealAndNotice() throws {
        let card = alert(.caseTime, "promised")
        var record = AlertRecord(alert: card)
        let supervisor = Actor(id: "sup-1", role: .supervisor)
        let department = Actor(id: "dept-1", role: .department)
        try record.perform(
            .issueNotice(number: "DB-1", feedbackDue: at("2026-10-16 00:00")), by: supervisor,
            at: at("2026-10-13 09:00"))
        try record.perform(
            .submitFeedback(text: "人手不足"), by: department, at: at("2026-10-14 10:00"))
        try record.perform(
            .returnFeedback(reason: "说明不充分", feedbackDue: at("2026-10-20 00:00")), by: supervisor,
            at: at("2026-10-14 15:00"))
        try record.perform(
            .submitFeedback(text: "已增派人员"), by: department, at: at("2026-10-15 10:00"))
        try record.perform(.appeal(reason: "系统故障"), by: department, at: at("2026-10-15 11:00"))

        let pending = Messages.Alert(card, record: record)
        #expect(pending.status == .feedbackSubmitted)
        #expect(pending.appeal == .pending)
        let notice = try #require(pending.notice)
        #expect(notice.issuedAt == stamp("2026-10-13 09:00"))
        #expect(notice.issuedBy == "sup-1")
        #expect(notice.feedbackDueAt == stamp("2026-10-20 00:00"))
        #expect(notice.feedbackDueDate == "2026-10-19")
        #expect(notice.timesReturned == 1)
        #expect(notice.explanation == "已增派人员")
        #expect(notice.feedbackAt == stamp("2026-10-15 10:00"))
        #expect(notice.feedbackBy == "dept-1")

        try record.perform(
            .upholdAppeal(reason: "理由不成立"), by: supervisor, at: at("2026-10-16 09:00"))
        try record.perform(.close(note: "核实"), by: supervisor, at: at("2026-10-16 10:00"))
        let closed = Messages.Alert(card, record: record)
        #expect(closed.status == .closed)
        #expect(closed.appeal == .upheld)

        let transitions = record.transitions(raisedAt: at("2026-10-13 00:00:01"))
        #expect(
            transitions.map(\.kind) == [
                .raised, .noticeIssued, .feedbackSubmitted, .returned, .feedbackSubmitted,
                .appealed, .appealUpheld, .closed,
            ])
        #expect(
            transitions.map { $0.alert!.status } == [
                .active, .noticeIssued, .feedbackSubmitted, .noticeIssued, .feedbackSubmitted,
                .feedbackSubmitted, .feedbackSubmitted, .closed,
            ])
        #expect(
            transitions.map { $0.alert!.appeal } == [
                .unspecified, .unspecified, .unspecified, .unspecified, .unspecified, .pending,
                .upheld, .upheld,
            ])
        #expect(
            transitions.map(\.actor) == [
                "engine", "sup-1", "dept-1", "sup-1", "dept-1", "dept-1", "sup-1", "sup-1",
            ])
        #expect(transitions[0].at == stamp("2026-10-13 00:00:01"))
        #expect(transitions[3].note == "说明不充分")
        #expect(
            transitions[1].note == "supervision notice DB-1, feedback due 2026-10-16T00:00:00+08:00"
        )
        #expect(transitions[1].alert?.notice?.timesReturned == 0)
        #expect(transitions.allSatisfy { $0.alert?.alertID == card.id.rawValue })
    }

    @Test func revokedAndWithdrawnAlerts() throws {
        let card = alert(.caseTime, "legal", .red)
        var revoked = AlertRecord(alert: card)
        try revoked.perform(
            .appeal(reason: "g"), by: Actor(id: "d", role: .department), at: at("2026-10-14 09:00"))
        try revoked.perform(
            .revoke(reason: "r"), by: Actor(id: "s", role: .supervisor), at: at("2026-10-14 10:00"))
        let message = Messages.Alert(card, record: revoked)
        #expect(message.status == .revoked)
        #expect(message.appeal == .revoked)

        var withdrawn = AlertRecord(alert: card)
        try withdrawn.perform(
            .withdraw(reason: "recomputed after event E9 arrived out of order"), by: .system,
            at: at("2026-10-15 10:00"))
        let last = try #require(withdrawn.transitions().last)
        #expect(last.kind == .withdrawn)
        #expect(last.actor == "engine")
        #expect(last.note == "recomputed after event E9 arrived out of order")
        #expect(last.alert?.status == .withdrawn)
    }

    @Test func recomputationChangesBecomeTransitions() {
        let kept = alert(.caseTime, "promised", .warning)
        let dropped = alert(.caseTime, "promised", .yellow)
        var changed = alert(.caseTime, "legal", .red)
        let new = alert(.fee, "fee", .red)
        let before = changed
        changed.facts.limitDays = 30
        let changes = Supervision.reconcile(
            previous: [kept, dropped, before], current: [kept, changed, new],
            reason: .revisedEvent(eventID: "E2", revision: 2))
        let messages = changes.map { Messages.AlertTransition($0, at: at("2026-10-20 09:00")) }
        #expect(messages.map(\.kind) == [.withdrawn, .raised, .raised])
        #expect(messages[0].alert?.alertID == dropped.id.rawValue)
        #expect(messages[0].alert?.status == .withdrawn)
        #expect(messages[0].note == "recomputed after event E2 was revised (revision 2)")
        #expect(messages[1].alert?.alertID == changed.id.rawValue)
        #expect(messages[1].note.hasPrefix("amended by recomputation"))
        #expect(messages[2].alert?.alertID == new.id.rawValue)
        #expect(messages.allSatisfy { $0.actor == "engine" && $0.at == stamp("2026-10-20 09:00") })
    }

    @Test(arguments: AlertRule.allCases)
    func everyRuleHasItsStandardRule(_ rule: AlertRule) {
        let standard = Rule(rule)
        #expect(standard.protoName != nil && standard != .unspecified)
        #expect(standard.engineRules.contains(rule))
    }
}
