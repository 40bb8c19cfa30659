import CSQLite
import Dispatch
import Foundation
import Synchronization

/// An event on its way into the spool: its identity and its encoded bytes.
struct SpoolEntry: Sendable {
    var eventID: String
    var revision: UInt32
    var caseID: String
    var bytes: [UInt8]
}

/// An event in the spool, with its place in spool order.
struct SpoolRecord: Sendable {
    /// The spool's sequence number: the order events are sent in.
    var sequence: Int64
    var eventID: String
    var revision: UInt32
    var caseID: String
    var bytes: [UInt8]
}

/// What the spool held when it was opened.
struct SpoolTotals: Sendable, Equatable {
    var events: Int
    var bytes: Int
    var rejected: Int
}

/// A rejected event as the rejected table keeps it, under its spool sequence.
struct StoredRejection: Sendable {
    var sequence: Int64
    var bytes: [UInt8]
    var field: String
    var reason: String
    var rejectedAtMilliseconds: Int64
}

/// The reporter's durable store: a SQLite file (WAL, `synchronous=FULL`) with
/// the events not yet acknowledged, in the order they were reported, and the
/// events the server rejected.
///
/// One serial queue owns the connection. Writes are group-committed: every
/// write submitted while a transaction runs goes into the next one, so many
/// concurrent `append`s cost one sync. `append` resumes only after its
/// transaction committed, which is what makes a returned `report` survive a
/// crash. Acknowledgements are not waited for: a lost delete only makes the
/// event go again, and the server answers it as a duplicate.
///
/// The connection holds an exclusive lock on the file for its lifetime, so a
/// second reporter on the same spool (another process) fails to open it
/// instead of sending the same events twice.
final class Spool: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `connection` and the statements are
    // touched only by blocks running on `queue` (or by `open` before the spool
    // is shared); `pending` and `failure` are behind Mutexes.

    private enum Operation {
        case append([SpoolEntry], CheckedContinuation<[Int64], any Error>)
        case acknowledge(Int64)
        case reject(Int64, field: String, reason: String, atMilliseconds: Int64)
        case removeRejected([Int64], CheckedContinuation<Int, any Error>)
        case load(after: Int64, limit: Int, CheckedContinuation<[SpoolRecord], any Error>)
        case listRejected(CheckedContinuation<[StoredRejection], any Error>)
        case barrier(CheckedContinuation<Void, any Error>)

        var writes: Bool {
            switch self {
            case .append, .acknowledge, .reject, .removeRejected: return true
            case .load, .listRejected, .barrier: return false
            }
        }

        /// Takes events out of the spool.
        var removes: Bool {
            switch self {
            case .acknowledge, .reject: return true
            default: return false
            }
        }
    }

    private struct Pending {
        var operations: [Operation] = []
        var draining = false
        var closed = false
    }

    /// The spool file's path.
    let path: String
    /// What the file held when it was opened.
    let totals: SpoolTotals

    private let queue = DispatchQueue(label: "clientkit.spool")
    private let pending = Mutex(Pending())
    private let failureState = Mutex<SpoolError?>(nil)
    private let connection: SQLiteConnection
    private let insert: SQLiteStatement
    private let delete: SQLiteStatement
    private let copyToRejected: SQLiteStatement
    private let selectAfter: SQLiteStatement
    private let selectRejected: SQLiteStatement
    private let deleteRejected: SQLiteStatement
    /// Free space, in bytes, that an emptied spool gives back to the disk.
    static let shrinkBytes = 4 << 20

    /// Opens or creates the spool at `path`.
    ///
    /// - Throws: `SpoolError` when the file cannot be opened, is not a spool,
    ///   or another process holds it.
    init(path: String) throws(SpoolError) {
        self.path = path
        connection = try SQLiteConnection(path: path)
        do {
            // Exclusive locking also lets WAL work without a shared-memory file.
            // The log is cut back to a few MiB after each checkpoint, so that a
            // backlog that went through it does not keep its size on disk.
            try connection.execute(
                "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL;"
                    + " PRAGMA synchronous = FULL;"
                    + " PRAGMA journal_size_limit = \(Self.shrinkBytes);", "open")
            try connection.execute(
                """
                BEGIN IMMEDIATE;
                CREATE TABLE IF NOT EXISTS spool (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    case_id TEXT NOT NULL,
                    event BLOB NOT NULL,
                    spooled_at INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS rejected (
                    seq INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL,
                    revision INTEGER NOT NULL,
                    case_id TEXT NOT NULL,
                    event BLOB NOT NULL,
                    field TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    rejected_at INTEGER NOT NULL
                );
                PRAGMA user_version = 1;
                COMMIT;
                """, "create the spool's tables")
        } catch let error where error.code == SQLITE_BUSY || error.code == SQLITE_LOCKED {
            throw SpoolError(
                path: path, operation: "open", code: error.code,
                message: "another process (a second reporter?) holds this spool; "
                    + "each reporter needs a spool file of its own")
        }
        let journal = try connection.prepare("PRAGMA journal_mode")
        _ = try journal.step("read the journal mode")
        let mode = journal.text(0)
        journal.finalize()
        guard mode.lowercased() == "wal" else {
            throw SpoolError(
                path: path, operation: "open", code: SQLITE_ERROR,
                message: "the file system refused write-ahead logging (journal mode \(mode))")
        }

        let events = try connection.integer("SELECT count(*) FROM spool")
        let bytes = try connection.integer("SELECT coalesce(sum(length(event)), 0) FROM spool")
        let rejected = try connection.integer("SELECT count(*) FROM rejected")
        totals = SpoolTotals(events: Int(events), bytes: Int(bytes), rejected: Int(rejected))

        insert = try connection.prepare(
            "INSERT INTO spool (event_id, revision, case_id, event, spooled_at)"
                + " VALUES (?1, ?2, ?3, ?4, ?5)")
        delete = try connection.prepare("DELETE FROM spool WHERE seq = ?1")
        copyToRejected = try connection.prepare(
            "INSERT INTO rejected (seq, event_id, revision, case_id, event, field, reason,"
                + " rejected_at) SELECT seq, event_id, revision, case_id, event, ?2, ?3, ?4"
                + " FROM spool WHERE seq = ?1")
        selectAfter = try connection.prepare(
            "SELECT seq, event_id, revision, case_id, event FROM spool WHERE seq > ?1"
                + " ORDER BY seq LIMIT ?2")
        selectRejected = try connection.prepare(
            "SELECT seq, event, field, reason, rejected_at FROM rejected ORDER BY seq")
        deleteRejected = try connection.prepare("DELETE FROM rejected WHERE seq = ?1")
    }

    /// The first failure of a write nobody waited for (an acknowledgement or a
    /// rejection), if any.
    var failure: SpoolError? {
        failureState.withLock { $0 }
    }

    // MARK: Operations

    /// Appends events in order and returns their sequence numbers once the
    /// transaction holding them is durable.
    func append(_ entries: [SpoolEntry]) async throws -> [Int64] {
        try await withCheckedThrowingContinuation { continuation in
            submit(.append(entries, continuation))
        }
    }

    /// Deletes an acknowledged event; does not wait.
    func acknowledge(_ sequence: Int64) {
        submit(.acknowledge(sequence))
    }

    /// Moves a rejected event to the rejected table; does not wait.
    func reject(_ sequence: Int64, field: String, reason: String, atMilliseconds: Int64) {
        submit(.reject(sequence, field: field, reason: reason, atMilliseconds: atMilliseconds))
    }

    /// Deletes rows of the rejected table; returns how many there were.
    func removeRejected(_ sequences: [Int64]) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            submit(.removeRejected(sequences, continuation))
        }
    }

    /// Up to `limit` events after `sequence`, in spool order; sees every write
    /// submitted before it.
    func load(after sequence: Int64, limit: Int) async throws -> [SpoolRecord] {
        try await withCheckedThrowingContinuation { continuation in
            submit(.load(after: sequence, limit: limit, continuation))
        }
    }

    /// Every rejected event, oldest first.
    func listRejected() async throws -> [StoredRejection] {
        try await withCheckedThrowingContinuation { continuation in
            submit(.listRejected(continuation))
        }
    }

    /// Returns once every write submitted before it is committed.
    func sync() async throws {
        try await withCheckedThrowingContinuation { continuation in
            submit(.barrier(continuation))
        }
        if let failure { throw failure }
    }

    /// Commits what is pending, then closes the file; later operations fail.
    func close() async {
        try? await sync()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pending.withLock { $0.closed = true }
            queue.async { [self] in
                for statement in [
                    insert, delete, copyToRejected, selectAfter, selectRejected,
                    deleteRejected,
                ] {
                    statement.finalize()
                }
                connection.close()
                continuation.resume()
            }
        }
    }

    // MARK: The queue's side

    private func submit(_ operation: Operation) {
        let (start, refused) = pending.withLock { state -> (Bool, Bool) in
            if state.closed { return (false, true) }
            state.operations.append(operation)
            if state.draining { return (false, false) }
            state.draining = true
            return (true, false)
        }
        if refused {
            fail(
                operation,
                SpoolError(path: path, operation: "use", code: SQLITE_MISUSE,
                           message: "the spool is closed"))
            return
        }
        if start {
            queue.async { [self] in drain() }
        }
    }

    /// Runs batches until nothing is pending: the writes of a batch in one
    /// transaction, then its reads and barriers.
    private func drain() {
        while true {
            let batch = pending.withLock { state -> [Operation] in
                let batch = state.operations
                state.operations = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }

            let writes = batch.filter(\.writes)
            if !writes.isEmpty {
                if !commit(writes) {
                    // One bad write must not fail the others: retry one by one.
                    for write in writes {
                        _ = commit([write])
                    }
                }
                if writes.contains(where: \.removes) { shrinkIfEmptied() }
            }
            for operation in batch where !operation.writes {
                read(operation)
            }
        }
    }

    /// Once the spool is empty after a backlog, gives its free pages back to
    /// the disk: a spool that held a day's events during an outage would
    /// otherwise keep their size for good. An empty spool copies in an
    /// instant, so VACUUM costs nothing to speak of; it runs only when the
    /// free space is worth it.
    private func shrinkIfEmptied() {
        do {
            guard try connection.integer("SELECT EXISTS (SELECT 1 FROM spool)") == 0 else {
                return
            }
            let free = try connection.integer("PRAGMA freelist_count")
            let pageSize = try connection.integer("PRAGMA page_size")
            guard free * pageSize >= Self.shrinkBytes else { return }
            try connection.execute("VACUUM", "give an emptied spool's space back")
            try connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)", "give an emptied spool's space back")
        } catch {
            // Space is not correctness: the spool works on at its size.
        }
    }

    /// Applies `writes` in one transaction; on success resumes their callers,
    /// on failure rolls back and, for a single write, fails its caller.
    private func commit(_ writes: [Operation]) -> Bool {
        var results: [[Int64]] = []
        do {
            try connection.execute("BEGIN IMMEDIATE", "begin a transaction")
            for write in writes {
                results.append(try apply(write))
            }
            try connection.execute("COMMIT", "commit")
        } catch {
            try? connection.execute("ROLLBACK", "roll back")
            if writes.count == 1 { fail(writes[0], error) }
            return false
        }
        for (write, sequences) in zip(writes, results) {
            switch write {
            case .append(_, let continuation): continuation.resume(returning: sequences)
            case .removeRejected(_, let continuation):
                continuation.resume(returning: sequences.count)
            default: break
            }
        }
        return true
    }

    private func apply(_ write: Operation) throws(SpoolError) -> [Int64] {
        switch write {
        case .append(let entries, _):
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var sequences: [Int64] = []
            sequences.reserveCapacity(entries.count)
            for entry in entries {
                try insert.run(
                    [.text(entry.eventID), .integer(Int64(entry.revision)),
                     .text(entry.caseID), .blob(entry.bytes), .integer(now)],
                    "append \(entries.count) events")
                sequences.append(connection.lastInsertRowID)
            }
            return sequences
        case .acknowledge(let sequence):
            try delete.run([.integer(sequence)], "delete acknowledged event \(sequence)")
        case .reject(let sequence, let field, let reason, let at):
            try copyToRejected.run(
                [.integer(sequence), .text(field), .text(reason), .integer(at)],
                "keep rejected event \(sequence)")
            try delete.run([.integer(sequence)], "delete rejected event \(sequence)")
        case .removeRejected(let sequences, _):
            // One entry per row deleted, so the caller can count them.
            var removed: [Int64] = []
            for sequence in sequences {
                try deleteRejected.run([.integer(sequence)], "remove rejected event \(sequence)")
                if connection.changes > 0 { removed.append(sequence) }
            }
            return removed
        case .load, .listRejected, .barrier:
            break
        }
        return []
    }

    private func read(_ operation: Operation) {
        switch operation {
        case .load(let after, let limit, let continuation):
            do {
                var records: [SpoolRecord] = []
                selectAfter.reset([.integer(after), .integer(Int64(limit))])
                while try selectAfter.step("load events after \(after)") {
                    records.append(SpoolRecord(
                        sequence: selectAfter.int64(0), eventID: selectAfter.text(1),
                        revision: UInt32(truncatingIfNeeded: selectAfter.int64(2)),
                        caseID: selectAfter.text(3), bytes: selectAfter.blob(4)))
                }
                selectAfter.reset()
                continuation.resume(returning: records)
            } catch {
                selectAfter.reset()
                continuation.resume(throwing: error)
            }
        case .listRejected(let continuation):
            do {
                var rows: [StoredRejection] = []
                selectRejected.reset()
                while try selectRejected.step("list rejected events") {
                    rows.append(StoredRejection(
                        sequence: selectRejected.int64(0), bytes: selectRejected.blob(1),
                        field: selectRejected.text(2), reason: selectRejected.text(3),
                        rejectedAtMilliseconds: selectRejected.int64(4)))
                }
                selectRejected.reset()
                continuation.resume(returning: rows)
            } catch {
                selectRejected.reset()
                continuation.resume(throwing: error)
            }
        case .barrier(let continuation):
            continuation.resume()
        default:
            break
        }
    }

    private func fail(_ operation: Operation, _ error: any Error) {
        switch operation {
        case .append(_, let continuation): continuation.resume(throwing: error)
        case .removeRejected(_, let continuation): continuation.resume(throwing: error)
        case .load(_, _, let continuation): continuation.resume(throwing: error)
        case .listRejected(let continuation): continuation.resume(throwing: error)
        case .barrier(let continuation): continuation.resume(throwing: error)
        case .acknowledge, .reject:
            if let error = error as? SpoolError {
                failureState.withLock { if $0 == nil { $0 = error } }
            }
        }
    }
}
