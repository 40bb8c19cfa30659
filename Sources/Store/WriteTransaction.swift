/// The writes one item of a group commit makes, inside its own savepoint.
///
/// Handed to the body of ``Store/write(_:)`` on the writer thread. Everything
/// written through it becomes durable together with the rest of the batch, or
/// not at all; if the body throws, its writes alone are rolled back. It also
/// reads, and sees its own and earlier items' uncommitted writes.
public final class WriteTransaction: ReadTransaction {
    /// Alert log entries appended so far in this batch, in sequence order;
    /// handed to the commit observer once the batch is durable.
    var appendedLog: [AlertLogEntry] = []

    // MARK: Events

    /// Stores an event unless it is a resend, and says which it was.
    ///
    /// Identity is (department, event id, revision). A lower revision than
    /// one already stored is kept as history and answered as superseded.
    public func insertEvent(_ event: EventRecord) throws -> EventInsertion {
        let highest = try connection.queryOne(
            """
            SELECT revision, seq FROM event INDEXED BY event_identity
            WHERE department = ? AND event_id = ? ORDER BY revision DESC LIMIT 1
            """, [event.department, event.eventID]
        ) { (revision: $0.int(0), seq: $0.int64(1)) }

        if let highest, highest.revision == event.revision {
            return .duplicate(sequence: highest.seq)
        }
        if let highest, highest.revision > event.revision {
            let existing = try connection.queryOne(
                "SELECT seq FROM event WHERE department = ? AND event_id = ? AND revision = ?",
                [event.department, event.eventID, event.revision]
            ) { $0.int64(0) }
            if let existing {
                return .duplicate(sequence: existing)
            }
        }

        let statement = try connection.prepare(
            """
            INSERT INTO event (department, case_id, event_id, revision, kind, occurred_at,
                reported_at, origin_region, payload)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        defer { statement.reset() }
        try statement.bind(1, event.department)
        try statement.bind(2, event.caseID)
        try statement.bind(3, event.eventID)
        try statement.bind(4, Int64(event.revision))
        try statement.bind(5, Int64(event.kind))
        try statement.bind(6, event.occurredAt)
        try statement.bind(7, event.reportedAt)
        try statement.bind(8, event.originRegion)
        try statement.bind(9, event.payload)
        _ = try statement.step()
        let sequence = connection.lastInsertRowID

        if let highest, highest.revision > event.revision {
            return .superseded(sequence: sequence, currentRevision: highest.revision)
        }
        return .accepted(sequence: sequence)
    }

    // MARK: Cases

    /// Inserts the case row or replaces every column of the existing one.
    public func upsertCase(_ record: CaseRecord) throws {
        let statement = try connection.prepare(
            """
            INSERT INTO case_record (department, case_id, item_code, state, is_open,
                received_at, accepted_at, concluded_at, result, promised_deadline,
                legal_deadline, alert_level, next_due_at, catalogue_version, updated_at,
                derived)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (department, case_id) DO UPDATE SET
                item_code = excluded.item_code, state = excluded.state,
                is_open = excluded.is_open, received_at = excluded.received_at,
                accepted_at = excluded.accepted_at, concluded_at = excluded.concluded_at,
                result = excluded.result, promised_deadline = excluded.promised_deadline,
                legal_deadline = excluded.legal_deadline, alert_level = excluded.alert_level,
                next_due_at = excluded.next_due_at,
                catalogue_version = excluded.catalogue_version,
                updated_at = excluded.updated_at, derived = excluded.derived
            """)
        defer { statement.reset() }
        try statement.bind([
            record.department, record.caseID, record.itemCode, record.state, record.isOpen,
            record.receivedAt, record.acceptedAt, record.concludedAt, record.result,
            record.promisedDeadline, record.legalDeadline, record.alertLevel,
            record.nextDueAt, record.catalogueVersion, record.updatedAt, record.derived,
        ])
        _ = try statement.step()
    }

    // MARK: Alerts

    /// Inserts the alert or replaces every column of the existing one.
    public func putAlert(_ alert: AlertRecord) throws {
        let notice = alert.notice
        try connection.run(
            """
            INSERT OR REPLACE INTO alert (\(Self.alertColumns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                alert.alertID, alert.rule, alert.level, alert.status, alert.appeal,
                alert.department, alert.caseID, alert.subject, alert.dueAt, alert.raisedAt,
                alert.description, alert.facts, alert.region, alert.sequence,
                notice?.issuedAt, notice?.issuedBy ?? "", notice?.instructions ?? "",
                notice?.feedbackDueDate ?? "", notice?.feedbackDueAt,
                notice?.explanation ?? "", notice?.rectification ?? "", notice?.feedbackAt,
                notice?.feedbackBy ?? "", notice?.timesReturned ?? 0, alert.payload,
            ])
    }

    /// Appends a transition to the alert log, gives it the next sequence and
    /// records that sequence on the alert's row; returns the entry as stored.
    ///
    /// The alert must already be stored (``putAlert(_:)``): the log refers to
    /// it. The entry reaches the commit observer once the batch is durable.
    @discardableResult
    public func appendAlertLog(_ entry: AlertLogEntry) throws -> AlertLogEntry {
        try connection.run(
            """
            INSERT INTO alert_log (alert_id, kind, at, actor, note, department, case_id, rule,
                level, status, payload)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                entry.alertID, entry.kind, entry.at, entry.actor, entry.note, entry.department,
                entry.caseID, entry.rule, entry.level, entry.status, entry.payload,
            ])
        var stored = entry
        stored.sequence = UInt64(connection.lastInsertRowID)
        try connection.run(
            "UPDATE alert SET sequence = ? WHERE alert_id = ?", [stored.sequence, entry.alertID])
        appendedLog.append(stored)
        return stored
    }

    /// Deletes alert log entries that `retention` no longer keeps; returns how
    /// many. Sequences are never reused, and reading from a deleted position
    /// then throws ``StoreError/positionExpired(requested:oldestKept:)``.
    @discardableResult
    public func pruneAlertLog(_ retention: AlertLogRetention, now: Int64) throws -> Int {
        let cutoff: Int64
        switch retention {
        case .keepAll:
            return 0
        case .newest(let count):
            let last = Int64(try alertLogPosition())
            cutoff = last - Int64(count)
        case .younger(let milliseconds):
            cutoff = try newestEntry(recordedBefore: now - milliseconds)
        }
        let prunedThrough = try meta("alert_log.pruned_through")
        guard cutoff > prunedThrough else { return 0 }
        try connection.run("DELETE FROM alert_log WHERE sequence <= ?", [cutoff])
        let deleted = connection.changes
        try setMeta("alert_log.pruned_through", cutoff)
        return deleted
    }

    /// The last entry of the log's oldest stretch recorded before `instant`.
    ///
    /// Walks from the oldest entry and stops at the first younger one, so the
    /// kept entries stay one unbroken run of sequences and the cost is the
    /// number of entries to delete, not the size of the log.
    private func newestEntry(recordedBefore instant: Int64) throws -> Int64 {
        let statement = try connection.prepare(
            "SELECT sequence, at FROM alert_log ORDER BY sequence")
        defer { statement.reset() }
        var newest: Int64 = 0
        while try statement.step(), statement.int64(1) < instant {
            newest = statement.int64(0)
        }
        return newest
    }

    // MARK: Counters

    /// Adds `deltas` to a department's counters for a month (negative deltas
    /// subtract, e.g. for a revoked card).
    public func addCounters(
        department: String, month: Month, deltas: [CounterName: Int64]
    ) throws {
        let statement = try connection.prepare(
            """
            INSERT INTO monthly_counter (department, month, name, value) VALUES (?, ?, ?, ?)
            ON CONFLICT (department, month, name) DO UPDATE SET value = value + excluded.value
            """)
        for (name, delta) in deltas.sorted(by: { $0.key < $1.key }) where delta != 0 {
            defer { statement.reset() }
            try statement.bind(1, department)
            try statement.bind(2, Int64(month.key))
            try statement.bind(3, name.rawValue)
            try statement.bind(4, delta)
            _ = try statement.step()
        }
    }

    // MARK: Shared helpers

    func setMeta(_ key: String, _ value: Int64) throws {
        try connection.run(
            """
            INSERT INTO store_meta (key, value) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, [key, value])
    }
}

/// How much of the alert log to keep.
public enum AlertLogRetention: Sendable, Equatable {
    /// Keep every entry.
    case keepAll
    /// Keep the newest `count` entries.
    case newest(Int)
    /// Keep entries recorded less than this many milliseconds ago.
    case younger(than: Int64)
}
