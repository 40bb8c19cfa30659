import Engine
import Messages

extension Messages.Alert {
    /// The message for an engine alert and, when it has one, its follow-up.
    ///
    /// The id stays the engine's. The subject follows the standard's
    /// vocabulary (`case`, `intake`, `step:review`, `procedure:P1`,
    /// `event:E7`, `delivery`, `fee`, `item:X`, `calendar:330106/2027`,
    /// `complaint:C1`, `notice:N`); what the engine's subject says beyond it
    /// (a step's run, an intake period, a complaint's clock) is in the facts.
    ///
    /// - Parameters:
    ///   - record: the alert's follow-up (status, appeal, notice); nil for
    ///     an alert that was just raised.
    ///   - regionCode: the region where the alert was raised.
    ///   - recordedAt: when the server recorded it; nil for the instant it
    ///     became true (as an offline simulation has it).
    ///   - sequence: its latest transition's position in the alert log.
    public init(
        _ alert: Engine.Alert, record: AlertRecord? = nil, regionCode: String = "",
        recordedAt: Instant? = nil, sequence: UInt64 = 0
    ) {
        let followUp = FollowUp(history: record?.history ?? [])
        self.init(
            alert, followUp: followUp, regionCode: regionCode, recordedAt: recordedAt,
            sequence: sequence)
    }

    fileprivate init(
        _ alert: Engine.Alert, followUp: FollowUp, regionCode: String, recordedAt: Instant?,
        sequence: UInt64
    ) {
        let (subject, subjectFacts) = standardSubject(of: alert)
        var caseID = ""
        if case .caseOf(let key) = alert.scope { caseID = key.caseID }
        self.init(
            alertID: alert.id.rawValue, rule: Rule(alert.rule), level: Level(alert.level),
            status: followUp.status, appeal: followUp.appeal,
            departmentCode: alert.scope.departmentCode, caseID: caseID, subject: subject,
            dueAt: Timestamp(alert.raisedAt), raisedAt: Timestamp(recordedAt ?? alert.raisedAt),
            description: alert.explanation, facts: factList(of: alert) + subjectFacts,
            notice: followUp.notice, sequence: sequence, regionCode: regionCode)
    }
}

extension AlertRecord {
    /// The record's history as the standard's transitions: the raise first,
    /// then one per action, each with the alert as it stood after it.
    ///
    /// The system's actions are the standard's actor `engine`; sequences are
    /// left at 0 for the alert log to number.
    ///
    /// - Parameters:
    ///   - raisedAt: when the server recorded the raise; nil for the instant
    ///     the alert became true.
    ///   - regionCode: the region where the alert was raised.
    public func transitions(raisedAt: Instant? = nil, regionCode: String = "")
        -> [Messages.AlertTransition]
    {
        var result: [Messages.AlertTransition] = []
        var followUp = FollowUp(history: [])
        let raised = raisedAt ?? alert.raisedAt
        result.append(
            Messages.AlertTransition(
                kind: .raised, at: Timestamp(raised), actor: "engine",
                alert: Messages.Alert(
                    alert, followUp: followUp, regionCode: regionCode, recordedAt: raised,
                    sequence: 0)))
        for entry in history {
            followUp.apply(entry)
            result.append(
                Messages.AlertTransition(
                    kind: TransitionKind(entry.action), at: Timestamp(entry.at),
                    actor: entry.actor.role == .system ? "engine" : entry.actor.id,
                    note: note(of: entry.action),
                    alert: Messages.Alert(
                        alert, followUp: followUp, regionCode: regionCode, recordedAt: raised,
                        sequence: 0)))
        }
        return result
    }
}

extension Messages.AlertTransition {
    /// The transition for a change recomputation found: a raise, or a
    /// withdrawal with its reason. An amendment (the same alert holding with
    /// new facts) has no kind of its own in the standard and is sent as a
    /// raise of the same id, noted as amended.
    ///
    /// - Parameters:
    ///   - at: when the server recorded the change.
    ///   - record: the alert's follow-up, for its status; nil for none yet.
    public init(
        _ transition: Engine.AlertTransition, at: Instant, record: AlertRecord? = nil,
        regionCode: String = ""
    ) {
        var followUp = FollowUp(history: record?.history ?? [])
        let alert: Engine.Alert
        let kind: TransitionKind
        var note = ""
        switch transition {
        case .raised(let raised):
            alert = raised
            kind = .raised
        case .withdrawn(let withdrawn, let reason):
            alert = withdrawn
            kind = .withdrawn
            note = reason.description
            followUp.status = .withdrawn
        case .amended(_, let amended):
            alert = amended
            kind = .raised
            note = "amended by recomputation: the alert still holds with new facts"
        }
        self.init(
            kind: kind, at: Timestamp(at), actor: "engine", note: note,
            alert: Messages.Alert(
                alert, followUp: followUp, regionCode: regionCode, recordedAt: at, sequence: 0))
    }
}

extension AlertStatus {
    /// The standard's status for an engine follow-up state. An appealed
    /// alert has no status of its own in the standard: its status is the
    /// one it had when appealed, and its appeal is pending.
    public init(_ state: AlertState, beforeAppeal: AlertState = .raised) {
        switch state {
        case .raised: self = .active
        case .noticeIssued: self = .noticeIssued
        case .feedbackSubmitted: self = .feedbackSubmitted
        case .closed: self = .closed
        case .appealed: self = beforeAppeal == .appealed ? .active : AlertStatus(beforeAppeal)
        case .revoked: self = .revoked
        case .withdrawn: self = .withdrawn
        case .underInvestigation: self = .escalated
        }
    }
}

extension TransitionKind {
    /// The standard's transition kind for an engine action.
    public init(_ action: LifecycleAction) {
        switch action {
        case .issueNotice: self = .noticeIssued
        case .submitFeedback: self = .feedbackSubmitted
        case .close: self = .closed
        case .returnFeedback: self = .returned
        case .appeal: self = .appealed
        case .upholdAppeal: self = .appealUpheld
        case .revoke: self = .revoked
        case .withdraw: self = .withdrawn
        case .escalate: self = .escalated
        }
    }
}

/// An alert's follow-up as the standard shows it (status, appeal, the
/// current notice), folded from the engine's lifecycle entries.
private struct FollowUp {
    var status: AlertStatus = .active
    var appeal: AppealStatus = .unspecified
    var notice: SupervisionNotice?

    init(history: [LifecycleEntry]) {
        for entry in history { apply(entry) }
    }

    mutating func apply(_ entry: LifecycleEntry) {
        switch entry.action {
        case .issueNotice(_, let due):
            notice = SupervisionNotice(
                issuedAt: Timestamp(entry.at), issuedBy: entry.actor.id,
                feedbackDueDate: due.deadlineDate.iso8601, feedbackDueAt: Timestamp(due))
        case .submitFeedback(let text):
            notice?.explanation = text
            notice?.feedbackAt = Timestamp(entry.at)
            notice?.feedbackBy = entry.actor.id
        case .returnFeedback(_, let due):
            notice?.timesReturned += 1
            notice?.feedbackDueDate = due.deadlineDate.iso8601
            notice?.feedbackDueAt = Timestamp(due)
        case .appeal:
            appeal = .pending
        case .upholdAppeal:
            appeal = .upheld
        case .revoke:
            appeal = .revoked
        case .close, .withdraw, .escalate:
            break
        }
        // While appealed, the standard shows the state the appeal came from.
        if entry.to == .appealed {
            status = AlertStatus(entry.from)
        } else {
            status = AlertStatus(entry.to)
        }
    }
}

/// The words recorded with an action.
private func note(of action: LifecycleAction) -> String {
    switch action {
    case .issueNotice(let number, let due):
        return "supervision notice \(number), feedback due \(due.iso8601)"
    case .submitFeedback(let text): return text
    case .close(let text), .returnFeedback(let text, _), .appeal(let text),
        .upholdAppeal(let text), .revoke(let text), .withdraw(let text), .escalate(let text):
        return text
    }
}

/// The standard's subject for an engine alert, and the facts that carry
/// what the engine's subject says beyond it.
private func standardSubject(of alert: Engine.Alert) -> (String, [Fact]) {
    let subject = alert.subject
    func after(_ prefix: String) -> String? {
        subject.hasPrefix(prefix) ? String(subject.dropFirst(prefix.count)) : nil
    }
    // "name-N" split at its last hyphen, when N is a number.
    func numbered(_ text: String) -> (String, String)? {
        guard let hyphen = text.lastIndex(of: "-"), Int(text[text.index(after: hyphen)...]) != nil
        else { return nil }
        return (String(text[..<hyphen]), String(text[text.index(after: hyphen)...]))
    }

    switch alert.rule {
    case .caseTime:
        return ("case", [])
    case .intake:
        let period = after("intake-") ?? "1"
        return ("intake", [Fact(name: "intake_period", value: period)])
    case .stepTime:
        if let (step, run) = numbered(subject) {
            return ("step:" + step, [Fact(name: "step_run", value: run)])
        }
    case .specialProcedureTime, .specialProcedureType:
        if let id = after("procedure-") {
            return ("procedure:" + id, [Fact(name: "procedure_id", value: id)])
        }
    case .extensionGrant, .missingReason, .outOfOrder, .lateReporting:
        if let id = after("event-") { return ("event:" + id, []) }
    case .unknownItem:
        if let code = after("item-") {
            return ("item:" + code, [Fact(name: "item_code", value: code)])
        }
    case .calendarMissing:
        if let region = alert.facts.region, let year = alert.facts.year {
            return ("calendar:\(region.digits)/\(year)", [])
        }
    case .complaintAcceptance, .complaintConclusion:
        if case .complaint(_, let id) = alert.scope {
            return ("complaint:" + id, [Fact(name: "complaint_clock", value: subject)])
        }
    case .feedbackOverdue:
        if let rest = after("notice-"), let (number, round) = numbered(rest) {
            return (
                "notice:" + number,
                [
                    Fact(name: "notice_number", value: number),
                    Fact(name: "notice_round", value: round),
                ]
            )
        }
    case .fee, .delivery, .manual:
        break
    }
    return (subject, [])
}

/// The alert's facts, named for programs, in a fixed order.
private func factList(of alert: Engine.Alert) -> [Fact] {
    let facts = alert.facts
    var list: [Fact] = []
    func add(_ name: String, _ value: String?) {
        if let value { list.append(Fact(name: name, value: value)) }
    }
    let deadlineName: String
    switch alert.rule {
    case .caseTime: deadlineName = alert.subject == "legal" ? "legal_deadline" : "promised_deadline"
    case .intake: deadlineName = "intake_deadline"
    case .stepTime: deadlineName = "step_deadline"
    case .specialProcedureTime: deadlineName = "procedure_deadline"
    case .delivery: deadlineName = "delivery_deadline"
    case .lateReporting: deadlineName = "reporting_deadline"
    case .complaintAcceptance, .complaintConclusion: deadlineName = "complaint_deadline"
    case .feedbackOverdue: deadlineName = "feedback_deadline"
    default: deadlineName = "deadline"
    }
    add(deadlineName, facts.deadline?.iso8601)
    add(
        alert.rule == .extensionGrant ? "allowed_extension_days" : "limit_days",
        facts.limitDays.map(String.init))
    add(alert.rule == .lateReporting ? "reported_at" : "finished_at", facts.finishedAt?.iso8601)
    add("working_days_over", facts.workingDaysOver.map(String.init))
    add("event_id", facts.eventID)
    add(alert.rule == .fee ? "fee_total_fen" : "amount_fen", facts.amountFen.map(String.init))
    add(
        alert.rule == .fee ? "fee_standard_fen" : "standard_fen", facts.standardFen.map(String.init)
    )
    add(
        alert.rule == .extensionGrant ? "extension_days" : "observed_days",
        facts.observedDays.map(String.init))
    add("region", facts.region?.digits)
    add("year", facts.year.map(String.init))
    if alert.isProvisional { add("provisional", "true") }
    return list
}
