// The rows the store keeps, as plain values. Instants are milliseconds since
// the Unix epoch (UTC); enumerations are the interface standard's numbers,
// which the store keeps without interpreting them.

/// One event (事件) a department reported about one of its cases (办件).
public struct EventRecord: Sendable, Equatable {
    /// The reporting department's code.
    public var department: String
    /// The case's id (申办流水号), unique within the department.
    public var caseID: String
    /// The event's id, chosen by the department so that a resend is
    /// recognised.
    public var eventID: String
    /// 0 for the original; a correction of the same event has a higher one.
    public var revision: Int
    /// The event kind, as numbered by the interface standard.
    public var kind: Int
    /// When it happened.
    public var occurredAt: Int64
    /// When the server received it.
    public var reportedAt: Int64
    /// The region code of the server it was first reported to.
    public var originRegion: String
    /// The protobuf bytes the department sent, kept as evidence.
    public var payload: [UInt8]
    /// Who reported it: the access token's id (empty for events stored
    /// before schema version 5).
    public var reportedBy: String

    /// Creates an event record.
    public init(
        department: String, caseID: String, eventID: String, revision: Int = 0,
        kind: Int, occurredAt: Int64, reportedAt: Int64, originRegion: String,
        payload: [UInt8], reportedBy: String = ""
    ) {
        self.department = department
        self.caseID = caseID
        self.eventID = eventID
        self.revision = revision
        self.kind = kind
        self.occurredAt = occurredAt
        self.reportedAt = reportedAt
        self.originRegion = originRegion
        self.payload = payload
        self.reportedBy = reportedBy
    }
}

/// What happened to an event handed to the store.
public enum EventInsertion: Sendable, Equatable {
    /// Stored; it is the event's current revision.
    case accepted(sequence: Int64)
    /// The same department, event id and revision was already stored; nothing
    /// was written. `sequence` is the stored copy's.
    case duplicate(sequence: Int64)
    /// Stored beside the others as history, but a higher revision exists and
    /// stays current.
    case superseded(sequence: Int64, currentRevision: Int)

    /// The stored event's arrival sequence.
    public var sequence: Int64 {
        switch self {
        case .accepted(let sequence), .duplicate(let sequence), .superseded(let sequence, _):
            return sequence
        }
    }
}

/// An event as stored: its arrival sequence and whether it is current.
public struct StoredEvent: Sendable, Equatable {
    /// Position in arrival order over the whole store.
    public var sequence: Int64
    /// The event.
    public var event: EventRecord
    /// True for the highest revision of its event id.
    public var isCurrent: Bool
}

/// The store's row for one case (办件): the columns queries filter on, and
/// the engine's derived state as an opaque blob.
public struct CaseRecord: Sendable, Equatable {
    /// The department that reports the case.
    public var department: String
    /// The case's id within the department.
    public var caseID: String
    /// The item (事项) code.
    public var itemCode: String
    /// The case state, as numbered by the interface standard.
    public var state: Int
    /// Whether the case is still open: the server loads open cases at start.
    public var isOpen: Bool
    /// When the case was received (收件).
    public var receivedAt: Int64
    /// When it was accepted (受理), if it was.
    public var acceptedAt: Int64?
    /// When it was concluded (办结), if it was.
    public var concludedAt: Int64?
    /// The conclusion's result code; 0 while open.
    public var result: Int
    /// The promised deadline (承诺时限), once known.
    public var promisedDeadline: Int64?
    /// The legal deadline (法定时限), once known.
    public var legalDeadline: Int64?
    /// The highest standing alert level on the case; 0 for none.
    public var alertLevel: Int
    /// The next instant at which a rule may fire for the case.
    public var nextDueAt: Int64?
    /// The catalogue version the case was computed with.
    public var catalogueVersion: Int64
    /// When the row was last written.
    public var updatedAt: Int64
    /// The engine's compact derived state.
    public var derived: [UInt8]

    /// Creates a case record.
    public init(
        department: String, caseID: String, itemCode: String, state: Int, isOpen: Bool,
        receivedAt: Int64, acceptedAt: Int64? = nil, concludedAt: Int64? = nil,
        result: Int = 0, promisedDeadline: Int64? = nil, legalDeadline: Int64? = nil,
        alertLevel: Int = 0, nextDueAt: Int64? = nil, catalogueVersion: Int64,
        updatedAt: Int64, derived: [UInt8] = []
    ) {
        self.department = department
        self.caseID = caseID
        self.itemCode = itemCode
        self.state = state
        self.isOpen = isOpen
        self.receivedAt = receivedAt
        self.acceptedAt = acceptedAt
        self.concludedAt = concludedAt
        self.result = result
        self.promisedDeadline = promisedDeadline
        self.legalDeadline = legalDeadline
        self.alertLevel = alertLevel
        self.nextDueAt = nextDueAt
        self.catalogueVersion = catalogueVersion
        self.updatedAt = updatedAt
        self.derived = derived
    }
}

/// A supervision notice (督办单) on an alert and the department's feedback.
public struct NoticeRecord: Sendable, Equatable {
    /// When the supervisor issued it.
    public var issuedAt: Int64
    /// Who issued it.
    public var issuedBy: String
    /// What the department must explain or put right.
    public var instructions: String
    /// The civil date feedback is due, "YYYY-MM-DD".
    public var feedbackDueDate: String
    /// The instant feedback is due (24:00 local time of that date).
    public var feedbackDueAt: Int64
    /// The latest feedback's explanation.
    public var explanation: String
    /// The latest feedback's rectification.
    public var rectification: String
    /// When the latest feedback arrived; nil while none is outstanding.
    public var feedbackAt: Int64?
    /// Who gave the latest feedback.
    public var feedbackBy: String
    /// How many times feedback was returned for more.
    public var timesReturned: Int

    /// Creates a notice record.
    public init(
        issuedAt: Int64, issuedBy: String, instructions: String, feedbackDueDate: String,
        feedbackDueAt: Int64, explanation: String = "", rectification: String = "",
        feedbackAt: Int64? = nil, feedbackBy: String = "", timesReturned: Int = 0
    ) {
        self.issuedAt = issuedAt
        self.issuedBy = issuedBy
        self.instructions = instructions
        self.feedbackDueDate = feedbackDueDate
        self.feedbackDueAt = feedbackDueAt
        self.explanation = explanation
        self.rectification = rectification
        self.feedbackAt = feedbackAt
        self.feedbackBy = feedbackBy
        self.timesReturned = timesReturned
    }
}

/// One alert (a warning 预警, yellow card 黄牌 or red card 红牌) as it stands.
public struct AlertRecord: Sendable, Equatable {
    /// The alert's stable id.
    public var alertID: String
    /// The rule that raised it, as numbered by the interface standard.
    public var rule: Int
    /// Warning, yellow or red, as numbered by the interface standard.
    public var level: Int
    /// Its status (standing, withdrawn, ...), as numbered by the standard.
    public var status: Int
    /// Its appeal status, as numbered by the interface standard.
    public var appeal: Int
    /// The department it concerns.
    public var department: String
    /// The case it concerns; empty for alerts that concern no case.
    public var caseID: String
    /// What within the case ("case", "step:review", ...).
    public var subject: String
    /// The instant the alert became true.
    public var dueAt: Int64
    /// When the server recorded it.
    public var raisedAt: Int64
    /// The facts in words.
    public var description: String
    /// The same facts for programs, encoded by the server.
    public var facts: [UInt8]
    /// The region where it was raised.
    public var region: String
    /// The sequence of its latest transition in the alert log.
    public var sequence: UInt64
    /// The current supervision notice, if any.
    public var notice: NoticeRecord?
    /// Anything else the server keeps with it.
    public var payload: [UInt8]

    /// Creates an alert record.
    public init(
        alertID: String, rule: Int, level: Int, status: Int, appeal: Int = 0,
        department: String, caseID: String, subject: String, dueAt: Int64, raisedAt: Int64,
        description: String, facts: [UInt8] = [], region: String, sequence: UInt64 = 0,
        notice: NoticeRecord? = nil, payload: [UInt8] = []
    ) {
        self.alertID = alertID
        self.rule = rule
        self.level = level
        self.status = status
        self.appeal = appeal
        self.department = department
        self.caseID = caseID
        self.subject = subject
        self.dueAt = dueAt
        self.raisedAt = raisedAt
        self.description = description
        self.facts = facts
        self.region = region
        self.sequence = sequence
        self.notice = notice
        self.payload = payload
    }
}

/// One transition of one alert in the append-only alert log.
public struct AlertLogEntry: Sendable, Equatable {
    /// Position in the log: strictly increasing, never reused. Assigned by
    /// the store when the entry is appended; the value passed in is ignored.
    public var sequence: UInt64
    /// The alert that changed.
    public var alertID: String
    /// The kind of transition, as numbered by the interface standard.
    public var kind: Int
    /// When it was recorded.
    public var at: Int64
    /// Who made it: a token's name, or "engine".
    public var actor: String
    /// The reason or comment given with it.
    public var note: String
    /// The alert's department, for filtering.
    public var department: String
    /// The alert's case, for filtering; empty for none.
    public var caseID: String
    /// The alert's rule after the transition.
    public var rule: Int
    /// The alert's level after the transition.
    public var level: Int
    /// The alert's status after the transition.
    public var status: Int
    /// The transition as the server encodes it (the alert as it stands).
    public var payload: [UInt8]

    /// Creates a log entry; the store assigns `sequence` when it appends it.
    public init(
        sequence: UInt64 = 0, alertID: String, kind: Int, at: Int64, actor: String,
        note: String = "", department: String, caseID: String, rule: Int, level: Int,
        status: Int, payload: [UInt8] = []
    ) {
        self.sequence = sequence
        self.alertID = alertID
        self.kind = kind
        self.at = at
        self.actor = actor
        self.note = note
        self.department = department
        self.caseID = caseID
        self.rule = rule
        self.level = level
        self.status = status
        self.payload = payload
    }
}

/// Which alerts or log entries a query wants; an empty set matches all.
public struct AlertFilter: Sendable, Equatable {
    /// Department codes to include.
    public var departments: Set<String>
    /// Levels to include.
    public var levels: Set<Int>
    /// Rules to include.
    public var rules: Set<Int>
    /// Statuses to include.
    public var statuses: Set<Int>
    /// Only this case (together with its department in `departments`).
    public var caseID: String?

    /// Creates a filter; the defaults match everything.
    public init(
        departments: Set<String> = [], levels: Set<Int> = [], rules: Set<Int> = [],
        statuses: Set<Int> = [], caseID: String? = nil
    ) {
        self.departments = departments
        self.levels = levels
        self.rules = rules
        self.statuses = statuses
        self.caseID = caseID
    }
}

/// One page of a query's results and the token for the next.
public struct Page<Element: Sendable>: Sendable {
    /// The rows of this page, in the query's order.
    public var items: [Element]
    /// Pass to the same query to get the next page; nil on the last page.
    public var nextPageToken: String?
}

/// A calendar month, the period of the evaluation counters.
public struct Month: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, e.g. 2026.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int

    /// Creates a month; `month` is 1 to 12.
    public init(year: Int, month: Int) {
        precondition((1...12).contains(month), "month \(month) is not 1 to 12")
        self.year = year
        self.month = month
    }

    /// The month as stored: year * 100 + month (202603).
    var key: Int { year * 100 + month }

    /// Orders months in time.
    public static func < (lhs: Month, rhs: Month) -> Bool { lhs.key < rhs.key }

    /// "2026-03".
    public var description: String {
        let padded = month < 10 ? "0\(month)" : "\(month)"
        return "\(year)-\(padded)"
    }
}

/// The name of one evaluation counter. The store adds deltas to any name;
/// these are the ones the evaluation uses.
public struct CounterName: RawRepresentable, Sendable, Hashable, Comparable {
    /// The name as stored.
    public var rawValue: String

    /// Wraps a stored name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Orders names alphabetically, for stable output.
    public static func < (lhs: CounterName, rhs: CounterName) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// Cases received (收件).
    public static let received = CounterName(rawValue: "received")
    /// Cases accepted (受理).
    public static let accepted = CounterName(rawValue: "accepted")
    /// Cases concluded (办结).
    public static let concluded = CounterName(rawValue: "concluded")
    /// Concluded within the promised deadline.
    public static let concludedOnTime = CounterName(rawValue: "concluded_on_time")
    /// Concluded with a whole working day of the promised limit unused.
    public static let concludedEarly = CounterName(rawValue: "concluded_early")
    /// Concluded after, or still open past, the promised deadline.
    public static let overdue = CounterName(rawValue: "overdue")
    /// Warnings raised (revoked ones subtracted).
    public static let warnings = CounterName(rawValue: "warnings")
    /// Yellow cards raised (revoked ones subtracted).
    public static let yellowCards = CounterName(rawValue: "yellow_cards")
    /// Red cards raised (revoked ones subtracted).
    public static let redCards = CounterName(rawValue: "red_cards")
    /// Complaints filed.
    public static let complaintsFiled = CounterName(rawValue: "complaints_filed")
    /// Complaints found substantiated.
    public static let complaintsSubstantiated = CounterName(
        rawValue: "complaints_substantiated")
    /// Supervision notices answered after their due date.
    public static let noticesAnsweredLate = CounterName(rawValue: "notices_answered_late")
    /// Events reported.
    public static let eventsReported = CounterName(rawValue: "events_reported")
    /// Events reported later than allowed.
    public static let eventsReportedLate = CounterName(rawValue: "events_reported_late")
    /// Complaints rated by the complainant.
    public static let complaintsRated = CounterName(rawValue: "complaints_rated")
    /// Complaints rated satisfied or basically satisfied.
    public static let complaintsSatisfied = CounterName(rawValue: "complaints_satisfied")
    /// Working days used by concluded cases, for the speed-up rate.
    public static let workingDaysUsed = CounterName(rawValue: "working_days_used")
    /// Legal working days of concluded cases, for the speed-up rate.
    public static let workingDaysLegal = CounterName(rawValue: "working_days_legal")
}
