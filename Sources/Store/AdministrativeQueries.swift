// Queries on the catalogue, calendars, scoring schemes, complaints,
// evaluations, tokens, the audit record and the forwarding log.

extension ReadTransaction {
    // MARK: Catalogue

    static func catalogueVersion(_ row: Statement) -> CatalogueVersionRecord {
        CatalogueVersionRecord(
            version: row.int64(0), recordedAt: row.int64(1), recordedBy: row.text(2),
            note: row.text(3), departments: row.blob(4), items: row.blob(5),
            ruleSettings: row.blob(6))
    }

    /// The catalogue as of `version`, if that version was recorded.
    public func catalogueVersion(_ version: Int64) throws -> CatalogueVersionRecord? {
        try connection.queryOne(
            """
            SELECT version, recorded_at, recorded_by, note, departments, items, rule_settings
            FROM catalogue_version WHERE version = ?
            """, [version], row: Self.catalogueVersion)
    }

    /// The newest catalogue version, or nil before the first is recorded.
    public func latestCatalogueVersion() throws -> CatalogueVersionRecord? {
        try connection.queryOne(
            """
            SELECT version, recorded_at, recorded_by, note, departments, items, rule_settings
            FROM catalogue_version ORDER BY version DESC LIMIT 1
            """, row: Self.catalogueVersion)
    }

    // MARK: Calendars

    static func calendar(_ row: Statement) -> CalendarRecord {
        CalendarRecord(
            region: row.text(0), year: row.int(1), version: row.int(2),
            recordedAt: row.int64(3), recordedBy: row.text(4), payload: row.blob(5))
    }

    /// The newest version of a region's calendar for a year, if one is loaded.
    public func calendar(region: String, year: Int) throws -> CalendarRecord? {
        try connection.queryOne(
            """
            SELECT region, year, version, recorded_at, recorded_by, payload FROM calendar
            WHERE region = ? AND year = ? ORDER BY version DESC LIMIT 1
            """, [region, year], row: Self.calendar)
    }

    /// The newest version of every loaded calendar, by region then year.
    public func calendars() throws -> [CalendarRecord] {
        try connection.query(
            """
            SELECT region, year, max(version), recorded_at, recorded_by, payload FROM calendar
            GROUP BY region, year ORDER BY region, year
            """, row: Self.calendar)
    }

    // MARK: Scoring schemes

    static func scoringScheme(_ row: Statement) -> ScoringSchemeRecord {
        ScoringSchemeRecord(
            version: row.int64(0), name: row.text(1), recordedAt: row.int64(2),
            recordedBy: row.text(3), payload: row.blob(4))
    }

    /// Every scoring scheme version, oldest first.
    public func scoringSchemes() throws -> [ScoringSchemeRecord] {
        try connection.query(
            """
            SELECT version, name, recorded_at, recorded_by, payload FROM scoring_scheme
            ORDER BY version
            """, row: Self.scoringScheme)
    }

    /// The newest scoring scheme, if any was recorded.
    public func latestScoringScheme() throws -> ScoringSchemeRecord? {
        try connection.queryOne(
            """
            SELECT version, name, recorded_at, recorded_by, payload FROM scoring_scheme
            ORDER BY version DESC LIMIT 1
            """, row: Self.scoringScheme)
    }

    // MARK: Complaints

    static func complaint(_ row: Statement) -> ComplaintRecord {
        ComplaintRecord(
            complaintID: row.text(0), department: row.text(1), caseID: row.text(2),
            state: row.int(3), receivedAt: row.int64(4), dueAt: row.optionalInt64(5),
            updatedAt: row.int64(6), payload: row.blob(7))
    }

    static let complaintColumns =
        "complaint_id, department, case_id, state, received_at, due_at, updated_at, payload"

    /// The complaint with this id, if any.
    public func complaint(id: String) throws -> ComplaintRecord? {
        try connection.queryOne(
            "SELECT \(Self.complaintColumns) FROM complaint WHERE complaint_id = ?", [id],
            row: Self.complaint)
    }

    /// Complaints, oldest received first, optionally of one department and in
    /// some states, a page at a time.
    public func complaints(
        department: String? = nil, states: Set<Int> = [], pageSize: Int = 0,
        pageToken: String? = nil
    ) throws -> Page<ComplaintRecord> {
        let size = try checkedPageSize(pageSize)
        var conditions = Conditions()
        if let department {
            conditions.add("department = ?", [department])
        }
        conditions.addIn("state", states)
        if let pageToken {
            let token = try PageToken(
                decoding: pageToken, query: "complaints", shape: [.integer, .text])
            conditions.add("(received_at, complaint_id) > (?, ?)", token.values)
        }
        let rows = try connection.query(
            """
            SELECT \(Self.complaintColumns) FROM complaint \(conditions.sql)
            ORDER BY received_at, complaint_id LIMIT \(size + 1)
            """, conditions.values, row: Self.complaint)
        return page(rows, size: size) { last in
            PageToken(
                query: "complaints", key: [.integer(last.receivedAt), .text(last.complaintID)])
        }
    }

    // MARK: Evaluations

    static func evaluation(_ row: Statement) -> EvaluationRecord {
        EvaluationRecord(
            department: row.text(0), period: row.text(1), revision: row.int(2),
            publishedAt: row.int64(3), publishedBy: row.text(4), schemeVersion: row.int64(5),
            payload: row.blob(6))
    }

    static let evaluationColumns =
        "department, period, revision, published_at, published_by, scheme_version, payload"

    /// The newest published revision of a department's evaluation for a
    /// period, if it was published.
    public func evaluation(department: String, period: String) throws -> EvaluationRecord? {
        try connection.queryOne(
            """
            SELECT \(Self.evaluationColumns) FROM evaluation
            WHERE department = ? AND period = ? ORDER BY revision DESC LIMIT 1
            """, [department, period], row: Self.evaluation)
    }

    /// Every published revision of a department's evaluation for a period,
    /// first publication first.
    public func evaluationRevisions(
        department: String, period: String
    ) throws -> [EvaluationRecord] {
        try connection.query(
            """
            SELECT \(Self.evaluationColumns) FROM evaluation
            WHERE department = ? AND period = ? ORDER BY revision
            """, [department, period], row: Self.evaluation)
    }

    /// The newest revision of every department's evaluation for a period.
    public func evaluations(period: String) throws -> [EvaluationRecord] {
        try connection.query(
            """
            SELECT department, period, max(revision), published_at, published_by,
                scheme_version, payload
            FROM evaluation WHERE period = ? GROUP BY department ORDER BY department
            """, [period], row: Self.evaluation)
    }

    // MARK: Tokens

    static func token(_ row: Statement) -> TokenRecord {
        TokenRecord(
            tokenID: row.text(0), secretHash: row.blob(1), name: row.text(2), role: row.int(3),
            department: row.text(4), createdAt: row.int64(5), createdBy: row.text(6),
            revokedAt: row.optionalInt64(7))
    }

    static let tokenColumns = """
        token_id, secret_hash, name, role, department, created_at, created_by, revoked_at
        """

    /// The token whose secret hashes to `secretHash`, revoked or not; the
    /// caller checks `revokedAt`.
    public func token(secretHash: [UInt8]) throws -> TokenRecord? {
        try connection.queryOne(
            "SELECT \(Self.tokenColumns) FROM access_token WHERE secret_hash = ?",
            [secretHash], row: Self.token)
    }

    /// The token with this id, if any.
    public func token(id: String) throws -> TokenRecord? {
        try connection.queryOne(
            "SELECT \(Self.tokenColumns) FROM access_token WHERE token_id = ?", [id],
            row: Self.token)
    }

    /// Every token, by id.
    public func tokens() throws -> [TokenRecord] {
        try connection.query(
            "SELECT \(Self.tokenColumns) FROM access_token ORDER BY token_id", row: Self.token)
    }

    // MARK: Audit record

    /// Audit entries, newest first, optionally of one actor and within
    /// [`from`, `before`), a page at a time.
    public func auditRecords(
        actor: String? = nil, from: Int64? = nil, before: Int64? = nil, pageSize: Int = 0,
        pageToken: String? = nil
    ) throws -> Page<AuditRecord> {
        let size = try checkedPageSize(pageSize)
        var conditions = Conditions()
        if let actor {
            conditions.add("actor = ?", [actor])
        }
        if let from {
            conditions.add("at >= ?", [from])
        }
        if let before {
            conditions.add("at < ?", [before])
        }
        if let pageToken {
            let token = try PageToken(
                decoding: pageToken, query: "audit", shape: [.integer, .integer])
            conditions.add("(at, sequence) < (?, ?)", token.values)
        }
        let rows = try connection.query(
            """
            SELECT sequence, at, actor, role, action, target, outcome FROM audit_record
            \(conditions.sql) ORDER BY at DESC, sequence DESC LIMIT \(size + 1)
            """, conditions.values
        ) { row in
            AuditRecord(
                sequence: row.int64(0), at: row.int64(1), actor: row.text(2), role: row.int(3),
                action: row.text(4), target: row.text(5), outcome: row.text(6))
        }
        return page(rows, size: size) { last in
            PageToken(query: "audit", key: [.integer(last.at), .integer(last.sequence)])
        }
    }

    // MARK: Forwarding log

    /// Outbound records after `sequence`, in order, at most `limit`.
    public func outboundRecords(after sequence: Int64, limit: Int = 100) throws
        -> [OutboundRecord]
    {
        let size = try checkedPageSize(limit)
        return try connection.query(
            """
            SELECT sequence, kind, recorded_at, payload FROM outbound_record
            WHERE sequence > ? ORDER BY sequence LIMIT \(size)
            """, [sequence]
        ) { row in
            OutboundRecord(
                sequence: row.int64(0), kind: row.int(1), recordedAt: row.int64(2),
                payload: row.blob(3))
        }
    }

    /// The last outbound sequence assigned; 0 before the first.
    public func outboundPosition() throws -> Int64 {
        try meta("outbound.last")
    }

    /// The highest outbound sequence the upstream acknowledged; 0 for none.
    public func outboundAcknowledged() throws -> Int64 {
        try meta("outbound.acknowledged")
    }

    /// The highest sequence taken from a lower server; 0 for none yet.
    public func inboundPosition(sender: String) throws -> Int64 {
        try connection.queryOne(
            "SELECT position FROM inbound_position WHERE sender = ?", [sender]
        ) { $0.int64(0) } ?? 0
    }
}
