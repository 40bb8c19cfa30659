// The rows beside cases and alerts: the catalogue, calendars, scoring
// schemes, complaints, evaluations, tokens, the audit record and the
// forwarding log. Instants are milliseconds since the Unix epoch.

/// One version of the catalogue (事项目录): departments, items and rule
/// settings, each as the server encodes it.
public struct CatalogueVersionRecord: Sendable, Equatable {
    /// The version number; each new version is higher than every earlier one.
    public var version: Int64
    /// When it was recorded.
    public var recordedAt: Int64
    /// Who recorded it.
    public var recordedBy: String
    /// Why it changed.
    public var note: String
    /// The departments (部门).
    public var departments: [UInt8]
    /// The items (事项).
    public var items: [UInt8]
    /// The rule settings.
    public var ruleSettings: [UInt8]

    /// Creates a catalogue version.
    public init(
        version: Int64, recordedAt: Int64, recordedBy: String, note: String = "",
        departments: [UInt8], items: [UInt8], ruleSettings: [UInt8]
    ) {
        self.version = version
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.note = note
        self.departments = departments
        self.items = items
        self.ruleSettings = ruleSettings
    }
}

/// One version of one region's working-day calendar (工作日历) for one year.
public struct CalendarRecord: Sendable, Equatable {
    /// The region code (行政区划代码).
    public var region: String
    /// The year it covers.
    public var year: Int
    /// The version, assigned by the store: 1 for the first, then up by one.
    public var version: Int
    /// When it was recorded.
    public var recordedAt: Int64
    /// Who recorded it.
    public var recordedBy: String
    /// Holidays and make-up working days, as the server encodes them.
    public var payload: [UInt8]

    /// Creates a calendar record; the store assigns `version` when it is put.
    public init(
        region: String, year: Int, version: Int = 0, recordedAt: Int64, recordedBy: String,
        payload: [UInt8]
    ) {
        self.region = region
        self.year = year
        self.version = version
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.payload = payload
    }
}

/// One version of the evaluation scoring scheme (评分方案).
public struct ScoringSchemeRecord: Sendable, Equatable {
    /// The version, assigned by the store: one above the latest.
    public var version: Int64
    /// The scheme's name.
    public var name: String
    /// When it was recorded.
    public var recordedAt: Int64
    /// Who recorded it.
    public var recordedBy: String
    /// Its weights and bands, as the server encodes them.
    public var payload: [UInt8]

    /// Creates a scoring scheme record; the store assigns `version`.
    public init(
        version: Int64 = 0, name: String, recordedAt: Int64, recordedBy: String,
        payload: [UInt8]
    ) {
        self.version = version
        self.name = name
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.payload = payload
    }
}

/// One complaint (投诉) as it stands.
public struct ComplaintRecord: Sendable, Equatable {
    /// The complaint's id.
    public var complaintID: String
    /// The department complained about.
    public var department: String
    /// The case complained about; empty for none.
    public var caseID: String
    /// Its state, as numbered by the interface standard.
    public var state: Int
    /// When it was received.
    public var receivedAt: Int64
    /// The next instant it is due (accept or conclude), if any.
    public var dueAt: Int64?
    /// When the row was last written.
    public var updatedAt: Int64
    /// Everything else, as the server encodes it.
    public var payload: [UInt8]

    /// Creates a complaint record.
    public init(
        complaintID: String, department: String, caseID: String = "", state: Int,
        receivedAt: Int64, dueAt: Int64? = nil, updatedAt: Int64, payload: [UInt8]
    ) {
        self.complaintID = complaintID
        self.department = department
        self.caseID = caseID
        self.state = state
        self.receivedAt = receivedAt
        self.dueAt = dueAt
        self.updatedAt = updatedAt
        self.payload = payload
    }
}

/// One published revision of a department's evaluation (绩效评估) for a
/// period. Published rows are frozen: republishing adds a revision.
public struct EvaluationRecord: Sendable, Equatable {
    /// The department evaluated.
    public var department: String
    /// The period, e.g. "2026-03", "2026-Q1", "2026-H1", "2026".
    public var period: String
    /// 1 for the first publication, then up by one; assigned by the store.
    public var revision: Int
    /// When it was published.
    public var publishedAt: Int64
    /// Who published it.
    public var publishedBy: String
    /// The scoring scheme version used.
    public var schemeVersion: Int64
    /// Counts, rates, score and grade, as the server encodes them.
    public var payload: [UInt8]

    /// Creates an evaluation record; the store assigns `revision`.
    public init(
        department: String, period: String, revision: Int = 0, publishedAt: Int64,
        publishedBy: String, schemeVersion: Int64, payload: [UInt8]
    ) {
        self.department = department
        self.period = period
        self.revision = revision
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
        self.schemeVersion = schemeVersion
        self.payload = payload
    }
}

/// An access token, as kept: the hash of its secret, never the secret.
public struct TokenRecord: Sendable, Equatable {
    /// The token's public id.
    public var tokenID: String
    /// A hash of the secret, computed by the server (e.g. SHA-256).
    public var secretHash: [UInt8]
    /// Who or what it is for.
    public var name: String
    /// The role, as numbered by the interface standard.
    public var role: Int
    /// For a department token, the department; otherwise empty.
    public var department: String
    /// When it was created.
    public var createdAt: Int64
    /// Who created it.
    public var createdBy: String
    /// When it was revoked, if it was.
    public var revokedAt: Int64?

    /// Creates a token record.
    public init(
        tokenID: String, secretHash: [UInt8], name: String, role: Int,
        department: String = "", createdAt: Int64, createdBy: String, revokedAt: Int64? = nil
    ) {
        self.tokenID = tokenID
        self.secretHash = secretHash
        self.name = name
        self.role = role
        self.department = department
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }
}

/// One entry of the audit record (审计记录): who did what, when, to what.
public struct AuditRecord: Sendable, Equatable {
    /// Position in the audit record, assigned by the store.
    public var sequence: Int64
    /// When.
    public var at: Int64
    /// The token's name.
    public var actor: String
    /// The token's role, as numbered by the interface standard.
    public var role: Int
    /// The full method name, e.g. "/monitor.v1.AlertService/IssueNotice".
    public var action: String
    /// What it acted on.
    public var target: String
    /// "ok", or the status it failed with.
    public var outcome: String

    /// Creates an audit entry; the store assigns `sequence`.
    public init(
        sequence: Int64 = 0, at: Int64, actor: String, role: Int, action: String,
        target: String, outcome: String
    ) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.outcome = outcome
    }
}

/// One record queued for forwarding upward (数据联网).
public struct OutboundRecord: Sendable, Equatable {
    /// Position in the forwarding log: 1, 2, 3... with no gaps.
    public var sequence: Int64
    /// What it carries (an event, an alert transition...), as the server
    /// numbers it.
    public var kind: Int
    /// When it was queued.
    public var recordedAt: Int64
    /// The record as it is sent upward.
    public var payload: [UInt8]

    /// Creates an outbound record; the store assigns `sequence`.
    public init(sequence: Int64 = 0, kind: Int, recordedAt: Int64, payload: [UInt8]) {
        self.sequence = sequence
        self.kind = kind
        self.recordedAt = recordedAt
        self.payload = payload
    }
}
