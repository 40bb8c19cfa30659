import Engine
import Interchange
import Messages
import Store

/// Writes alerts and their transitions: the alert's row and one entry in
/// the alert log per change, in the transaction of the change's cause.
///
/// An alert's row keeps, as its payload, the alert with its whole history
/// (`AlertView`); the lifecycle state (notice, feedback, appeal) is rebuilt
/// from that history by replaying it through the engine's state machine, so
/// the engine's rules about what may follow what are the only ones.
struct AlertBook {
    let transaction: WriteTransaction
    let region: String

    /// What a write did, for the caller's metrics.
    struct Outcome {
        var raised: [Messages.Alert] = []
        var withdrawn = 0
    }

    // MARK: Engine transitions

    /// Records what recomputation found: raised, withdrawn and amended alerts.
    func apply(_ transitions: [Engine.AlertTransition], at now: Instant) throws -> Outcome {
        var outcome = Outcome()
        for transition in transitions {
            switch transition {
            case .raised(let alert):
                if let raised = try raise(alert, at: now) { outcome.raised.append(raised) }
            case .withdrawn(let alert, let reason):
                if try withdraw(alert.id.rawValue, reason: reason.description, at: now) {
                    outcome.withdrawn += 1
                }
            case .amended(_, let alert):
                try amend(alert)
            }
        }
        return outcome
    }

    /// Raises an alert, or raises again one that was withdrawn. An alert
    /// that already stands is left alone (a restart recomputes what was
    /// already raised). Returns the alert when it was raised.
    func raise(_ alert: Engine.Alert, at now: Instant, actor: String = "engine",
               note: String = "") throws -> Messages.Alert? {
        var view = try existingView(alert.id.rawValue) ?? AlertView()
        if let current = view.alert {
            guard current.status == .withdrawn else { return nil }
        }
        var message = AlertMessages.message(for: alert, region: region)
        message.status = .active
        message.raisedAt = Timestamp(now)
        view.alert = message
        return try append(.raised, to: &view, at: now, actor: actor, note: note)
    }

    /// Withdraws a standing alert because it no longer holds; false when it
    /// was not standing.
    func withdraw(_ alertID: String, reason: String, at now: Instant) throws -> Bool {
        guard var view = try existingView(alertID), let current = view.alert,
            current.status != .withdrawn, current.status != .revoked
        else { return false }
        view.alert?.status = .withdrawn
        _ = try append(.withdrawn, to: &view, at: now, actor: "engine", note: reason)
        return true
    }

    /// Updates a standing alert's facts and description (a provisional
    /// deadline became definite, say). Not a transition: its status and
    /// history stay as they are.
    func amend(_ alert: Engine.Alert) throws {
        guard var view = try existingView(alert.id.rawValue), var message = view.alert else {
            return
        }
        let fresh = AlertMessages.message(for: alert, region: region)
        message.description = fresh.description
        message.facts = fresh.facts
        message.dueAt = fresh.dueAt
        view.alert = message
        try transaction.putAlert(row(for: view))
    }

    // MARK: Supervision actions

    /// Performs a supervision action on an alert, checked by the engine's
    /// lifecycle; returns the alert with its history.
    ///
    /// - Throws: `SupervisionRefusal` when the alert does not exist or the
    ///   action is not possible in its state.
    func perform(
        _ action: LifecycleAction, on alertID: String, by caller: Caller, at now: Instant,
        note: String, notice: (inout SupervisionNotice) -> Void = { _ in }
    ) throws -> AlertView {
        guard var view = try existingView(alertID), let alert = view.alert else {
            throw SupervisionRefusal.notFound(alertID)
        }
        var record = AlertMessages.replay(view)
        let actor = Engine.Actor(
            id: caller.name, role: caller.role == .department ? .department : .supervisor)
        do {
            try record.perform(action, by: actor, at: now)
        } catch {
            throw SupervisionRefusal.notPossible(error.description)
        }

        var updated = alert
        var kind = TransitionKind.unspecified
        switch action {
        case .issueNotice:
            kind = .noticeIssued
            updated.status = .noticeIssued
        case .submitFeedback:
            kind = .feedbackSubmitted
            updated.status = .feedbackSubmitted
        case .close:
            kind = .closed
            updated.status = .closed
        case .returnFeedback:
            kind = .returned
            updated.status = .noticeIssued
        case .escalate:
            kind = .escalated
            updated.status = .escalated
        case .appeal:
            kind = .appealed
            updated.appeal = .pending
        case .upholdAppeal:
            kind = .appealUpheld
            updated.appeal = .upheld
        case .revoke:
            kind = .revoked
            updated.appeal = .revoked
            updated.status = .revoked
        case .withdraw:
            kind = .withdrawn
            updated.status = .withdrawn
        }
        var current = updated.notice ?? SupervisionNotice()
        notice(&current)
        if updated.notice != nil || kind == .noticeIssued { updated.notice = current }
        view.alert = updated
        _ = try append(kind, to: &view, at: now, actor: caller.description, note: note)
        return view
    }

    // MARK: Rows and the log

    func existingView(_ alertID: String) throws -> AlertView? {
        guard let row = try transaction.alert(id: alertID) else { return nil }
        return try AlertView(serializedBytes: row.payload)
    }

    /// Appends one transition to the log and rewrites the row; returns the
    /// alert as it now stands.
    private func append(
        _ kind: TransitionKind, to view: inout AlertView, at now: Instant, actor: String,
        note: String
    ) throws -> Messages.Alert {
        var transition = AlertTransition()
        transition.kind = kind
        transition.at = Timestamp(now)
        transition.actor = actor
        transition.note = note
        transition.alert = view.alert

        // The row goes first (the log refers to it), already carrying the
        // sequence the log is about to give: the next one, as the writer is
        // the only one appending.
        let sequence = try transaction.alertLogPosition() + 1
        transition.sequence = sequence
        transition.alert?.sequence = sequence
        view.alert?.sequence = sequence
        view.history.append(transition)
        try transaction.putAlert(row(for: view))

        let alert = view.alert!
        transition.sequence = 0
        transition.alert?.sequence = 0
        let entry = try transaction.appendAlertLog(
            AlertLogEntry(
                alertID: alert.alertID, kind: Int(kind.rawValue), at: now.millisecondsSinceEpoch,
                actor: actor, note: note, department: alert.departmentCode,
                caseID: alert.caseID, rule: Int(alert.rule.rawValue),
                level: Int(alert.level.rawValue), status: Int(alert.status.rawValue),
                payload: transition.serializedBytes()))
        precondition(entry.sequence == sequence, "the alert log numbered out of turn")
        return alert
    }

    private func row(for view: AlertView) -> StoredAlert {
        let alert = view.alert!
        var notice: NoticeRecord?
        if let n = alert.notice {
            notice = NoticeRecord(
                issuedAt: n.issuedAt.map { Instant($0).millisecondsSinceEpoch } ?? 0,
                issuedBy: n.issuedBy, instructions: n.instructions,
                feedbackDueDate: n.feedbackDueDate,
                feedbackDueAt: n.feedbackDueAt.map { Instant($0).millisecondsSinceEpoch } ?? 0,
                explanation: n.explanation, rectification: n.rectification,
                feedbackAt: n.feedbackAt.map { Instant($0).millisecondsSinceEpoch },
                feedbackBy: n.feedbackBy, timesReturned: Int(n.timesReturned))
        }
        return StoredAlert(
            alertID: alert.alertID, rule: Int(alert.rule.rawValue),
            level: Int(alert.level.rawValue), status: Int(alert.status.rawValue),
            appeal: Int(alert.appeal.rawValue), department: alert.departmentCode,
            caseID: alert.caseID, subject: alert.subject,
            dueAt: alert.dueAt.map { Instant($0).millisecondsSinceEpoch } ?? 0,
            raisedAt: alert.raisedAt.map { Instant($0).millisecondsSinceEpoch } ?? 0,
            description: alert.description, region: alert.regionCode,
            sequence: alert.sequence, notice: notice, payload: view.serializedBytes())
    }
}

/// Why a supervision action was refused, mapped to a gRPC status by the
/// alert service.
enum SupervisionRefusal: Error, CustomStringConvertible {
    /// No alert has this id.
    case notFound(String)
    /// The alert's state does not allow the action.
    case notPossible(String)

    var description: String {
        switch self {
        case .notFound(let id): "no alert has the id \"\(id)\""
        case .notPossible(let reason): reason
        }
    }
}
