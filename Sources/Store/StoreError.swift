import CSQLite

/// An error of the store, in terms an operator or a caller can act on.
///
/// SQLite's many result codes are folded into the few situations that call
/// for different handling: the disk is full, the file cannot be written, the
/// file is damaged, another process holds the lock, a row broke a rule of the
/// schema, or the caller asked for something the store cannot give.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The disk (or the configured size cap) has no room for the write.
    case diskFull(detail: String)
    /// The database file or its directory cannot be written.
    case readOnly(detail: String)
    /// The file is damaged or is not a database of this product.
    case corrupt(detail: String)
    /// Another connection or process held a lock past the busy timeout.
    case busy(detail: String)
    /// A row broke a constraint of the schema; `column` names it when SQLite
    /// says which (`"event.department"`), otherwise it is empty.
    case constraint(column: String, detail: String)
    /// Reading or writing the file failed in the operating system.
    case ioFailure(detail: String)
    /// The file was written by a newer version of the product than this one.
    case schemaTooNew(fileVersion: Int, supportedVersion: Int, path: String)
    /// The alert log no longer holds the position asked for: retention has
    /// deleted it. Resume from a snapshot, then after `oldestKept - 1`.
    case positionExpired(requested: UInt64, oldestKept: UInt64)
    /// A caller's argument is not valid: which one, what it was, what was
    /// expected.
    case invalidArgument(name: String, value: String, expected: String)
    /// A row the caller named does not exist.
    case notFound(what: String)
    /// A restore target already holds a database.
    case alreadyExists(path: String)
    /// The store was closed; nothing more can be written or read through it.
    case closed
    /// Any other SQLite failure, with its extended result code.
    case sqlite(code: Int32, detail: String)

    /// A one-line explanation for logs and for the server's status messages.
    public var description: String {
        switch self {
        case .diskFull(let detail):
            return "store: disk full, nothing was written (\(detail))"
        case .readOnly(let detail):
            return "store: the database cannot be written (\(detail))"
        case .corrupt(let detail):
            return "store: the database file is damaged (\(detail))"
        case .busy(let detail):
            return "store: the database is locked by another connection (\(detail))"
        case .constraint(let column, let detail):
            let which = column.isEmpty ? "" : " on \(column)"
            return "store: constraint failed\(which) (\(detail))"
        case .ioFailure(let detail):
            return "store: I/O error (\(detail))"
        case .schemaTooNew(let fileVersion, let supportedVersion, let path):
            return "store: \(path) has schema version \(fileVersion), but this build "
                + "understands versions up to \(supportedVersion); run a newer build"
        case .positionExpired(let requested, let oldestKept):
            return "store: alert log position \(requested) is no longer kept; "
                + "the oldest kept sequence is \(oldestKept)"
        case .invalidArgument(let name, let value, let expected):
            return "store: invalid \(name) \"\(value)\": expected \(expected)"
        case .notFound(let what):
            return "store: \(what) not found"
        case .alreadyExists(let path):
            return "store: \(path) already holds a database"
        case .closed:
            return "store: closed"
        case .sqlite(let code, let detail):
            return "store: SQLite error \(code) (\(detail))"
        }
    }

    /// Maps a SQLite result code and message onto the store's errors.
    static func from(code: Int32, message: String) -> StoreError {
        switch code & 0xff {
        case SQLITE_FULL:
            return .diskFull(detail: message)
        case SQLITE_READONLY:
            return .readOnly(detail: message)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupt(detail: message)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .busy(detail: message)
        case SQLITE_CONSTRAINT:
            return .constraint(column: constrainedColumn(in: message), detail: message)
        case SQLITE_IOERR, SQLITE_CANTOPEN:
            return .ioFailure(detail: message)
        default:
            return .sqlite(code: code, detail: message)
        }
    }

    /// Extracts "table.column" from SQLite's constraint messages, such as
    /// "UNIQUE constraint failed: event.department, event.event_id".
    private static func constrainedColumn(in message: String) -> String {
        guard let colon = message.range(of: "failed: ") else { return "" }
        return String(message[colon.upperBound...])
    }
}
