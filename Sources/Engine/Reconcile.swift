/// Why a case (or complaint) was recomputed; given to the alerts it
/// withdraws.
public enum RecomputeReason: Hashable, Sendable, CustomStringConvertible {
    /// An event arrived in order (possibly reported late).
    case eventArrived(eventID: String)
    /// An event arrived late or out of order.
    case lateEvent(eventID: String)
    /// A revision corrected an event.
    case revisedEvent(eventID: String, revision: Int)
    /// The catalogue changed to this version.
    case catalogueChanged(version: Int)
    /// The calendar changed to this version.
    case calendarChanged(version: Int)
    /// Anything else, in words.
    case other(String)

    /// A sentence for the withdrawal record.
    public var description: String {
        switch self {
        case .eventArrived(let id):
            return "recomputed after event \(id) arrived"
        case .lateEvent(let id):
            return "recomputed after event \(id) arrived out of order"
        case .revisedEvent(let id, let revision):
            return "recomputed after event \(id) was revised (revision \(revision))"
        case .catalogueChanged(let version):
            return "recomputed after the catalogue changed to version \(version)"
        case .calendarChanged(let version):
            return "recomputed after the calendar changed to version \(version)"
        case .other(let text):
            return text
        }
    }
}

/// A change to the set of alerts that hold, found by recomputation.
public enum AlertTransition: Hashable, Sendable {
    /// A new alert holds.
    case raised(Alert)
    /// An alert no longer holds; it stays on record as withdrawn.
    case withdrawn(Alert, reason: RecomputeReason)
    /// The same alert (same id) holds with different facts or instant.
    case amended(from: Alert, to: Alert)

    /// The alert's id.
    public var alertID: AlertID {
        switch self {
        case .raised(let alert): return alert.id
        case .withdrawn(let alert, _): return alert.id
        case .amended(_, let alert): return alert.id
        }
    }
}

extension Supervision {
    /// Compares the alerts that held before a recomputation with those that
    /// hold after it: alerts that no longer hold are withdrawn with
    /// `reason`, new ones raised, changed ones amended. Nothing is deleted.
    ///
    /// Withdrawals come first, then amendments, then raises; each group in
    /// id order (raises by instant, then id).
    public static func reconcile(
        previous: [Alert], current: [Alert], reason: RecomputeReason
    ) -> [AlertTransition] {
        var before: [AlertID: Alert] = [:]
        for alert in previous { before[alert.id] = alert }
        var after: [AlertID: Alert] = [:]
        for alert in current { after[alert.id] = alert }

        var withdrawn: [AlertTransition] = []
        var amended: [AlertTransition] = []
        var raised: [Alert] = []
        for id in before.keys.sorted() {
            let old = before[id]!
            if let new = after[id] {
                if new != old { amended.append(.amended(from: old, to: new)) }
            } else {
                withdrawn.append(.withdrawn(old, reason: reason))
            }
        }
        for (id, alert) in after where before[id] == nil {
            raised.append(alert)
        }
        raised.sort { ($0.raisedAt, $0.id) < ($1.raisedAt, $1.id) }
        return withdrawn + amended + raised.map { .raised($0) }
    }
}
