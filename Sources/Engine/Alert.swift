/// How serious an alert is.
public enum AlertLevel: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Warning (预警): a deadline is near.
    case warning
    /// Yellow card (黄牌).
    case yellow
    /// Red card (红牌).
    case red

    /// Orders levels from warning to red.
    public static func < (lhs: AlertLevel, rhs: AlertLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether this level is a card (yellow or red).
    public var isCard: Bool { self != .warning }
}

/// What an alert is attached to: a case, or a complaint.
public enum AlertScope: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A case of a department.
    case caseOf(CaseKey)
    /// A complaint (投诉) about a department.
    case complaint(departmentCode: String, complaintID: String)

    /// The department the alert counts against.
    public var departmentCode: String {
        switch self {
        case .caseOf(let key): return key.departmentCode
        case .complaint(let department, _): return department
        }
    }

    /// `case:DEPT/ID` or `complaint:DEPT/ID`.
    public var description: String {
        switch self {
        case .caseOf(let key):
            return "case:" + escapeKeyPart(key.departmentCode) + "/" + escapeKeyPart(key.caseID)
        case .complaint(let department, let id):
            return "complaint:" + escapeKeyPart(department) + "/" + escapeKeyPart(id)
        }
    }

    /// Orders scopes by their text.
    public static func < (lhs: AlertScope, rhs: AlertScope) -> Bool {
        lhs.description < rhs.description
    }
}

/// The stable identity of an alert: the same scope, rule, subject and level
/// always give the same id, however often the case is recomputed.
///
/// The id is readable: `case:DEPT/CASE|caseTime|promised|yellow`. Parts are
/// percent-escaped where they contain `%`, `|` or `/`.
public struct AlertID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The id's text.
    public let rawValue: String

    /// Wraps an id's text, e.g. one read back from storage.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The id of an alert with these parts.
    public init(scope: AlertScope, rule: AlertRule, subject: String, level: AlertLevel) {
        self.rawValue =
            scope.description + "|" + rule.rawValue + "|" + escapeKeyPart(subject)
            + "|" + level.rawValue
    }

    /// Orders ids by text.
    public static func < (lhs: AlertID, rhs: AlertID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The id's text.
    public var description: String { rawValue }
}

/// The facts that made an alert true, for supervisors and for programs.
///
/// Fields that do not apply to the alert's rule are nil.
public struct AlertFacts: Hashable, Sendable {
    /// The deadline or threshold concerned.
    public var deadline: Instant?
    /// The limit in working days that the deadline ends.
    public var limitDays: Int?
    /// When the case, step or procedure finished, if it has.
    public var finishedAt: Instant?
    /// Working days between the deadline and the finish, when finished late.
    public var workingDaysOver: Int?
    /// The event that triggered the alert.
    public var eventID: String?
    /// An amount observed, in fen (the fee total).
    public var amountFen: Int64?
    /// The fee standard's maximum in fen (0 when the item may charge nothing).
    public var standardFen: Int64?
    /// A number observed against ``limitDays`` (extension days asked for).
    public var observedDays: Int?
    /// The region and year of a missing calendar.
    public var region: RegionCode?
    /// The year of a missing calendar.
    public var year: Int?

    /// Creates facts; everything left out is nil.
    public init(
        deadline: Instant? = nil, limitDays: Int? = nil, finishedAt: Instant? = nil,
        workingDaysOver: Int? = nil, eventID: String? = nil, amountFen: Int64? = nil,
        standardFen: Int64? = nil, observedDays: Int? = nil, region: RegionCode? = nil,
        year: Int? = nil
    ) {
        self.deadline = deadline
        self.limitDays = limitDays
        self.finishedAt = finishedAt
        self.workingDaysOver = workingDaysOver
        self.eventID = eventID
        self.amountFen = amountFen
        self.standardFen = standardFen
        self.observedDays = observedDays
        self.region = region
        self.year = year
    }
}

/// An alert (warning, yellow card or red card) that holds.
///
/// An alert marks the moment something became true: it keeps holding after
/// the case concludes. Only a change of the data (a late or corrected event,
/// a catalogue or calendar change) withdraws it, through
/// ``Supervision/reconcile(previous:current:reason:)``.
public struct Alert: Hashable, Sendable, Identifiable {
    /// The stable identity.
    public var id: AlertID
    /// What the alert is attached to.
    public var scope: AlertScope
    /// The rule that raised it.
    public var rule: AlertRule
    /// What within the scope it is about: `promised`, `legal`, `intake`,
    /// `review-1`, `procedure-P1`, `event-E7`, `fee`, `delivery`...
    public var subject: String
    /// Warning, yellow or red.
    public var level: AlertLevel
    /// The instant it became true: the threshold instant, or the event's.
    public var raisedAt: Instant
    /// The structured facts.
    public var facts: AlertFacts
    /// One plain English sentence a supervisor understands.
    public var explanation: String
    /// Whether it rests on a year with no calendar data.
    public var isProvisional: Bool

    /// Creates an alert; its id follows from scope, rule, subject and level.
    public init(
        scope: AlertScope, rule: AlertRule, subject: String, level: AlertLevel,
        raisedAt: Instant, facts: AlertFacts = AlertFacts(), explanation: String,
        isProvisional: Bool = false
    ) {
        self.id = AlertID(scope: scope, rule: rule, subject: subject, level: level)
        self.scope = scope
        self.rule = rule
        self.subject = subject
        self.level = level
        self.raisedAt = raisedAt
        self.facts = facts
        self.explanation = explanation
        self.isProvisional = isProvisional
    }

    /// A card issued by hand by a supervisor (人工发牌), with a reason.
    ///
    /// `subject` distinguishes several manual cards on one case (e.g. the
    /// supervisor's own reference for it).
    public static func manual(
        scope: AlertScope, level: AlertLevel, subject: String, reason: String,
        by supervisor: String, at instant: Instant
    ) -> Alert {
        Alert(
            scope: scope, rule: .manual, subject: subject, level: level, raisedAt: instant,
            explanation: "Supervisor \(supervisor) issued a \(level.englishName) by hand: \(reason)"
        )
    }
}

extension AlertLevel {
    /// `warning`, `yellow card` or `red card`.
    public var englishName: String {
        switch self {
        case .warning: return "warning"
        case .yellow: return "yellow card"
        case .red: return "red card"
        }
    }
}

func escapeKeyPart(_ part: String) -> String {
    guard part.utf8.contains(where: { $0 == 0x25 || $0 == 0x7C || $0 == 0x2F }) else {
        return part
    }
    var escaped = ""
    for character in part {
        switch character {
        case "%": escaped += "%25"
        case "|": escaped += "%7C"
        case "/": escaped += "%2F"
        default: escaped.append(character)
        }
    }
    return escaped
}
