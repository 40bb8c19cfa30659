/// The writes one item of a group commit makes.
///
/// Handed to the body of ``Store/write(_:)`` on the writer thread. Everything
/// written through it becomes durable together with the rest of the batch, or
/// not at all; if the body throws, its writes alone are rolled back. It also
/// reads, and sees its own and earlier items' uncommitted writes.
public final class WriteTransaction: ReadTransaction {
    /// Alert log entries appended so far in this batch, in sequence order;
    /// handed to the commit observer once the batch is durable.
    var appendedLog: [AlertLogEntry] = []
    /// Counter deltas of the batch, written once before COMMIT; see
    /// ``addCounters(department:month:deltas:)``.
    private var batchCounters: [CounterKey: Int64] = [:]
    /// Case rows of the batch, written once before COMMIT; see
    /// ``upsertCase(_:)``.
    private var batchCases: [CaseRowKey: CaseRecord] = [:]
    /// What the item running now changed in the two above, to take back
    /// should it be rolled back. An undo log rather than a copy per item:
    /// items almost always succeed, and then it is simply emptied.
    private var counterUndo: [(key: CounterKey, delta: Int64)] = []
    private var caseUndo: [(key: CaseRowKey, previous: CaseRecord?)] = []
    /// The complete event lists (stored plus this batch's) of the cases
    /// this batch added events to, written once before COMMIT; see
    /// ``listEvent(_:department:caseID:)``.
    private var batchEventLists: [CaseRowKey: PendingEventList] = [:]
    /// The length each list had before the running item appended to it; nil
    /// for a list the item brought into the batch. Lengths rather than the
    /// lists themselves, so that appending never copies a list the undo log
    /// also holds.
    private var eventListUndo: [(key: CaseRowKey, previousLength: Int?)] = []

    // MARK: Events

    /// Stores an event unless it is a resend, and says which it was.
    ///
    /// Identity is (department, event id, revision). A lower revision than
    /// one already stored is kept as history and answered as superseded.
    public func insertEvent(_ event: EventRecord) throws -> EventInsertion {
        // Bound one by one rather than through an array of values: this runs
        // for every event, and the array would be an allocation each time.
        let lookup = try connection.prepare(
            """
            SELECT revision, seq FROM event INDEXED BY event_identity
            WHERE department = ? AND event_id = ? ORDER BY revision DESC LIMIT 1
            """)
        let highest: (revision: Int, seq: Int64)?
        do {
            defer { lookup.reset() }
            try lookup.bind(1, event.department)
            try lookup.bind(2, event.eventID)
            highest = try lookup.step() ? (lookup.int(0), lookup.int64(1)) : nil
        }

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
                reported_at, origin_region, payload, reported_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        defer { statement.reset() }
        try bindEvent(event, to: statement)
        _ = try statement.step()
        let sequence = connection.lastInsertRowID
        try listEvent(sequence, department: event.department, caseID: event.caseID)

        if let highest, highest.revision > event.revision {
            return .superseded(sequence: sequence, currentRevision: highest.revision)
        }
        return .accepted(sequence: sequence)
    }

    private func bindEvent(_ event: EventRecord, to statement: Statement) throws {
        try statement.bind(1, event.department)
        try statement.bind(2, event.caseID)
        try statement.bind(3, event.eventID)
        try statement.bind(4, Int64(event.revision))
        try statement.bind(5, Int64(event.kind))
        try statement.bind(6, event.occurredAt)
        try statement.bind(7, event.reportedAt)
        try statement.bind(8, event.originRegion)
        try statement.bind(9, event.payload)
        try statement.bind(10, event.reportedBy)
    }

    /// Adds a stored event to its case's event list, kept in memory until
    /// COMMIT like the case rows: a case's events of one batch cost one
    /// write of the list, on the row that is rewritten anyway.
    private func listEvent(_ sequence: Int64, department: String, caseID: String) throws {
        let key = CaseRowKey(department: department, caseID: caseID)
        if let length = batchEventLists[key]?.list.length {
            eventListUndo.append((key, length))
            batchEventLists[key]?.list.append(sequence)
            return
        }
        let stored = try storedEventList(department: department, caseID: caseID)
        var pending = PendingEventList(list: stored.list, unlisted: stored.unlisted)
        pending.list.append(sequence)
        batchEventLists[key] = pending
        eventListUndo.append((key, nil))
    }

    /// The case's events, this batch's included.
    public override func events(department: String, caseID: String) throws -> [StoredEvent] {
        let key = CaseRowKey(department: department, caseID: caseID)
        guard let pending = batchEventLists[key] else {
            return try super.events(department: department, caseID: caseID)
        }
        return try events(listed: pending.list, department: department, caseID: caseID)
    }

    // MARK: Cases

    /// Inserts the case row or replaces every column of the existing one.
    ///
    /// The row is kept in memory and written once per batch, just before
    /// COMMIT: a case whose events arrive together (received, accepted, a
    /// step, all in one batch) is written once instead of once per event,
    /// and the case table and its indexes are the largest cost of an event
    /// after the event itself. Reads through this transaction see the row
    /// at once; a write whose body throws loses it with its other writes.
    public func upsertCase(_ record: CaseRecord) throws {
        let key = CaseRowKey(department: record.department, caseID: record.caseID)
        caseUndo.append((key, batchCases.updateValue(record, forKey: key)))
    }

    /// The case as this batch left it, or as the store has it.
    public override func caseRecord(department: String, caseID: String) throws -> CaseRecord? {
        let key = CaseRowKey(department: department, caseID: caseID)
        if let pending = batchCases[key] { return pending }
        return try super.caseRecord(department: department, caseID: caseID)
    }

    public override func forEachOpenCase(_ body: (CaseRecord) throws -> Void) throws {
        try writePendingCases()
        try super.forEachOpenCase(body)
    }

    public override func cases(
        _ query: CaseQuery, pageSize: Int = 0, pageToken: String? = nil
    ) throws -> Page<CaseRecord> {
        try writePendingCases()
        return try super.cases(query, pageSize: pageSize, pageToken: pageToken)
    }

    /// Writes every case row kept in memory, so that a query over the case
    /// table sees them; called before such queries and before COMMIT.
    ///
    /// The rows stay in memory until COMMIT: should the item running now fail,
    /// the writer takes them back out of the file with the rest of its rows
    /// (the file's rows changed, so the batch is run again under
    /// savepoints), and they are written again at COMMIT. Queries over cases inside a write are
    /// rare (start-up), so writing a row twice then costs nothing that
    /// matters.
    /// Each write sets whole values (rows, complete event lists), so writing
    /// twice in one batch leaves what writing once would.
    func writePendingCases() throws {
        for (key, record) in batchCases {
            let pending = batchEventLists[key]
            try writeCase(record, events: pending?.list)
            if pending?.unlisted == true {
                try forgetUnlisted(key)
            }
        }
        for (key, pending) in batchEventLists where batchCases[key] == nil {
            try writeEventList(pending, for: key)
        }
    }

    /// Writes the list of a case this batch did not write a row for: onto
    /// its row if it has one, else into case_event_list.
    private func writeEventList(_ pending: PendingEventList, for key: CaseRowKey) throws {
        try connection.run(
            "UPDATE case_record SET event_seqs = ? WHERE department = ? AND case_id = ?",
            [pending.list.text, key.department, key.caseID])
        if connection.changes == 1 {
            if pending.unlisted { try forgetUnlisted(key) }
            return
        }
        try connection.run(
            """
            INSERT INTO case_event_list (department, case_id, event_seqs) VALUES (?, ?, ?)
            ON CONFLICT (department, case_id) DO UPDATE SET event_seqs = excluded.event_seqs
            """, [key.department, key.caseID, pending.list.text])
    }

    /// Drops a case's entry in case_event_list once its row holds the list.
    private func forgetUnlisted(_ key: CaseRowKey) throws {
        try connection.run(
            "DELETE FROM case_event_list WHERE department = ? AND case_id = ?",
            [key.department, key.caseID])
    }

    /// Two statements, because SQLite rewrites an index entry whenever an
    /// UPDATE names one of its columns, changed or not: the upsert sets only
    /// the columns no index holds, and a second UPDATE touches the indexed
    /// ones (item, received instant, open flag) only when they differ.
    ///
    /// `events` is the case's complete event list when this batch changed
    /// it; nil leaves the stored list as it is.
    private func writeCase(_ record: CaseRecord, events: EventList?) throws {
        let upsert = try connection.prepare(
            """
            INSERT INTO case_record (department, case_id, item_code, state, is_open,
                received_at, accepted_at, concluded_at, result, promised_deadline,
                legal_deadline, alert_level, next_due_at, catalogue_version, updated_at,
                derived, event_seqs)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                coalesce(?17, ''))
            ON CONFLICT (department, case_id) DO UPDATE SET
                state = excluded.state, accepted_at = excluded.accepted_at,
                concluded_at = excluded.concluded_at, result = excluded.result,
                promised_deadline = excluded.promised_deadline,
                legal_deadline = excluded.legal_deadline, alert_level = excluded.alert_level,
                next_due_at = excluded.next_due_at,
                catalogue_version = excluded.catalogue_version,
                updated_at = excluded.updated_at, derived = excluded.derived,
                event_seqs = coalesce(?17, event_seqs)
            """)
        defer { upsert.reset() }
        try upsert.bind(1, record.department)
        try upsert.bind(2, record.caseID)
        try upsert.bind(3, record.itemCode)
        try upsert.bind(4, Int64(record.state))
        try upsert.bind(5, record.isOpen ? 1 : 0)
        try upsert.bind(6, record.receivedAt)
        try bindOptional(upsert, 7, record.acceptedAt)
        try bindOptional(upsert, 8, record.concludedAt)
        try upsert.bind(9, Int64(record.result))
        try bindOptional(upsert, 10, record.promisedDeadline)
        try bindOptional(upsert, 11, record.legalDeadline)
        try upsert.bind(12, Int64(record.alertLevel))
        try bindOptional(upsert, 13, record.nextDueAt)
        try upsert.bind(14, record.catalogueVersion)
        try upsert.bind(15, record.updatedAt)
        try upsert.bind(16, record.derived)
        if let events {
            try upsert.bind(17, events.text)
        } else {
            try upsert.bindNull(17)
        }
        _ = try upsert.step()

        let indexed = try connection.prepare(
            """
            UPDATE case_record SET item_code = ?3, received_at = ?4, is_open = ?5
            WHERE department = ?1 AND case_id = ?2
                AND (item_code <> ?3 OR received_at <> ?4 OR is_open <> ?5)
            """)
        defer { indexed.reset() }
        try indexed.bind(1, record.department)
        try indexed.bind(2, record.caseID)
        try indexed.bind(3, record.itemCode)
        try indexed.bind(4, record.receivedAt)
        try indexed.bind(5, record.isOpen ? 1 : 0)
        _ = try indexed.step()
    }

    private func bindOptional(_ statement: Statement, _ index: Int32, _ value: Int64?) throws {
        if let value {
            try statement.bind(index, value)
        } else {
            try statement.bindNull(index)
        }
    }

    // MARK: Alerts

    /// Inserts the alert or updates every column of the existing one in place.
    ///
    /// An update, not a delete and insert (`INSERT OR REPLACE`): deleting the
    /// row would make SQLite look for log entries still referring to it.
    public func putAlert(_ alert: AlertRecord) throws {
        let notice = alert.notice
        try connection.run(
            """
            INSERT INTO alert (\(Self.alertColumns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (alert_id) DO UPDATE SET
                rule = excluded.rule, level = excluded.level, status = excluded.status,
                appeal = excluded.appeal, department = excluded.department,
                case_id = excluded.case_id, subject = excluded.subject, due_at = excluded.due_at,
                raised_at = excluded.raised_at, description = excluded.description,
                facts = excluded.facts, region = excluded.region, sequence = excluded.sequence,
                notice_issued_at = excluded.notice_issued_at,
                notice_issued_by = excluded.notice_issued_by,
                notice_instructions = excluded.notice_instructions,
                notice_feedback_due_date = excluded.notice_feedback_due_date,
                notice_feedback_due_at = excluded.notice_feedback_due_at,
                notice_explanation = excluded.notice_explanation,
                notice_rectification = excluded.notice_rectification,
                notice_feedback_at = excluded.notice_feedback_at,
                notice_feedback_by = excluded.notice_feedback_by,
                notice_times_returned = excluded.notice_times_returned, payload = excluded.payload
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
        // A caller that numbered the row before writing it (the server does)
        // spares the rewrite of a wide row: the guard makes it a lookup.
        try connection.run(
            "UPDATE alert SET sequence = ?1 WHERE alert_id = ?2 AND sequence <> ?1",
            [stored.sequence, entry.alertID])
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
            guard count >= 0 else {
                throw StoreError.invalidArgument(
                    name: "alert log retention", value: "\(count) entries",
                    expected: "zero or more entries to keep")
            }
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
    ///
    /// The deltas are summed in memory and written once per batch, just
    /// before COMMIT, so a thousand events of one department cost one row
    /// update, not a thousand. A write whose body throws loses its deltas
    /// with the rest of its writes. Reading counters inside a write sees them.
    public func addCounters(
        department: String, month: Month, deltas: [CounterName: Int64]
    ) throws {
        for (name, delta) in deltas {
            try addCounter(department: department, month: month, name: name, delta: delta)
        }
    }

    /// Adds `delta` to one of a department's counters for a month.
    public func addCounter(
        department: String, month: Month, name: CounterName, delta: Int64
    ) throws {
        guard delta != 0 else { return }
        let key = CounterKey(department: department, month: month.key, name: name)
        batchCounters[key, default: 0] += delta
        counterUndo.append((key, delta))
    }

    /// The stored counters plus the deltas this batch has not written yet.
    public override func counters(
        department: String, month: Month
    ) throws -> [CounterName: Int64] {
        var values = try super.counters(department: department, month: month)
        for (key, delta) in batchCounters where key.department == department
            && key.month == month.key
        {
            values[key.name, default: 0] += delta
        }
        return values
    }

    /// The stored counters for a range of months plus this batch's deltas.
    public override func counters(
        department: String, from: Month, through: Month
    ) throws -> [Month: [CounterName: Int64]] {
        var values = try super.counters(department: department, from: from, through: through)
        for (key, delta) in batchCounters where key.department == department
            && (from.key...through.key).contains(key.month)
        {
            let month = Month(year: key.month / 100, month: key.month % 100)
            values[month, default: [:]][key.name, default: 0] += delta
        }
        return values
    }

    /// Called by the writer when an item has run: its changes are the
    /// batch's for good.
    func itemSucceeded() {
        counterUndo.removeAll(keepingCapacity: true)
        caseUndo.removeAll(keepingCapacity: true)
        eventListUndo.removeAll(keepingCapacity: true)
    }

    /// Called by the writer when an item is rolled back: its counter deltas,
    /// case rows and event lists are taken back, newest first.
    func itemFailed() {
        for (key, delta) in counterUndo.reversed() {
            batchCounters[key, default: 0] -= delta
        }
        for (key, previous) in caseUndo.reversed() {
            batchCases[key] = previous
        }
        for (key, previousLength) in eventListUndo.reversed() {
            if let previousLength {
                batchEventLists[key]?.list.truncate(to: previousLength)
            } else {
                batchEventLists[key] = nil
            }
        }
        counterUndo.removeAll(keepingCapacity: true)
        caseUndo.removeAll(keepingCapacity: true)
        eventListUndo.removeAll(keepingCapacity: true)
    }

    /// Writes the batch's summed counter deltas; the writer calls this once,
    /// inside the batch's transaction, before COMMIT.
    func flushCounters() throws {
        guard !batchCounters.isEmpty else { return }
        let statement = try connection.prepare(
            """
            INSERT INTO monthly_counter (department, month, name, value) VALUES (?, ?, ?, ?)
            ON CONFLICT (department, month, name) DO UPDATE SET value = value + excluded.value
            """)
        for (key, delta) in batchCounters where delta != 0 {
            defer { statement.reset() }
            try statement.bind(1, key.department)
            try statement.bind(2, Int64(key.month))
            try statement.bind(3, key.name.rawValue)
            try statement.bind(4, delta)
            _ = try statement.step()
        }
        batchCounters.removeAll()
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

/// One case row's key.
struct CaseRowKey: Hashable {
    let department: String
    let caseID: String
}

/// A case's event list as this batch leaves it.
struct PendingEventList {
    var list: EventList
    /// Part of the stored list was in case_event_list, to be dropped from
    /// there once the row holds the whole list.
    var unlisted: Bool
}

/// One counter row's key.
struct CounterKey: Hashable {
    let department: String
    let month: Int
    let name: CounterName
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
