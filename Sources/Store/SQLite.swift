import CSQLite

/// SQLite's "copy the value now" destructor, which the C header spells as a
/// macro Swift cannot import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Process-wide SQLite settings, made once before the first connection
/// opens (SQLite refuses them after it has initialized).
private let processSettings: Void = {
    // Without it every SQLite allocation takes a global mutex to keep a
    // count the store never reads.
    _ = monitor_sqlite_disable_memory_statistics()
}()

/// One SQLite connection with its cache of prepared statements.
///
/// A connection is used by one thread at a time: the writer thread owns the
/// write connection, and a read connection belongs to whichever task checked
/// it out of the pool. It is opened without SQLite's own mutex for that
/// reason, and `@unchecked Sendable` only so that ownership can be handed
/// from one thread to the next; it is never used by two at once.
final class Connection: @unchecked Sendable {
    /// The database file.
    let path: String
    private(set) var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]

    /// Opens (and with `create`, creates) the database file at `path`.
    init(path: String, readOnly: Bool = false, create: Bool = false) throws {
        _ = processSettings
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw StoreError.from(code: code, message: "\(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        close()
    }

    /// Finalizes every cached statement and closes the connection.
    func close() {
        for statement in statements.values {
            statement.finalize()
        }
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
        }
        handle = nil
    }

    /// Whether no transaction is open (SQLite's autocommit mode). After some
    /// errors (disk full, I/O) SQLite rolls the whole transaction back by
    /// itself; this is how the writer notices.
    var isAutocommit: Bool {
        guard let handle else { return true }
        return sqlite3_get_autocommit(handle) != 0
    }

    /// Rows inserted, updated or deleted by every statement this connection
    /// has completed. An unchanged count across a failed write means the
    /// write left nothing in the file to take back.
    var totalChanges: Int64 {
        guard let handle else { return 0 }
        return sqlite3_total_changes64(handle)
    }

    /// The error SQLite reported last on this connection.
    func lastError(_ code: Int32) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed"
        return StoreError.from(code: code, message: message)
    }

    /// Runs one or more SQL statements that take no parameters.
    func execute(_ sql: String) throws {
        guard let handle else { throw StoreError.closed }
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(message)
            throw StoreError.from(code: code, message: text)
        }
    }

    /// The prepared statement for `sql`, compiled once per connection.
    func prepare(_ sql: String) throws -> Statement {
        if let cached = statements[sql] {
            return cached
        }
        guard let handle else { throw StoreError.closed }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(
            handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else {
            throw lastError(code)
        }
        let statement = Statement(raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs a statement that returns no rows, binding `values` in order.
    func run(_ sql: String, _ values: [any SQLValue] = []) throws {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs a query, turning each row into a value.
    func query<T>(
        _ sql: String, _ values: [any SQLValue] = [], row: (Statement) throws -> T
    ) throws -> [T] {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var rows: [T] = []
        while try statement.step() {
            rows.append(try row(statement))
        }
        return rows
    }

    /// Runs a query expected to return at most one row.
    func queryOne<T>(
        _ sql: String, _ values: [any SQLValue] = [], row: (Statement) throws -> T
    ) throws -> T? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        return try statement.step() ? row(statement) : nil
    }

    /// The number of rows the last statement inserted, updated or deleted.
    var changes: Int {
        handle.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    /// The rowid of the last row inserted on this connection.
    var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Rows SQLite stepped through in full scans (of a table or a whole
    /// index) since the last call, over every cached statement; resets the
    /// counts. Lets tests prove a query seeks through an index.
    func takeFullScanSteps() -> Int {
        statements.values.reduce(0) { total, statement in
            total + statement.takeFullScanSteps()
        }
    }

    /// The integer a one-value PRAGMA or query returns.
    func scalar(_ sql: String) throws -> Int64 {
        try queryOne(sql) { $0.int64(0) } ?? 0
    }
}

/// A prepared statement: bind, step, read columns, reset.
final class Statement {
    private var handle: OpaquePointer?
    private unowned let connection: Connection

    init(_ handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    /// Resets the statement for its next use and drops its bindings, so that
    /// a cached statement never holds a blob or a read lock between uses.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Full-scan steps since the last call; resets the count.
    func takeFullScanSteps() -> Int {
        Int(sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1))
    }

    /// Advances to the next row; false once the statement is done.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.lastError(code)
        }
    }

    func bind(_ values: [any SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            try value.bind(to: self, at: Int32(offset + 1))
        }
    }

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds the string's UTF-8 with its length: no terminating NUL is
    /// needed, so nothing is copied or allocated on the way (passing a Swift
    /// string as a C string copies every short one into a new array).
    func bind(_ index: Int32, _ value: String) throws {
        var value = value
        let code = value.withUTF8 { bytes -> Int32 in
            // A nil pointer would bind NULL, not the empty string: any valid
            // address does, the length being zero.
            let base =
                bytes.baseAddress.map { UnsafeRawPointer($0) }
                ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            return sqlite3_bind_text(
                handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count),
                transient)
        }
        try check(code)
    }

    func bind(_ index: Int32, _ value: [UInt8]) throws {
        let code = value.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob(handle, index, base, Int32(bytes.count), transient)
        }
        try check(code)
    }

    func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    private func check(_ code: Int32) throws {
        if code != SQLITE_OK {
            throw connection.lastError(code)
        }
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(handle, column))
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// A value that can be bound to a statement's parameter.
protocol SQLValue {
    func bind(to statement: Statement, at index: Int32) throws
}

extension Int64: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, self)
    }
}

extension Int: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, Int64(self))
    }
}

extension UInt64: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, Int64(bitPattern: self))
    }
}

extension Bool: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, self ? 1 : 0)
    }
}

extension String: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, self)
    }
}

extension Array: SQLValue where Element == UInt8 {
    func bind(to statement: Statement, at index: Int32) throws {
        try statement.bind(index, self)
    }
}

extension Optional: SQLValue where Wrapped: SQLValue {
    func bind(to statement: Statement, at index: Int32) throws {
        switch self {
        case .some(let value): try value.bind(to: statement, at: index)
        case .none: try statement.bindNull(index)
        }
    }
}
