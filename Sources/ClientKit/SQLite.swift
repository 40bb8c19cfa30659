import CSQLite

/// A failed SQLite operation on a spool file: which file, what was being
/// done, and SQLite's own words.
public struct SpoolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The spool file.
    public var path: String
    /// What the reporter was doing, e.g. "open", "append 3 events".
    public var operation: String
    /// SQLite's result code (`SQLITE_BUSY` is 5, `SQLITE_FULL` 13, ...).
    public var code: Int32
    /// SQLite's message for the failure.
    public var message: String

    /// Makes an error.
    public init(path: String, operation: String, code: Int32, message: String) {
        self.path = path
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// "spool /var/lib/x/spool.sqlite: append 3 events: disk is full (13)".
    public var description: String {
        "spool \(path): \(operation): \(message) (\(code))"
    }
}

/// SQLite's "copy the bound value now" destructor, which the C header spells
/// as a cast of -1 that Swift does not import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection, used by one thread at a time (the spool's queue).
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    /// Opens (creating if needed) the database file at `path`.
    init(path: String) throws(SpoolError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        if rc != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            handle = nil
            throw SpoolError(path: path, operation: "open", code: rc, message: message)
        }
    }

    deinit {
        close()
    }

    /// Closes the connection; statements must be finalized first.
    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    func error(_ operation: String, _ code: Int32) -> SpoolError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        return SpoolError(path: path, operation: operation, code: code, message: message)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String, _ operation: String) throws(SpoolError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(operation, rc) }
    }

    func prepare(_ sql: String) throws(SpoolError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(
            handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error("prepare \(sql)", rc) }
        return SQLiteStatement(connection: self, statement: statement)
    }

    /// The row id the last INSERT gave its row.
    var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// The rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int {
        Int(sqlite3_changes(handle))
    }

    /// The single integer a query such as `PRAGMA user_version` returns.
    func integer(_ sql: String) throws(SpoolError) -> Int64 {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step("read \(sql)") else { return 0 }
        return statement.int64(0)
    }
}

/// A prepared statement, reset and rebound for every use.
final class SQLiteStatement {
    private unowned let connection: SQLiteConnection
    private var statement: OpaquePointer?

    init(connection: SQLiteConnection, statement: OpaquePointer) {
        self.connection = connection
        self.statement = statement
    }

    func finalize() {
        sqlite3_finalize(statement)
        statement = nil
    }

    /// Clears the previous run and binds `values` to ?1, ?2, ...
    func reset(_ values: [SQLiteValue] = []) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let number):
                sqlite3_bind_int64(statement, index, number)
            case .text(let text):
                sqlite3_bind_text(statement, index, text, -1, transient)
            case .blob(let bytes):
                bytes.withUnsafeBytes { raw in
                    // An empty blob still binds as a zero-length blob, not NULL.
                    _ = sqlite3_bind_blob(
                        statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                        Int32(raw.count), transient)
                }
            }
        }
    }

    /// Steps once: true when a row is ready, false when done.
    func step(_ operation: String) throws(SpoolError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(operation, rc)
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ values: [SQLiteValue], _ operation: String) throws(SpoolError) {
        reset(values)
        _ = try step(operation)
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: pointer)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// A value bound to a statement's parameter.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}
