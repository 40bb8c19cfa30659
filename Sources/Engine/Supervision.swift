/// The supervision engine's entry points.
///
/// (Named `Supervision` rather than after the module, so that `Engine.Alert`
/// still names the module's type where another module has an `Alert` too.)
///
/// A case's state is a pure function of its events, the catalogue, the
/// calendar and `now`: ``evaluate(events:context:now:)`` orders the events
/// by when they happened, keeps the highest revision of each event id, folds
/// them, derives the deadlines and returns the alerts that hold at `now`.
/// Nothing here reads a clock, a socket or a database.
///
/// ```swift
/// let context = EvaluationContext(catalogue: catalogue, calendar: try .official())
/// let evaluation = Supervision.evaluate(events: events, context: context, now: now)
/// for alert in evaluation.alerts { print(alert.level, alert.explanation) }
/// ```
public enum Supervision {
    /// Evaluates one case at `now` against a catalogue and a calendar.
    ///
    /// Convenient for one case; to evaluate many, prepare an
    /// ``EvaluationContext`` once and use ``evaluate(events:context:now:)``.
    public static func evaluate(
        events: [CaseEvent], catalogue: Catalogue, calendar: WorkingCalendar, now: Instant
    ) -> CaseEvaluation {
        evaluate(events: events, source: .direct(catalogue, calendar), now: now)
    }

    /// Evaluates one case at `now`. All events must belong to one case.
    public static func evaluate(
        events: [CaseEvent], context: EvaluationContext, now: Instant
    ) -> CaseEvaluation {
        evaluate(events: events, source: .prepared(context), now: now)
    }

    /// The alerts that hold at `now` for every case, ordered by the instant
    /// they became true and then by id. Each element of `cases` is one
    /// case's events.
    public static func alertsHolding(
        at now: Instant, cases: [[CaseEvent]], context: EvaluationContext
    ) -> [Alert] {
        var alerts: [Alert] = []
        for events in cases where !events.isEmpty {
            alerts += evaluate(events: events, context: context, now: now).alerts
        }
        return alerts.sorted { ($0.raisedAt, $0.id) < ($1.raisedAt, $1.id) }
    }

    /// The events that count, in the order they happened: for each event id
    /// the highest revision (ties broken by the later report, then by
    /// content), its late-reporting judged by the first report of that id.
    ///
    /// The result does not depend on the order of `events`.
    public static func canonicalOrder(_ events: [CaseEvent]) -> [CaseEvent] {
        var winners: [String: CaseEvent] = [:]
        var firstReported: [String: Instant] = [:]
        for event in events {
            firstReported[event.eventID] = min(
                firstReported[event.eventID] ?? event.reportedAt, event.reportedAt)
            if let current = winners[event.eventID], !supersedes(event, current) { continue }
            winners[event.eventID] = event
        }
        var ordered = Array(winners.values)
        for index in ordered.indices {
            ordered[index].reportedAt = firstReported[ordered[index].eventID]!
        }
        ordered.sort { EventOrder($0) < EventOrder($1) }
        return ordered
    }

    /// Whether `candidate` replaces `current` as the revision that counts.
    static func supersedes(_ candidate: CaseEvent, _ current: CaseEvent) -> Bool {
        if candidate.revision != current.revision { return candidate.revision > current.revision }
        if candidate.reportedAt != current.reportedAt {
            return candidate.reportedAt > current.reportedAt
        }
        // Two different bodies under one id and revision: pick one by content
        // so that the choice never depends on arrival.
        return String(describing: candidate) > String(describing: current)
    }

    static func evaluate(events: [CaseEvent], source: RulesSource, now: Instant)
        -> CaseEvaluation
    {
        let ordered = canonicalOrder(events)
        let key = ordered.first?.caseKey ?? CaseKey(departmentCode: "", caseID: "")
        var fold = CaseFold(
            key: key, rules: source.rules(itemCode: nil, departmentCode: key.departmentCode))
        for event in ordered {
            fold.apply(event, source: source)
        }
        return CaseEvaluation(fold: fold, now: now)
    }
}

/// A case evaluated at an instant: its phase, deadlines, the alerts that
/// hold, and when the next one becomes due.
public struct CaseEvaluation: Sendable {
    /// The case.
    public var caseKey: CaseKey
    /// The item applied for, once received.
    public var itemCode: String?
    /// Where the case stands.
    public var phase: CasePhase
    /// Whether the decision or certificate was delivered.
    public var isDelivered: Bool
    /// When the application was received.
    public var receivedAt: Instant?
    /// When the case was accepted, as reported.
    public var acceptedAt: Instant?
    /// When the case was concluded (or refused at intake).
    public var finishedAt: Instant?
    /// The decision, once concluded.
    public var conclusion: ConclusionResult?
    /// When the decision or certificate was delivered.
    public var deliveredAt: Instant?
    /// The deadlines as they stand.
    public var deadlines: CaseDeadlines
    /// The alerts that hold at the evaluation instant, ordered by the
    /// instant they became true, then by id.
    public var alerts: [Alert]
    /// The alerts that will hold later unless the case (or step, or
    /// procedure) finishes before their instant, in the same order.
    ///
    /// Built when asked: the server evaluates a case at every event and
    /// needs only the next instant, while the words of an alert (dates,
    /// amounts, working days) are most of an evaluation's cost.
    public var upcoming: [Alert] {
        laterFindings.map { $0.alert(scope: .caseOf(caseKey), calendar: calendar) }
            .sorted(by: Self.order)
    }
    private let laterFindings: [Finding]
    private let calendar: RegionCalendar
    /// The next instant after the evaluation instant at which an alert
    /// becomes due; nil when nothing more can happen without a new event.
    public var nextDueAt: Instant?
    /// The evaluation instant.
    public var evaluatedAt: Instant
    /// Whether any deadline rests on a year with no calendar data.
    public var isProvisional: Bool

    init(fold: CaseFold, now: Instant) {
        caseKey = fold.key
        itemCode = fold.itemCode
        phase = fold.phase
        isDelivered = fold.deliveredAt != nil
        receivedAt = fold.receivedAt
        acceptedAt = fold.acceptedAt
        finishedAt = fold.finishedAt
        conclusion = fold.conclusion
        deliveredAt = fold.deliveredAt
        deadlines = fold.deadlines()
        evaluatedAt = now

        var findings = fold.findings
        fold.thresholds(into: &findings)
        let scope = AlertScope.caseOf(fold.key)
        var holding: [Alert] = []
        var later: [Finding] = []
        for finding in findings where fold.rules.isEnabled(finding.rule) {
            if finding.instant <= now {
                holding.append(finding.alert(scope: scope, calendar: fold.calendar))
            } else {
                later.append(finding)
            }
        }
        alerts = holding.sorted(by: Self.order)
        laterFindings = later
        calendar = fold.calendar
        nextDueAt = later.lazy.map(\.instant).min()
        isProvisional = findings.contains { $0.rule == .calendarMissing }
    }

    private static func order(_ a: Alert, _ b: Alert) -> Bool {
        (a.raisedAt, a.id) < (b.raisedAt, b.id)
    }
}
