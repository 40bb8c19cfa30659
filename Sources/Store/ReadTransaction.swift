/// A consistent view of the store: every query made through one transaction
/// sees the same committed state.
///
/// Handed to the body of ``Store/read(_:)`` on a pooled read connection, and
/// to the body of ``Store/write(_:)`` (as a ``WriteTransaction``, which also
/// sees its own uncommitted writes). Valid only inside that body.
public class ReadTransaction {
    let connection: Connection

    init(connection: Connection) {
        self.connection = connection
    }

    // MARK: Events

    static let eventColumns = """
        seq, department, case_id, event_id, revision, kind, occurred_at, reported_at,
        origin_region, payload, reported_by
        """

    static func storedEvent(_ row: Statement, isCurrent: Bool) -> StoredEvent {
        StoredEvent(
            sequence: row.int64(0),
            event: EventRecord(
                department: row.text(1), caseID: row.text(2), eventID: row.text(3),
                revision: row.int(4), kind: row.int(5), occurredAt: row.int64(6),
                reportedAt: row.int64(7), originRegion: row.text(8), payload: row.blob(9),
                reportedBy: row.text(10)),
            isCurrent: isCurrent)
    }

    /// Every event of a case, every revision, in arrival order; `isCurrent`
    /// marks the highest revision of each event id.
    public func events(department: String, caseID: String) throws -> [StoredEvent] {
        try events(
            listed: storedEventList(department: department, caseID: caseID).list,
            department: department, caseID: caseID)
    }

    /// Where a case's event list is kept: on its row, and for events stored
    /// while the case had no row, in case_event_list. `unlisted` says the
    /// second held part of it.
    func storedEventList(department: String, caseID: String) throws
        -> (list: EventList, unlisted: Bool)
    {
        // One statement for both places: it runs once per case per batch.
        let statement = try connection.prepare(
            """
            SELECT
                (SELECT event_seqs FROM case_record WHERE department = ?1 AND case_id = ?2),
                (SELECT event_seqs FROM case_event_list WHERE department = ?1 AND case_id = ?2)
            """)
        defer { statement.reset() }
        try statement.bind(1, department)
        try statement.bind(2, caseID)
        guard try statement.step() else { return (EventList(), false) }
        var list = EventList(text: statement.text(0))
        let unlisted = !statement.isNull(1)
        if unlisted {
            list.append(contentsOf: EventList(text: statement.text(1)))
        }
        return (list, unlisted)
    }

    /// The events of a case a list names, each read by its sequence (the
    /// table's rowid), with the highest revision of each event id marked
    /// current. A listed row of another case is left out: the list is a
    /// pointer, the row is the record.
    func events(listed list: EventList, department: String, caseID: String) throws
        -> [StoredEvent]
    {
        let statement = try connection.prepare(
            "SELECT \(Self.eventColumns) FROM event WHERE seq = ?")
        var events: [StoredEvent] = []
        for sequence in list.sequences {
            defer { statement.reset() }
            try statement.bind(1, sequence)
            guard try statement.step() else { continue }
            let stored = Self.storedEvent(statement, isCurrent: false)
            if stored.event.department == department && stored.event.caseID == caseID {
                events.append(stored)
            }
        }
        var highest: [String: Int] = [:]
        for stored in events {
            let event = stored.event
            highest[event.eventID] = max(highest[event.eventID, default: 0], event.revision)
        }
        for index in events.indices {
            let event = events[index].event
            events[index].isCurrent = highest[event.eventID] == event.revision
        }
        return events
    }

    /// Every stored revision of one event, lowest revision first.
    public func eventRevisions(department: String, eventID: String) throws -> [StoredEvent] {
        let rows = try connection.query(
            """
            SELECT \(Self.eventColumns) FROM event
            WHERE department = ? AND event_id = ? ORDER BY revision
            """, [department, eventID]
        ) { Self.storedEvent($0, isCurrent: false) }
        return rows.enumerated().map { index, stored in
            var stored = stored
            stored.isCurrent = index == rows.count - 1
            return stored
        }
    }

    /// How many events the store holds.
    ///
    /// Events are never deleted and the arrival sequence is the table's rowid,
    /// which SQLite assigns as one above the largest, so the largest sequence
    /// is the count, read in one B-tree descent instead of a scan.
    public func eventCount() throws -> Int64 {
        try connection.scalar("SELECT coalesce(max(seq), 0) FROM event")
    }

    // MARK: Cases

    static let caseColumns = """
        department, case_id, item_code, state, is_open, received_at, accepted_at,
        concluded_at, result, promised_deadline, legal_deadline, alert_level, next_due_at,
        catalogue_version, updated_at, derived
        """

    static func caseRecord(_ row: Statement) -> CaseRecord {
        CaseRecord(
            department: row.text(0), caseID: row.text(1), itemCode: row.text(2),
            state: row.int(3), isOpen: row.int64(4) != 0, receivedAt: row.int64(5),
            acceptedAt: row.optionalInt64(6), concludedAt: row.optionalInt64(7),
            result: row.int(8), promisedDeadline: row.optionalInt64(9),
            legalDeadline: row.optionalInt64(10), alertLevel: row.int(11),
            nextDueAt: row.optionalInt64(12), catalogueVersion: row.int64(13),
            updatedAt: row.int64(14), derived: row.blob(15))
    }

    /// The case with this id in this department, if the store has it.
    public func caseRecord(department: String, caseID: String) throws -> CaseRecord? {
        try connection.queryOne(
            "SELECT \(Self.caseColumns) FROM case_record WHERE department = ? AND case_id = ?",
            [department, caseID], row: Self.caseRecord)
    }

    /// Calls `body` with every open case, in (department, case id) order.
    ///
    /// The server's start-up load: one pass over the partial index that holds
    /// open cases only, however many closed cases the file has.
    public func forEachOpenCase(_ body: (CaseRecord) throws -> Void) throws {
        let statement = try connection.prepare(
            "SELECT \(Self.caseColumns) FROM case_record INDEXED BY case_open WHERE is_open = 1")
        defer { statement.reset() }
        while try statement.step() {
            try body(Self.caseRecord(statement))
        }
    }

    /// Cases matching `query`, oldest (or, asked so, newest) received first,
    /// a page at a time.
    ///
    /// `pageSize` is 1 to 1,000 (0 for 100); `pageToken` is nil for the first
    /// page and then the previous page's `nextPageToken`.
    public func cases(
        _ query: CaseQuery, pageSize: Int = 0, pageToken: String? = nil
    ) throws -> Page<CaseRecord> {
        let size = try checkedPageSize(pageSize)
        var conditions = Conditions()
        var index = "case_by_received"
        if let department = query.department {
            conditions.add("department = ?", [department])
            index = "case_by_department"
        }
        if let item = query.itemCode {
            conditions.add("item_code = ?", [item])
            if query.department == nil { index = "case_by_item" }
        }
        conditions.addIn("state", query.states)
        if let open = query.isOpen {
            conditions.add("is_open = ?", [open])
        }
        if let from = query.receivedFrom {
            conditions.add("received_at >= ?", [from])
        }
        if let until = query.receivedBefore {
            conditions.add("received_at < ?", [until])
        }
        if let level = query.minimumAlertLevel {
            conditions.add("alert_level >= ?", [level])
        }
        // Newest first walks the same index backwards; the token names the
        // direction so that a page token from one order is refused in the other.
        let (after, order, name) = query.newestFirst
            ? ("<", "DESC", "cases-newest") : (">", "", "cases")
        if let pageToken {
            let token = try PageToken(
                decoding: pageToken, query: name, shape: [.integer, .text, .text])
            if query.department != nil {
                // The department is fixed, so compare only the rest of the key:
                // a range on case_by_department's trailing columns.
                conditions.add("(received_at, case_id) \(after) (?, ?)", [
                    token.values[0], token.values[2],
                ])
            } else {
                conditions.add(
                    "(received_at, department, case_id) \(after) (?, ?, ?)", token.values)
            }
        }
        let rows = try connection.query(
            """
            SELECT \(Self.caseColumns) FROM case_record INDEXED BY \(index) \(conditions.sql)
            ORDER BY received_at \(order), department \(order), case_id \(order)
            LIMIT \(size + 1)
            """, conditions.values, row: Self.caseRecord)
        return page(rows, size: size) { last in
            PageToken(
                query: name,
                key: [.integer(last.receivedAt), .text(last.department), .text(last.caseID)])
        }
    }

    // MARK: Alerts

    static let alertColumns = """
        alert_id, rule, level, status, appeal, department, case_id, subject, due_at,
        raised_at, description, facts, region, sequence, notice_issued_at, notice_issued_by,
        notice_instructions, notice_feedback_due_date, notice_feedback_due_at,
        notice_explanation, notice_rectification, notice_feedback_at, notice_feedback_by,
        notice_times_returned, payload
        """

    static func alertRecord(_ row: Statement) -> AlertRecord {
        var notice: NoticeRecord?
        if let issuedAt = row.optionalInt64(14) {
            notice = NoticeRecord(
                issuedAt: issuedAt, issuedBy: row.text(15), instructions: row.text(16),
                feedbackDueDate: row.text(17), feedbackDueAt: row.optionalInt64(18) ?? 0,
                explanation: row.text(19), rectification: row.text(20),
                feedbackAt: row.optionalInt64(21), feedbackBy: row.text(22),
                timesReturned: row.int(23))
        }
        return AlertRecord(
            alertID: row.text(0), rule: row.int(1), level: row.int(2), status: row.int(3),
            appeal: row.int(4), department: row.text(5), caseID: row.text(6),
            subject: row.text(7), dueAt: row.int64(8), raisedAt: row.int64(9),
            description: row.text(10), facts: row.blob(11), region: row.text(12),
            sequence: UInt64(bitPattern: row.int64(13)), notice: notice, payload: row.blob(24))
    }

    /// The alert with this id, if any.
    public func alert(id: String) throws -> AlertRecord? {
        try connection.queryOne(
            "SELECT \(Self.alertColumns) FROM alert WHERE alert_id = ?", [id],
            row: Self.alertRecord)
    }

    /// Alerts matching `filter` raised (recorded) in [`raisedFrom`,
    /// `raisedBefore`) and due (become true) in [`dueFrom`, `dueBefore`),
    /// oldest (or, asked so, newest) raised first, a page at a time (page
    /// size and token as for cases).
    public func alerts(
        _ filter: AlertFilter, raisedFrom: Int64? = nil, raisedBefore: Int64? = nil,
        dueFrom: Int64? = nil, dueBefore: Int64? = nil,
        pageSize: Int = 0, pageToken: String? = nil, newestFirst: Bool = false
    ) throws -> Page<AlertRecord> {
        let size = try checkedPageSize(pageSize)
        var conditions = Conditions()
        conditions.add(filter)
        // A case's alerts: seek the case through alert_by_case. Left to
        // itself the planner may walk the department's alerts in raised
        // order, which costs every alert the department has. (The literal
        // `case_id <> ''` served the index when it was partial, before
        // schema version 4; it does no harm.)
        var index = ""
        if let caseID = filter.caseID, !caseID.isEmpty, !filter.departments.isEmpty {
            conditions.add("case_id <> ''")
            index = "INDEXED BY alert_by_case"
        }
        if let from = raisedFrom {
            conditions.add("raised_at >= ?", [from])
        }
        if let before = raisedBefore {
            conditions.add("raised_at < ?", [before])
        }
        if let from = dueFrom {
            // An alert is recorded when it becomes true or later, never
            // before: the raise instant bounds the index range, the due
            // instant decides.
            conditions.add("raised_at >= ?", [from])
            conditions.add("due_at >= ?", [from])
        }
        if let before = dueBefore {
            conditions.add("due_at < ?", [before])
        }
        let (after, order, name) = newestFirst
            ? ("<", "DESC", "alerts-newest") : (">", "", "alerts")
        if let pageToken {
            let token = try PageToken(
                decoding: pageToken, query: name, shape: [.integer, .text])
            conditions.add("(raised_at, alert_id) \(after) (?, ?)", token.values)
        }
        let rows = try connection.query(
            """
            SELECT \(Self.alertColumns) FROM alert \(index) \(conditions.sql)
            ORDER BY raised_at \(order), alert_id \(order) LIMIT \(size + 1)
            """, conditions.values, row: Self.alertRecord)
        return page(rows, size: size) { last in
            PageToken(query: name, key: [.integer(last.raisedAt), .text(last.alertID)])
        }
    }

    /// Alerts whose supervision feedback is due and not yet given, earliest
    /// due first: the scheduler's source for overdue-feedback alerts.
    public func alertsAwaitingFeedback(dueBefore: Int64) throws -> [AlertRecord] {
        try connection.query(
            """
            SELECT \(Self.alertColumns) FROM alert INDEXED BY alert_feedback_due
            WHERE notice_feedback_due_at IS NOT NULL AND notice_feedback_at IS NULL
                AND notice_feedback_due_at < ?
            ORDER BY notice_feedback_due_at
            """, [dueBefore], row: Self.alertRecord)
    }

    // MARK: The alert log

    static let logColumns = """
        sequence, alert_id, kind, at, actor, note, department, case_id, rule, level, status,
        payload
        """

    static func logEntry(_ row: Statement) -> AlertLogEntry {
        AlertLogEntry(
            sequence: UInt64(bitPattern: row.int64(0)), alertID: row.text(1), kind: row.int(2),
            at: row.int64(3), actor: row.text(4), note: row.text(5), department: row.text(6),
            caseID: row.text(7), rule: row.int(8), level: row.int(9), status: row.int(10),
            payload: row.blob(11))
    }

    /// The sequence of the newest log entry ever appended; 0 for none.
    ///
    /// Read from SQLite's AUTOINCREMENT record, which survives the deletion of
    /// every entry by retention.
    public func alertLogPosition() throws -> UInt64 {
        let last = try connection.queryOne(
            "SELECT seq FROM sqlite_sequence WHERE name = 'alert_log'") { $0.int64(0) }
        return UInt64(last ?? 0)
    }

    /// The oldest sequence the log still keeps (or would keep next): one above
    /// the last entry retention deleted.
    public func oldestKeptAlertLogSequence() throws -> UInt64 {
        try UInt64(meta("alert_log.pruned_through") + 1)
    }

    /// Log entries after `position` that match `filter`, in sequence order,
    /// at most `limit` of them.
    ///
    /// The page's `position` is where the next read starts: the last entry
    /// returned, or the log's end when fewer than `limit` matched, so a
    /// watcher with a narrow filter still advances. Throws
    /// ``StoreError/positionExpired(requested:oldestKept:)`` when entries
    /// after `position` were already deleted by retention.
    public func alertLog(
        after position: UInt64, filter: AlertFilter = AlertFilter(), limit: Int = 100
    ) throws -> AlertLogPage {
        let size = try checkedPageSize(limit)
        let prunedThrough = UInt64(try meta("alert_log.pruned_through"))
        if position < prunedThrough {
            throw StoreError.positionExpired(requested: position, oldestKept: prunedThrough + 1)
        }
        var conditions = Conditions()
        conditions.add("sequence > ?", [position])
        conditions.add(filter)
        let entries = try connection.query(
            """
            SELECT \(Self.logColumns) FROM alert_log \(conditions.sql)
            ORDER BY sequence LIMIT \(size)
            """, conditions.values, row: Self.logEntry)
        let end = entries.count == size
            ? entries[entries.count - 1].sequence
            : max(position, try alertLogPosition())
        return AlertLogPage(entries: entries, position: end)
    }

    // MARK: Counters

    /// The evaluation counters of one department for one month; a counter
    /// never touched is absent (read it as 0).
    public func counters(department: String, month: Month) throws -> [CounterName: Int64] {
        let rows = try connection.query(
            "SELECT name, value FROM monthly_counter WHERE department = ? AND month = ?",
            [department, month.key]
        ) { (CounterName(rawValue: $0.text(0)), $0.int64(1)) }
        return Dictionary(rows, uniquingKeysWith: +)
    }

    /// The counters of one department for every month in [`from`, `through`].
    public func counters(
        department: String, from: Month, through: Month
    ) throws -> [Month: [CounterName: Int64]] {
        let rows = try connection.query(
            """
            SELECT month, name, value FROM monthly_counter
            WHERE department = ? AND month BETWEEN ? AND ?
            """, [department, from.key, through.key]
        ) { row -> (Month, CounterName, Int64) in
            let key = row.int(0)
            return (Month(year: key / 100, month: key % 100), CounterName(rawValue: row.text(1)),
                row.int64(2))
        }
        var result: [Month: [CounterName: Int64]] = [:]
        for (month, name, value) in rows {
            result[month, default: [:]][name] = value
        }
        return result
    }

    /// Standing alerts by department and level: those not closed, withdrawn
    /// or revoked, whatever raised them (the engine, a supervisor's manual
    /// card, an overdue feedback) and whether or not their case is still
    /// open; rules in `excludingRules` (numbered as the interface standard
    /// numbers them) are left out. Reads only the standing alerts' index.
    public func standingAlertCounts(excludingRules: [Int] = []) throws
        -> [String: [Int: Int64]]
    {
        let excluded = excludingRules.map(String.init).joined(separator: ", ")
        let rows = try connection.query(
            """
            SELECT department, level, count(*) FROM alert INDEXED BY alert_standing
            WHERE status NOT IN (4, 6, 7) AND rule NOT IN (\(excluded))
            GROUP BY department, level
            """
        ) { (department: $0.text(0), level: $0.int(1), count: $0.int64(2)) }
        var counts: [String: [Int: Int64]] = [:]
        for row in rows {
            counts[row.department, default: [:]][row.level] = row.count
        }
        return counts
    }

    // MARK: Shared helpers

    /// An integer kept in the store's own bookkeeping table; 0 when unset.
    func meta(_ key: String) throws -> Int64 {
        try connection.queryOne("SELECT value FROM store_meta WHERE key = ?", [key]) {
            $0.int64(0)
        } ?? 0
    }

    /// Cuts a query's `size + 1` rows to a page, with a token when there are
    /// more.
    func page<T>(_ rows: [T], size: Int, token: (T) -> PageToken) -> Page<T> {
        guard rows.count > size else {
            return Page(items: rows, nextPageToken: nil)
        }
        let items = Array(rows.prefix(size))
        return Page(items: items, nextPageToken: token(items[items.count - 1]).encoded)
    }
}

/// Which cases a listing wants; nil or empty means any.
public struct CaseQuery: Sendable, Equatable {
    /// Only this department's cases.
    public var department: String?
    /// Only cases of this item.
    public var itemCode: String?
    /// Only cases in these states.
    public var states: Set<Int>
    /// Only open (true) or closed (false) cases.
    public var isOpen: Bool?
    /// Received at or after this instant.
    public var receivedFrom: Int64?
    /// Received strictly before this instant.
    public var receivedBefore: Int64?
    /// Only cases whose highest standing alert level is at least this.
    public var minimumAlertLevel: Int?
    /// Newest received first instead of oldest first.
    public var newestFirst: Bool

    /// Creates a query; the defaults match every case, oldest first.
    public init(
        department: String? = nil, itemCode: String? = nil, states: Set<Int> = [],
        isOpen: Bool? = nil, receivedFrom: Int64? = nil, receivedBefore: Int64? = nil,
        minimumAlertLevel: Int? = nil, newestFirst: Bool = false
    ) {
        self.department = department
        self.itemCode = itemCode
        self.states = states
        self.isOpen = isOpen
        self.receivedFrom = receivedFrom
        self.receivedBefore = receivedBefore
        self.minimumAlertLevel = minimumAlertLevel
        self.newestFirst = newestFirst
    }
}

/// A stretch of the alert log and where to resume after it.
public struct AlertLogPage: Sendable, Equatable {
    /// The matching entries, in sequence order.
    public var entries: [AlertLogEntry]
    /// Read on after this sequence next time.
    public var position: UInt64
}
