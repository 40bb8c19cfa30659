/// The compact state of one open case, for a server that keeps every open
/// case in memory.
///
/// A summary holds what the rules need (dates, counters, the alerts events
/// raised) but not the event list. Events that arrive in order are applied
/// incrementally with ``apply(_:context:)``; an event that arrives out of
/// order, or a revision, makes `apply` return false, and the caller refolds
/// the case from its stored events with ``init(events:context:)``.
///
/// ```swift
/// if !summary.apply(event, context: context) {
///     summary = CaseSummary(events: store.events(of: key), context: context)
/// }
/// queue.update(key, dueAt: summary.nextDue(after: now))
/// ```
public struct CaseSummary: Sendable {
    var fold: CaseFold

    /// A summary of a case with no events yet.
    public init(caseKey: CaseKey, context: EvaluationContext) {
        fold = CaseFold(
            key: caseKey,
            rules: context.rules(itemCode: nil, departmentCode: caseKey.departmentCode))
    }

    /// The summary of a case folded from all its events (any order, any
    /// revisions).
    public init(events: [CaseEvent], context: EvaluationContext) {
        let ordered = Supervision.canonicalOrder(events)
        let key = ordered.first?.caseKey ?? CaseKey(departmentCode: "", caseID: "")
        self.init(caseKey: key, context: context)
        let source = RulesSource.prepared(context)
        for event in ordered {
            fold.apply(event, source: source)
        }
    }

    /// The case.
    public var caseKey: CaseKey { fold.key }
    /// Where the case stands.
    public var phase: CasePhase { fold.phase }
    /// The item applied for, once received.
    public var itemCode: String? { fold.itemCode }

    /// Whether the case can still raise time alerts without a new event:
    /// not refused, and not concluded with its delivery settled.
    public var isOpen: Bool {
        switch fold.phase {
        case .notReceived, .intake, .processing: return true
        case .refused: return false
        case .concluded: return fold.conclusion == .approved && fold.deliveredAt == nil
        }
    }

    /// Applies an event that comes after every event applied so far (by
    /// occurrence, then kind, then id) and is a first revision. Returns false,
    /// changing nothing, for any other event: the caller must then refold.
    public mutating func apply(_ event: CaseEvent, context: EvaluationContext) -> Bool {
        guard event.revision <= 1, event.caseKey == fold.key else {
            return false
        }
        if let last = fold.lastOrder, !(last < EventOrder(event)) { return false }
        fold.apply(event, source: .prepared(context))
        return true
    }

    /// The first instant after `instant` at which an alert becomes due, or
    /// nil when nothing more can happen without a new event.
    public func nextDue(after instant: Instant) -> Instant? {
        var next: Instant?
        let rules = fold.rules
        func consider(_ rule: AlertRule, _ due: Instant) {
            if due > instant, rules.isEnabled(rule), next.map({ due < $0 }) ?? true {
                next = due
            }
        }
        fold.thresholds { rule, due, _ in consider(rule, due) }
        for finding in fold.findings { consider(finding.rule, finding.instant) }
        return next
    }

    /// The full evaluation at `now`: deadlines, holding and upcoming alerts.
    public func evaluation(at now: Instant) -> CaseEvaluation {
        CaseEvaluation(fold: fold, now: now)
    }

    /// The alerts that hold at `now`.
    public func alerts(at now: Instant) -> [Alert] {
        evaluation(at: now).alerts
    }
}
