import Engine
import Interchange
import Messages

/// Alerts between the engine's form and the interface standard's.
enum AlertMessages {
    /// The message for an alert the engine found, before any supervision.
    static func message(for alert: Engine.Alert, region: String) -> Messages.Alert {
        Messages.Alert(alert, regionCode: region)
    }

    /// The engine's alert for a stored message: enough for the lifecycle,
    /// which needs the identity and the level.
    static func engineAlert(_ message: Messages.Alert) -> Engine.Alert? {
        guard let level = AlertLevel(message.level),
            let rule = message.rule.engineRules.first
        else { return nil }
        let scope: AlertScope
        if message.subject.hasPrefix("complaint") {
            scope = .complaint(departmentCode: message.departmentCode, complaintID: message.caseID)
        } else {
            scope = .caseOf(CaseKey(departmentCode: message.departmentCode, caseID: message.caseID))
        }
        let instant = message.dueAt.map { Instant($0) } ?? Instant(millisecondsSinceEpoch: 0)
        var alert = Engine.Alert(
            scope: scope, rule: rule, subject: message.subject, level: level,
            raisedAt: instant, explanation: message.description)
        // The stored id is authoritative: an alert issued by hand carries one
        // the engine did not derive.
        alert.id = AlertID(rawValue: message.alertID)
        return alert
    }

    /// Rebuilds the lifecycle of a stored alert by replaying its history
    /// through the engine's state machine.
    ///
    /// The history was written only by transitions the state machine
    /// allowed, so replaying it gives the state it left; a raise after a
    /// withdrawal starts a fresh lifecycle.
    static func replay(_ view: AlertView) -> AlertRecord {
        let fallback = view.alert.flatMap(engineAlert)
            ?? Engine.Alert(
                scope: .caseOf(CaseKey(departmentCode: "", caseID: "")), rule: .manual,
                subject: "", level: .warning, raisedAt: Instant(millisecondsSinceEpoch: 0),
                explanation: "")
        var record = AlertRecord(alert: fallback)
        let supervisor = Engine.Actor(id: "history", role: .supervisor)
        let department = Engine.Actor(id: "history", role: .department)
        for transition in view.history {
            let at = transition.at.map { Instant($0) } ?? Instant(millisecondsSinceEpoch: 0)
            let due = transition.alert?.notice?.feedbackDueAt.map { Instant($0) } ?? at
            let note = transition.note
            switch transition.kind {
            case .raised:
                record = AlertRecord(alert: transition.alert.flatMap(engineAlert) ?? fallback)
            case .noticeIssued:
                try? record.perform(
                    .issueNotice(number: String(transition.sequence), feedbackDue: due),
                    by: supervisor, at: at)
            case .feedbackSubmitted:
                try? record.perform(.submitFeedback(text: note), by: department, at: at)
            case .closed:
                try? record.perform(.close(note: note), by: supervisor, at: at)
            case .returned:
                try? record.perform(
                    .returnFeedback(reason: note, feedbackDue: due), by: supervisor, at: at)
            case .escalated:
                try? record.perform(.escalate(reason: note), by: supervisor, at: at)
            case .appealed:
                try? record.perform(.appeal(reason: note), by: department, at: at)
            case .appealUpheld:
                try? record.perform(.upholdAppeal(reason: note), by: supervisor, at: at)
            case .revoked:
                try? record.perform(.revoke(reason: note), by: supervisor, at: at)
            case .withdrawn:
                try? record.perform(.withdraw(reason: note), by: .system, at: at)
            default:
                continue
            }
        }
        return record
    }
}
