// Writes to the catalogue, calendars, scoring schemes, complaints,
// evaluations, tokens, the audit record and the forwarding log.

extension WriteTransaction {
    // MARK: Catalogue

    /// Records a new catalogue version; its number must be above every
    /// recorded one (a catalogue version is never rewritten).
    public func appendCatalogueVersion(_ record: CatalogueVersionRecord) throws {
        let latest = try latestCatalogueVersion()?.version ?? 0
        guard record.version > latest else {
            throw StoreError.invalidArgument(
                name: "catalogue version", value: "\(record.version)",
                expected: "a version above the latest, \(latest)")
        }
        try connection.run(
            """
            INSERT INTO catalogue_version (version, recorded_at, recorded_by, note, departments,
                items, rule_settings)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                record.version, record.recordedAt, record.recordedBy, record.note,
                record.departments, record.items, record.ruleSettings,
            ])
    }

    // MARK: Calendars

    /// Records a new version of a region's calendar for a year; earlier
    /// versions stay. Returns the record with its version.
    @discardableResult
    public func putCalendar(_ record: CalendarRecord) throws -> CalendarRecord {
        var stored = record
        stored.version = (try calendar(region: record.region, year: record.year)?.version ?? 0) + 1
        try connection.run(
            """
            INSERT INTO calendar (region, year, version, recorded_at, recorded_by, payload)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                stored.region, stored.year, stored.version, stored.recordedAt,
                stored.recordedBy, stored.payload,
            ])
        return stored
    }

    // MARK: Scoring schemes

    /// Records a new scoring scheme version, one above the latest; returns it
    /// with its version.
    @discardableResult
    public func appendScoringScheme(_ record: ScoringSchemeRecord) throws
        -> ScoringSchemeRecord
    {
        var stored = record
        stored.version = (try latestScoringScheme()?.version ?? 0) + 1
        try connection.run(
            """
            INSERT INTO scoring_scheme (version, name, recorded_at, recorded_by, payload)
            VALUES (?, ?, ?, ?, ?)
            """,
            [stored.version, stored.name, stored.recordedAt, stored.recordedBy, stored.payload])
        return stored
    }

    // MARK: Complaints

    /// Inserts the complaint or replaces the existing row with the same id.
    public func putComplaint(_ record: ComplaintRecord) throws {
        try connection.run(
            """
            INSERT OR REPLACE INTO complaint (\(Self.complaintColumns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                record.complaintID, record.department, record.caseID, record.state,
                record.receivedAt, record.dueAt, record.updatedAt, record.payload,
            ])
    }

    // MARK: Evaluations

    /// Publishes an evaluation as a new revision of its department and period
    /// (1 for the first); earlier revisions stay untouched. Returns the
    /// record with its revision.
    @discardableResult
    public func publishEvaluation(_ record: EvaluationRecord) throws -> EvaluationRecord {
        var stored = record
        let latest = try evaluation(department: record.department, period: record.period)
        stored.revision = (latest?.revision ?? 0) + 1
        try connection.run(
            """
            INSERT INTO evaluation (\(Self.evaluationColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                stored.department, stored.period, stored.revision, stored.publishedAt,
                stored.publishedBy, stored.schemeVersion, stored.payload,
            ])
        return stored
    }

    // MARK: Tokens

    /// Stores a new token. Its id and secret hash must both be unused.
    public func insertToken(_ record: TokenRecord) throws {
        guard !record.secretHash.isEmpty else {
            throw StoreError.invalidArgument(
                name: "secret_hash", value: "", expected: "the hash of the token's secret")
        }
        try connection.run(
            "INSERT INTO access_token (\(Self.tokenColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                record.tokenID, record.secretHash, record.name, record.role,
                record.department, record.createdAt, record.createdBy, record.revokedAt,
            ])
    }

    /// Marks a token revoked at `at`; revoking twice keeps the first instant.
    /// Throws ``StoreError/notFound(what:)`` for an unknown id.
    @discardableResult
    public func revokeToken(id: String, at: Int64) throws -> TokenRecord {
        try connection.run(
            "UPDATE access_token SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
            [at, id])
        guard let token = try token(id: id) else {
            throw StoreError.notFound(what: "token \(id)")
        }
        return token
    }

    // MARK: Audit record

    /// Appends an entry to the audit record; returns its sequence.
    @discardableResult
    public func appendAudit(_ record: AuditRecord) throws -> Int64 {
        try connection.run(
            """
            INSERT INTO audit_record (at, actor, role, action, target, outcome)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [record.at, record.actor, record.role, record.action, record.target, record.outcome])
        return connection.lastInsertRowID
    }

    // MARK: Forwarding log

    /// Queues a record for forwarding upward with the next gapless sequence;
    /// returns that sequence.
    ///
    /// The last sequence is kept in the store's bookkeeping table rather than
    /// derived from the records, so that pruning acknowledged records never
    /// lets a sequence be handed out twice.
    @discardableResult
    public func appendOutbound(kind: Int, recordedAt: Int64, payload: [UInt8]) throws -> Int64 {
        let sequence = try outboundPosition() + 1
        try connection.run(
            """
            INSERT INTO outbound_record (sequence, kind, recorded_at, payload)
            VALUES (?, ?, ?, ?)
            """, [sequence, kind, recordedAt, payload])
        try setMeta("outbound.last", sequence)
        return sequence
    }

    /// Records that the upstream has durably taken every outbound record up
    /// to `sequence`, and deletes those records. A position at or below the
    /// current one changes nothing; one beyond the last queued is refused.
    public func acknowledgeOutbound(through sequence: Int64) throws {
        let last = try outboundPosition()
        guard sequence <= last else {
            throw StoreError.invalidArgument(
                name: "acknowledged sequence", value: "\(sequence)",
                expected: "at most the last queued sequence, \(last)")
        }
        guard sequence > (try outboundAcknowledged()) else { return }
        try setMeta("outbound.acknowledged", sequence)
        try connection.run("DELETE FROM outbound_record WHERE sequence <= ?", [sequence])
    }

    /// Records the highest sequence durably taken from a lower server.
    /// Positions only move forward: a lower one is refused.
    public func setInboundPosition(sender: String, position: Int64, at: Int64) throws {
        let current = try inboundPosition(sender: sender)
        guard position >= current else {
            throw StoreError.invalidArgument(
                name: "inbound position of \(sender)", value: "\(position)",
                expected: "at least the recorded position, \(current)")
        }
        try connection.run(
            """
            INSERT INTO inbound_position (sender, position, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (sender) DO UPDATE SET
                position = excluded.position, updated_at = excluded.updated_at
            """, [sender, position, at])
    }
}
