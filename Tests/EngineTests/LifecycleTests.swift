import Engine
import Testing

private let supervisor = Actor(id: "wang", role: .supervisor)
private let department = Actor(id: "d1-clerk", role: .department)

private func card(_ level: AlertLevel = .yellow) -> AlertRecord {
    AlertRecord(
        alert: Alert(
            scope: .caseOf(CaseKey(departmentCode: "D1", caseID: "C1")), rule: .caseTime,
            subject: "promised", level: level, raisedAt: at("2026-10-13 00:00"), explanation: "late"
        ))
}

private let due = at("2026-10-17 00:00")

/// Actions that bring a fresh record into each state.
private func record(in state: AlertState) throws -> AlertRecord {
    var record = card()
    let t = at("2026-10-14 09:00")
    switch state {
    case .raised: break
    case .noticeIssued:
        try record.perform(.issueNotice(number: "N1", feedbackDue: due), by: supervisor, at: t)
    case .feedbackSubmitted:
        try record.perform(.issueNotice(number: "N1", feedbackDue: due), by: supervisor, at: t)
        try record.perform(
            .submitFeedback(text: "fixed"), by: department, at: t.adding(seconds: 60))
    case .closed:
        record = try selfRecord(in: .feedbackSubmitted)
        try record.perform(.close(note: "verified"), by: supervisor, at: t.adding(seconds: 120))
    case .appealed:
        try record.perform(.appeal(reason: "holiday"), by: department, at: t)
    case .revoked:
        try record.perform(.appeal(reason: "holiday"), by: department, at: t)
        try record.perform(.revoke(reason: "right"), by: supervisor, at: t.adding(seconds: 60))
    case .withdrawn:
        try record.perform(.withdraw(reason: "late event"), by: .system, at: t)
    case .underInvestigation:
        try record.perform(.issueNotice(number: "N1", feedbackDue: due), by: supervisor, at: t)
        try record.perform(.escalate(reason: "no answer"), by: supervisor, at: due)
    }
    #expect(record.state == state)
    return record
}

private func selfRecord(in state: AlertState) throws -> AlertRecord { try record(in: state) }

@Suite("Alert lifecycle")
struct LifecycleTests {
    @Test func theSupervisionPathRecordsEveryTransition() throws {
        var record = card()
        try record.perform(
            .issueNotice(number: "N1", feedbackDue: due), by: supervisor,
            at: at("2026-10-14 09:00"))
        try record.perform(.submitFeedback(text: "a"), by: department, at: at("2026-10-15 09:00"))
        try record.perform(
            .returnFeedback(reason: "vague", feedbackDue: at("2026-10-20 00:00")),
            by: supervisor, at: at("2026-10-15 10:00"))
        #expect(record.state == .noticeIssued)
        #expect(record.nextDueAt == at("2026-10-20 00:00"))
        try record.perform(.submitFeedback(text: "b"), by: department, at: at("2026-10-16 09:00"))
        try record.perform(.close(note: "ok"), by: supervisor, at: at("2026-10-16 10:00"))
        #expect(record.state == .closed)
        #expect(
            record.history.map(\.to) == [
                .noticeIssued, .feedbackSubmitted, .noticeIssued, .feedbackSubmitted, .closed,
            ])
        #expect(record.history.map(\.actor.id) == ["wang", "d1-clerk", "wang", "d1-clerk", "wang"])
        #expect(record.history.last?.at == at("2026-10-16 10:00"))
        #expect(record.rounds.map(\.round) == [1, 2])
        #expect(record.feedbackOverdueAlerts.isEmpty)
        #expect(record.countsInScores)
    }

    @Test func anAppealIsUpheldBackToWhereItWasOrRevoked() throws {
        var upheld = try record(in: .noticeIssued)
        try upheld.perform(.appeal(reason: "r"), by: department, at: at("2026-10-15 09:00"))
        try upheld.perform(.upholdAppeal(reason: "no"), by: supervisor, at: at("2026-10-15 10:00"))
        #expect(upheld.state == .noticeIssued)

        let revoked = try record(in: .revoked)
        #expect(!revoked.countsInScores)
    }

    /// Every action from every state: allowed ones reach the expected state,
    /// refused ones name the state and the action.
    @Test(arguments: [
        (AlertState.raised, "issueNotice", AlertState?.some(.noticeIssued)),
        (.raised, "submitFeedback", nil), (.raised, "close", nil), (.raised, "appeal", .appealed),
        (.raised, "withdraw", .withdrawn), (.raised, "escalate", nil), (.raised, "revoke", nil),
        (.noticeIssued, "issueNotice", nil), (.noticeIssued, "submitFeedback", .feedbackSubmitted),
        (.noticeIssued, "close", nil), (.noticeIssued, "escalate", .underInvestigation),
        (.noticeIssued, "appeal", .appealed),
        (.feedbackSubmitted, "close", .closed),
        (.feedbackSubmitted, "returnFeedback", .noticeIssued),
        (.feedbackSubmitted, "submitFeedback", nil), (.feedbackSubmitted, "escalate", nil),
        (.closed, "appeal", nil), (.closed, "close", nil), (.closed, "withdraw", .withdrawn),
        (.appealed, "upholdAppeal", .raised), (.appealed, "revoke", .revoked),
        (.appealed, "appeal", nil), (.appealed, "close", nil),
        (.revoked, "withdraw", nil), (.revoked, "upholdAppeal", nil),
        (.withdrawn, "withdraw", nil), (.withdrawn, "issueNotice", nil),
        (.underInvestigation, "close", .closed), (.underInvestigation, "submitFeedback", nil),
    ])
    func transitions(from state: AlertState, action name: String, to expected: AlertState?) throws {
        var record = try record(in: state)
        let (action, actor) = Self.action(named: name)
        do {
            try record.perform(action, by: actor, at: at("2026-10-18 09:00"))
            #expect(record.state == expected, "\(name) from \(state)")
        } catch {
            #expect(expected == nil, "\(name) from \(state) refused: \(error)")
            #expect(error.state == state)
            #expect(error.action == action)
            #expect(
                error.description.hasPrefix("cannot \(action) an alert that is \(state.rawValue)"))
            #expect(record.state == state)
        }
    }

    static func action(named name: String) -> (LifecycleAction, Actor) {
        let later = at("2026-10-25 00:00")
        switch name {
        case "issueNotice": return (.issueNotice(number: "N2", feedbackDue: later), supervisor)
        case "submitFeedback": return (.submitFeedback(text: "t"), department)
        case "close": return (.close(note: "n"), supervisor)
        case "returnFeedback": return (.returnFeedback(reason: "r", feedbackDue: later), supervisor)
        case "appeal": return (.appeal(reason: "r"), department)
        case "upholdAppeal": return (.upholdAppeal(reason: "r"), supervisor)
        case "revoke": return (.revoke(reason: "r"), supervisor)
        case "withdraw": return (.withdraw(reason: "r"), .system)
        default: return (.escalate(reason: "r"), supervisor)
        }
    }

    @Test func onlyTheRightRoleMayAct() {
        var record = card()
        #expect(throws: LifecycleError.self) {
            try record.perform(
                .issueNotice(number: "N", feedbackDue: due), by: department,
                at: at("2026-10-14 09:00"))
        }
        #expect(throws: LifecycleError.self) {
            try record.perform(.appeal(reason: "r"), by: supervisor, at: at("2026-10-14 09:00"))
        }
        #expect(record.history.isEmpty)
    }

    @Test func warningsCannotBeAppealedAndACardOnlyOnce() throws {
        var warning = card(.warning)
        #expect(throws: LifecycleError.self) {
            try warning.perform(.appeal(reason: "r"), by: department, at: at("2026-10-14 09:00"))
        }
        var appealed = try record(in: .appealed)
        try appealed.perform(
            .upholdAppeal(reason: "no"), by: supervisor, at: at("2026-10-15 09:00"))
        #expect(throws: LifecycleError.self) {
            try appealed.perform(
                .appeal(reason: "again"), by: department, at: at("2026-10-16 09:00"))
        }
    }

    @Test func escalationWaitsUntilFeedbackIsOverdue() throws {
        var record = try record(in: .noticeIssued)
        #expect(throws: LifecycleError.self) {
            try record.perform(.escalate(reason: "r"), by: supervisor, at: due.adding(seconds: -1))
        }
        try record.perform(.escalate(reason: "r"), by: supervisor, at: due)
        #expect(record.state == .underInvestigation)
    }

    @Test(arguments: [(Int64(-1), false), (0, true), (3600, true)])
    func feedbackNotStrictlyBeforeItsDueInstantIsARedAlert(offset: Int64, overdue: Bool) throws {
        var record = try record(in: .noticeIssued)
        try record.perform(
            .submitFeedback(text: "t"), by: department, at: due.adding(seconds: offset))
        let alerts = record.feedbackOverdueAlerts
        #expect(alerts.isEmpty == !overdue)
        if overdue {
            #expect(alerts[0].level == .red)
            #expect(alerts[0].rule == .feedbackOverdue)
            #expect(alerts[0].raisedAt == due)
            #expect(alerts[0].subject == "notice-N1-1")
        }
    }

    @Test func feedbackIsDueThreeWorkingDaysAfterTheNotice() {
        // Issued Wednesday Sep 30: Oct 8, 9, 10 (make-up Saturday) -> Oct 11 00:00.
        let result = Supervision.feedbackDue(
            issuedAt: at("2026-09-30 15:00"), departmentCode: "D1", context: context)
        #expect(result.value == at("2026-10-11 00:00"))
        #expect(!result.isProvisional)
    }

    @Test func aManualCardCarriesTheSupervisorsReason() {
        let alert = Alert.manual(
            scope: .caseOf(CaseKey(departmentCode: "D1", caseID: "C9")), level: .red,
            subject: "M-2026-7", reason: "fees taken in cash without receipt", by: "wang",
            at: at("2026-10-14 09:00"))
        #expect(alert.rule == .manual)
        #expect(alert.id.rawValue == "case:D1/C9|manual|M-2026-7|red")
        #expect(alert.explanation.contains("fees taken in cash without receipt"))
        #expect(alert.explanation.contains("wang"))
    }
}
