/// Who acts on an alert.
public enum ActorRole: String, Hashable, Sendable {
    /// A supervisor of the centre (监察人员).
    case supervisor
    /// The department the alert counts against.
    case department
    /// The supervision system itself (recomputation).
    case system
}

/// A person or program acting on an alert, recorded with every transition.
public struct Actor: Hashable, Sendable, CustomStringConvertible {
    /// The actor's account or name.
    public var id: String
    /// Their role.
    public var role: ActorRole

    /// Creates an actor.
    public init(id: String, role: ActorRole) {
        self.id = id
        self.role = role
    }

    /// The supervision system.
    public static let system = Actor(id: "system", role: .system)

    /// `role:id`.
    public var description: String { "\(role.rawValue):\(id)" }
}

/// Where an alert stands in its follow-up (section 6 of the domain).
public enum AlertState: String, Hashable, Sendable {
    /// Raised, nobody has acted on it yet.
    case raised
    /// A supervision notice (督办单) was issued; feedback is awaited.
    case noticeIssued
    /// The department answered (反馈); the supervisor must verify.
    case feedbackSubmitted
    /// Verified and closed.
    case closed
    /// The department appealed (申诉); the supervisor must decide.
    case appealed
    /// Revoked (撤销) on appeal; it does not count in scores.
    case revoked
    /// Withdrawn by recomputation: it no longer holds.
    case withdrawn
    /// Escalated to an investigation (调查) after feedback went overdue.
    case underInvestigation
}

/// An action on an alert.
public enum LifecycleAction: Hashable, Sendable, CustomStringConvertible {
    /// Issue a supervision notice with the instant feedback is due.
    case issueNotice(number: String, feedbackDue: Instant)
    /// The department's feedback: explanation and rectification.
    case submitFeedback(text: String)
    /// Close the alert as verified (or close an investigation).
    case close(note: String)
    /// Return the feedback (打回) for more; a new feedback due instant.
    case returnFeedback(reason: String, feedbackDue: Instant)
    /// The department appeals a card.
    case appeal(reason: String)
    /// The supervisor upholds the card; the alert goes back where it was.
    case upholdAppeal(reason: String)
    /// The supervisor revokes the card.
    case revoke(reason: String)
    /// Recomputation found the alert no longer holds.
    case withdraw(reason: String)
    /// Escalate overdue feedback to an investigation.
    case escalate(reason: String)

    /// The action's name, e.g. `issue a supervision notice`.
    public var description: String {
        switch self {
        case .issueNotice: return "issue a supervision notice"
        case .submitFeedback: return "submit feedback"
        case .close: return "close"
        case .returnFeedback: return "return the feedback"
        case .appeal: return "appeal"
        case .upholdAppeal: return "uphold on appeal"
        case .revoke: return "revoke"
        case .withdraw: return "withdraw"
        case .escalate: return "escalate to an investigation"
        }
    }

    /// The role allowed to take the action.
    public var requiredRole: ActorRole {
        switch self {
        case .issueNotice, .close, .returnFeedback, .upholdAppeal, .revoke, .escalate:
            return .supervisor
        case .submitFeedback, .appeal:
            return .department
        case .withdraw:
            return .system
        }
    }
}

/// An action refused: it names the alert's state, the action and why.
public struct LifecycleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The alert's state when the action was tried.
    public var state: AlertState
    /// The action refused.
    public var action: LifecycleAction
    /// Why, in words.
    public var reason: String

    /// `cannot close an alert that is raised: ...`.
    public var description: String {
        "cannot \(action) an alert that is \(state.rawValue): \(reason)"
    }
}

/// One transition in an alert's history.
public struct LifecycleEntry: Hashable, Sendable {
    /// What was done.
    public var action: LifecycleAction
    /// Who did it.
    public var actor: Actor
    /// When.
    public var at: Instant
    /// The state before.
    public var from: AlertState
    /// The state after.
    public var to: AlertState
}

/// One round of a supervision notice: issued (or returned) with a due
/// instant, and the feedback's arrival.
public struct NoticeRound: Hashable, Sendable {
    /// The notice's number.
    public var number: String
    /// The round, from 1; a returned feedback starts the next.
    public var round: Int
    /// When the notice (or the return) was issued.
    public var issuedAt: Instant
    /// When feedback is due.
    public var feedbackDue: Instant
    /// When feedback arrived, if it has.
    public var feedbackAt: Instant?
}

/// An alert with its follow-up: an explicit state machine whose every
/// transition records actor and instant.
///
/// raised → noticeIssued → feedbackSubmitted → closed, or returned back to
/// noticeIssued; an appeal from raised, noticeIssued or feedbackSubmitted →
/// upheld (back where it was) or revoked; withdrawn by recomputation from
/// any state but revoked; escalated to an investigation when feedback is
/// overdue.
public struct AlertRecord: Hashable, Sendable {
    /// The alert.
    public private(set) var alert: Alert
    /// Where it stands.
    public private(set) var state: AlertState
    /// The notice rounds, oldest first.
    public private(set) var rounds: [NoticeRound]
    /// Every transition, oldest first.
    public private(set) var history: [LifecycleEntry]
    private var stateBeforeAppeal: AlertState?
    private var appealed = false

    /// A record of a newly raised alert.
    public init(alert: Alert) {
        self.alert = alert
        self.state = .raised
        self.rounds = []
        self.history = []
    }

    /// Whether the alert counts in a department's scores: a card or warning
    /// about conduct, not revoked or withdrawn.
    public var countsInScores: Bool {
        state != .revoked && state != .withdrawn && !alert.rule.isOperational
    }

    /// Replaces the alert's facts after an amendment by recomputation; the
    /// id must be the same.
    public mutating func amend(to alert: Alert) {
        precondition(alert.id == self.alert.id, "an amendment keeps the alert's id")
        self.alert = alert
    }

    /// Takes `action` by `actor` at `instant`, or refuses it with the reason.
    public mutating func perform(_ action: LifecycleAction, by actor: Actor, at instant: Instant)
        throws(LifecycleError)
    {
        func refuse(_ reason: String) -> LifecycleError {
            LifecycleError(state: state, action: action, reason: reason)
        }
        guard actor.role == action.requiredRole else {
            throw refuse("only a \(action.requiredRole.rawValue) may do this, not \(actor)")
        }

        let next: AlertState
        switch action {
        case .issueNotice(let number, let due):
            guard state == .raised else {
                throw refuse("a notice can only be issued on a raised alert")
            }
            guard due > instant else { throw refuse("feedback due \(due) is not after \(instant)") }
            rounds.append(
                NoticeRound(number: number, round: 1, issuedAt: instant, feedbackDue: due))
            next = .noticeIssued

        case .submitFeedback:
            guard state == .noticeIssued else {
                throw refuse("no supervision notice awaits feedback")
            }
            rounds[rounds.count - 1].feedbackAt = instant
            next = .feedbackSubmitted

        case .close:
            guard state == .feedbackSubmitted || state == .underInvestigation else {
                throw refuse("only submitted feedback or an investigation can be closed")
            }
            next = .closed

        case .returnFeedback(_, let due):
            guard state == .feedbackSubmitted else {
                throw refuse("there is no feedback to return")
            }
            guard due > instant else { throw refuse("feedback due \(due) is not after \(instant)") }
            let last = rounds[rounds.count - 1]
            rounds.append(
                NoticeRound(
                    number: last.number, round: last.round + 1, issuedAt: instant, feedbackDue: due)
            )
            next = .noticeIssued

        case .appeal:
            guard alert.level.isCard else {
                throw refuse("only a yellow or red card can be appealed")
            }
            guard !appealed else { throw refuse("the card was already appealed once") }
            guard [.raised, .noticeIssued, .feedbackSubmitted].contains(state) else {
                throw refuse("an appeal is possible only while the card is open")
            }
            stateBeforeAppeal = state
            appealed = true
            next = .appealed

        case .upholdAppeal:
            guard state == .appealed, let previous = stateBeforeAppeal else {
                throw refuse("there is no appeal to decide")
            }
            next = previous

        case .revoke:
            guard state == .appealed else { throw refuse("a card is revoked only on appeal") }
            next = .revoked

        case .withdraw:
            guard state != .withdrawn && state != .revoked else {
                throw refuse("the alert is already \(state.rawValue)")
            }
            next = .withdrawn

        case .escalate:
            guard state == .noticeIssued, let round = rounds.last else {
                throw refuse("only a notice awaiting feedback can be escalated")
            }
            guard instant >= round.feedbackDue else {
                throw refuse("feedback is not overdue until \(round.feedbackDue)")
            }
            next = .underInvestigation
        }

        history.append(
            LifecycleEntry(action: action, actor: actor, at: instant, from: state, to: next))
        state = next
    }

    /// The feedback-overdue red alerts (督办超期) of this record's notice
    /// rounds: one per round whose feedback did not arrive strictly before
    /// it was due, raised at the due instant. Compare their instants with
    /// `now`; they keep holding after late feedback arrives.
    public var feedbackOverdueAlerts: [Alert] {
        rounds.compactMap { round in
            if let answered = round.feedbackAt, answered < round.feedbackDue { return nil }
            let outcome =
                round.feedbackAt.map { "it arrived only at \($0.iso8601)" }
                ?? "none had arrived by then"
            return Alert(
                scope: alert.scope, rule: .feedbackOverdue,
                subject: "notice-\(round.number)-\(round.round)", level: .red,
                raisedAt: round.feedbackDue,
                facts: AlertFacts(deadline: round.feedbackDue, finishedAt: round.feedbackAt),
                explanation: "Feedback on supervision notice \(round.number) (round "
                    + "\(round.round)) was due at \(round.feedbackDue.iso8601); \(outcome). "
                    + "The notice concerns alert \(alert.id).")
        }
    }

    /// When the current notice round's feedback is due, while it is awaited.
    public var nextDueAt: Instant? {
        state == .noticeIssued ? rounds.last?.feedbackDue : nil
    }
}

extension Supervision {
    /// When feedback on a notice issued at `issuedAt` is due: 24:00 of the
    /// feedback limit's last working day after the issue date (3 by default).
    public static func feedbackDue(
        issuedAt: Instant, departmentCode: String, context: EvaluationContext
    ) -> CalendarResult<Instant> {
        let rules = context.rules(itemCode: nil, departmentCode: departmentCode)
        let result = rules.calendar.workingDay(
            rules.settings.feedbackLimit, after: issuedAt.localDate)
        return CalendarResult(value: result.value.endInstant, missingYears: result.missingYears)
    }
}
