import CSQLite
import Foundation

/// The durable store (存储) of the supervision system: events, cases, alerts
/// and everything else the product keeps, in one SQLite file.
///
/// Writes go through ``write(_:)``: the writer thread takes every queued
/// write, runs them in one transaction, commits once (one fsync), and only
/// then resumes the callers. A write that throws is taken back alone; the
/// rest of its batch commits. Nothing is acknowledged
/// that is not durable. Reads go through ``read(_:)`` on a small pool of read
/// connections which, in WAL mode, never wait for the writer.
///
/// ```swift
/// let store = try Store(directory: dataDirectory)
/// let outcome = try await store.write { transaction in
///     try transaction.insertEvent(event)
/// }
/// let events = try await store.read { try $0.events(department: d, caseID: c) }
/// await store.close()
/// ```
public final class Store: Sendable {
    /// The name of the database file inside the data directory.
    public static let fileName = "monitor.sqlite"

    /// The newest schema version this build reads and writes.
    public static var schemaVersion: Int { Schema.latestVersion }

    /// Settings for opening a store.
    public struct Configuration: Sendable {
        /// Read connections in the pool; reads beyond this wait for one.
        public var readConnections = 4
        /// Writes queued at most; ``Store/write(_:)`` suspends while full.
        public var queueCapacity = 4096
        /// How much of the alert log the writer keeps.
        public var alertLogRetention = AlertLogRetention.keepAll
        /// How long a connection waits for a lock held by another process.
        public var busyTimeoutMilliseconds: Int32 = 5000
        /// SQLite's page cache per connection, in KiB.
        public var cacheKiB = 65536
        /// A cap on the database size; writes beyond it fail as disk full.
        public var maximumSizeBytes: Int64?
        /// Open without writing: every write fails as read-only.
        public var readOnly = false
        /// Run `PRAGMA quick_check` at open. It reads the whole file, so it
        /// costs seconds on a file of millions of events.
        public var checkOnOpen = true
        /// Write-ahead log size, in 4 KiB pages, at which a background
        /// checkpoint copies it into the database file.
        public var checkpointWakePages = 1_000
        /// Log size at which the writer checkpoints between two commits
        /// itself, so that the log starts over instead of growing.
        public var checkpointRestartPages = 16_000

        /// The defaults: four readers, a queue of 4,096, keep the whole log.
        public init() {}
    }

    /// The database file.
    public let path: String
    private let writer: Writer
    private let checkpointer: Checkpointer?
    private let readers: ReaderPool
    private let configuration: Configuration

    /// Opens the store in `directory`, creating the directory and the
    /// database on first start, recovering after a crash, and bringing the
    /// schema up to date.
    ///
    /// Throws ``StoreError/schemaTooNew(fileVersion:supportedVersion:path:)``
    /// for a file written by a newer build, and ``StoreError/corrupt(detail:)``
    /// when the quick check finds damage.
    public init(directory: URL, configuration: Configuration = Configuration()) throws {
        if !configuration.readOnly {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true)
        }
        let path = directory.appendingPathComponent(Self.fileName).path
        self.path = path
        self.configuration = configuration

        let connection = try Connection(
            path: path, readOnly: configuration.readOnly, create: !configuration.readOnly)
        try Self.configure(connection, configuration, writer: true)
        if configuration.checkOnOpen {
            let problems = try Self.check(connection, pragma: "quick_check")
            if !problems.isEmpty {
                throw StoreError.corrupt(detail: problems.prefix(5).joined(separator: "; "))
            }
        }
        if configuration.readOnly {
            let version = try Schema.version(of: connection)
            if version != Schema.latestVersion {
                throw StoreError.readOnly(
                    detail: "\(path) has schema version \(version), this build needs "
                        + "\(Schema.latestVersion), and a read-only store cannot migrate")
            }
        } else {
            try Schema.migrate(connection)
        }

        if configuration.readOnly {
            checkpointer = nil
        } else {
            let checkpointer = Checkpointer(
                path: path, busyTimeoutMilliseconds: Int(configuration.busyTimeoutMilliseconds),
                wakePages: configuration.checkpointWakePages,
                restartPages: configuration.checkpointRestartPages)
            checkpointer.attach(to: connection)
            self.checkpointer = checkpointer
        }
        writer = Writer(
            connection: connection, capacity: max(1, configuration.queueCapacity),
            retention: configuration.alertLogRetention, checkpointer: checkpointer)
        readers = ReaderPool(limit: max(1, configuration.readConnections)) {
            let reader = try Connection(path: path, readOnly: true)
            try Self.configure(reader, configuration, writer: false)
            return reader
        }
        writer.start()
    }

    /// Applies the connection settings every connection of the store uses.
    private static func configure(
        _ connection: Connection, _ configuration: Configuration, writer: Bool
    ) throws {
        try connection.execute(
            """
            PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds);
            PRAGMA foreign_keys = ON;
            PRAGMA cache_size = -\(configuration.cacheKiB);
            """)
        guard writer, !configuration.readOnly else { return }
        let mode = try connection.queryOne("PRAGMA journal_mode = WAL") { $0.text(0) }
        guard mode == "wal" else {
            throw StoreError.ioFailure(
                detail: "\(connection.path): cannot switch to WAL mode (got \(mode ?? "none"))")
        }
        try connection.execute("PRAGMA synchronous = FULL")
        if let cap = configuration.maximumSizeBytes {
            let pageSize = try connection.scalar("PRAGMA page_size")
            let pages = max(1, cap / max(1, pageSize))
            _ = try connection.scalar("PRAGMA max_page_count = \(pages)")
        }
    }

    /// Runs an integrity PRAGMA and returns its complaints (none when "ok").
    static func check(_ connection: Connection, pragma: String) throws -> [String] {
        let rows = try connection.query("PRAGMA \(pragma)") { $0.text(0) }
        return rows == ["ok"] ? [] : rows
    }

    // MARK: Writing

    /// Runs `body` on the writer thread inside the next group commit and
    /// returns its result once the batch is durable.
    ///
    /// Suspends while the queue is full. If `body` throws, its own writes are
    /// rolled back and its error is rethrown here; the rest of the batch goes
    /// on. If the commit fails (disk full, read-only, I/O), every item of the
    /// batch gets that error and none of its writes is kept. The body runs on
    /// the writer thread and must not block on anything but the store.
    ///
    /// `mayRunAgain` lets the writer save the savepoint it otherwise wraps
    /// around every write. Pass true only for a body whose effects outside
    /// the transaction are undone by the rollback observer
    /// (``setRollbackObserver(_:)``): should another write of its batch fail
    /// after changing rows, the batch is rolled back and this body runs
    /// again. Only the last run's result is returned.
    public func write<Result: Sendable>(
        mayRunAgain: Bool = false,
        _ body: @escaping @Sendable (WriteTransaction) throws -> Result
    ) async throws -> Result {
        try await writer.reserveSlot()
        return try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(
                WriteItem(
                    mayRunAgain: mayRunAgain,
                    run: { transaction in
                        let result = try body(transaction)
                        return { continuation.resume(returning: result) }
                    },
                    fail: { error in continuation.resume(throwing: error) }))
        }
    }

    /// Queues `body` like ``write(_:)`` but returns as soon as it is queued,
    /// so a caller can queue many writes and collect their results in order
    /// (an intake stream acknowledging events as they become durable).
    ///
    /// Suspends only while the queue is full.
    public func submit<Result: Sendable>(
        mayRunAgain: Bool = false,
        _ body: @escaping @Sendable (WriteTransaction) throws -> Result
    ) async throws -> PendingWrite<Result> {
        try await writer.reserveSlot()
        let pending = PendingWrite<Result>()
        writer.enqueue(
            WriteItem(
                mayRunAgain: mayRunAgain,
                run: { transaction in
                    let result = try body(transaction)
                    return { pending.complete(.success(result)) }
                },
                fail: { error in pending.complete(.failure(error)) }))
        return pending
    }

    /// Sets the hook that receives, after each durable commit, the alert log
    /// entries that batch appended, in sequence order (none when it appended
    /// none), on the writer thread, before any of the batch's callers resume.
    ///
    /// It is set once (a second call is refused with a precondition failure)
    /// and must return quickly: the next batch waits for it.
    public func setCommitObserver(_ observer: @escaping @Sendable ([AlertLogEntry]) -> Void) {
        precondition(writer.setObserver(observer), "the store's commit observer is set once")
    }

    /// Sets the hook told, on the writer thread, whenever writes that have
    /// already run are taken back: a batch that failed to commit, or one run
    /// again because an item failed after changing rows (see `mayRunAgain` at
    /// ``write(mayRunAgain:_:)``). It runs before any other write, so that
    /// state a caller keeps in memory from its writes can be marked stale
    /// first.
    ///
    /// It is set once (a second call is refused with a precondition failure).
    public func setRollbackObserver(_ observer: @escaping @Sendable () -> Void) {
        precondition(
            writer.setRollbackObserver(observer), "the store's rollback observer is set once")
    }

    /// Deletes alert log entries the retention no longer keeps, now, in a
    /// write of its own; returns how many. The writer also does this by itself
    /// once a minute with the configured retention.
    @discardableResult
    public func pruneAlertLog(_ retention: AlertLogRetention, now: Int64) async throws -> Int {
        try await write { try $0.pruneAlertLog(retention, now: now) }
    }

    /// How many commits the writer made and how many items they carried.
    public var writerStatistics: WriterStatistics {
        writer.currentStatistics
    }

    /// What the background checkpoint did; nil for a read-only store.
    public var checkpointStatistics: CheckpointStatistics? {
        checkpointer?.currentStatistics
    }

    /// Lets queued writes finish, then closes every connection. Writes after
    /// this throw ``StoreError/closed``.
    public func close() async {
        await writer.close()
        readers.close()
    }

    // MARK: Reading

    /// Runs `body` in one read transaction on a pooled read connection: every
    /// query in it sees the same committed state.
    ///
    /// Suspends while every read connection is in use. The body runs
    /// synchronously on the calling task's thread, so keep it to queries.
    public func read<Result>(_ body: (ReadTransaction) throws -> Result) async throws -> Result {
        let connection = try await readers.acquire()
        defer { readers.release(connection) }
        try connection.run("BEGIN")
        do {
            let result = try body(ReadTransaction(connection: connection))
            try connection.run("COMMIT")
            return result
        } catch {
            try? connection.run("ROLLBACK")
            throw error
        }
    }

    // MARK: Operations

    /// The store's state for the server's health endpoint.
    public func health() async throws -> StoreHealth {
        let (version, events) = try await read { transaction in
            (try Schema.version(of: transaction.connection), try transaction.eventCount())
        }
        let size = [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return StoreHealth(schemaVersion: version, sizeBytes: size, eventCount: events)
    }

    /// Runs SQLite's full `PRAGMA integrity_check` on a read connection.
    public func integrityCheck() async throws -> IntegrityReport {
        let problems = try await read { try Self.check($0.connection, pragma: "integrity_check") }
        return IntegrityReport(problems: problems)
    }

    /// Copies the database, as of one instant, to a new file at `destination`
    /// with SQLite's online backup, while writes go on.
    ///
    /// The copy is written beside the destination and renamed into place, so
    /// a crash never leaves half a backup under the final name. An existing
    /// file at `destination` is replaced.
    public func backup(to destination: URL) async throws {
        let source = path
        let configuration = configuration
        try await runOffPool {
            let reader = try Connection(path: source, readOnly: true)
            try reader.execute("PRAGMA busy_timeout = \(configuration.busyTimeoutMilliseconds)")
            try Self.copy(from: reader, to: destination)
        }
    }

    /// Restores a backup into `directory`, which must not hold a database
    /// yet; open the store there afterwards. The backup is checked first and
    /// refused if damaged or newer than this build.
    public static func restore(from backup: URL, into directory: URL) throws {
        let target = directory.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: target.path) {
            throw StoreError.alreadyExists(path: target.path)
        }
        guard FileManager.default.fileExists(atPath: backup.path) else {
            throw StoreError.notFound(what: "backup \(backup.path)")
        }
        let source = try Connection(path: backup.path, readOnly: true)
        let problems = try check(source, pragma: "quick_check")
        guard problems.isEmpty else {
            throw StoreError.corrupt(
                detail: "backup \(backup.path): " + problems.prefix(5).joined(separator: "; "))
        }
        let version = try Schema.version(of: source)
        if version > Schema.latestVersion {
            throw StoreError.schemaTooNew(
                fileVersion: version, supportedVersion: Schema.latestVersion, path: backup.path)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try copy(from: source, to: target)
    }

    /// Copies every page of `source` into a new file at `destination`.
    private static func copy(from source: Connection, to destination: URL) throws {
        let temporary = destination.path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        let target = try Connection(path: temporary, create: true)
        guard let backup = sqlite3_backup_init(target.handle, "main", source.handle, "main")
        else {
            throw target.lastError(sqlite3_errcode(target.handle))
        }
        // One step copies every page inside one read transaction of the
        // source: a consistent snapshot, and in WAL mode the writer goes on.
        let code = sqlite3_backup_step(backup, -1)
        sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE else {
            target.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.from(
                code: code, message: "backup to \(destination.path): "
                    + String(cString: sqlite3_errstr(code)))
        }
        target.close()
        if FileManager.default.fileExists(atPath: destination.path) {
            try FileManager.default.removeItem(at: destination)
        }
        try FileManager.default.moveItem(atPath: temporary, toPath: destination.path)
    }

    /// Runs blocking work on a thread of its own, keeping it off the
    /// cooperative pool that async tasks share.
    private func runOffPool(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread {
                done.resume(with: Result { try work() })
            }.start()
        }
    }
}

/// The store's state as the server's health endpoint reports it.
public struct StoreHealth: Sendable, Equatable {
    /// The schema version of the file.
    public var schemaVersion: Int
    /// The database file and its write-ahead log, in bytes.
    public var sizeBytes: Int64
    /// Events stored.
    public var eventCount: Int64
}

/// The outcome of an integrity check.
public struct IntegrityReport: Sendable, Equatable {
    /// What SQLite found wrong; empty when the file is sound.
    public var problems: [String]

    /// True when nothing was found wrong.
    public var isHealthy: Bool { problems.isEmpty }
}

/// A small pool of read connections, opened on first need.
///
/// Invariants: `idle`, `opened`, `waiters` and `isClosed` are touched only
/// while holding `lock`; a connection is either idle in the pool or held by
/// exactly one reader, never both. That makes `@unchecked Sendable` safe.
final class ReaderPool: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private let open: () throws -> Connection
    private var idle: [Connection] = []
    private var opened = 0
    private var waiters: [CheckedContinuation<Connection?, Never>] = []
    private var isClosed = false

    init(limit: Int, open: @escaping () throws -> Connection) {
        self.limit = limit
        self.open = open
    }

    /// What `acquire` does next, decided under the lock.
    private enum Step {
        case use(Connection)
        case openNew
        case wait
        case closed
    }

    private func nextStep() -> Step {
        lock.lock()
        defer { lock.unlock() }
        if isClosed { return .closed }
        if let connection = idle.popLast() { return .use(connection) }
        if opened < limit {
            opened += 1
            return .openNew
        }
        return .wait
    }

    private func openFailed() {
        lock.lock()
        opened -= 1
        lock.unlock()
    }

    /// Queues `waiter` for the next released connection, unless one is idle
    /// or the pool closed in the meantime.
    private func park(_ waiter: CheckedContinuation<Connection?, Never>) {
        lock.lock()
        if let connection = idle.popLast() {
            lock.unlock()
            waiter.resume(returning: connection)
        } else if isClosed {
            lock.unlock()
            waiter.resume(returning: nil)
        } else {
            waiters.append(waiter)
            lock.unlock()
        }
    }

    /// An idle connection, a new one, or the next one released.
    func acquire() async throws -> Connection {
        switch nextStep() {
        case .use(let connection):
            return connection
        case .closed:
            throw StoreError.closed
        case .openNew:
            do {
                return try open()
            } catch {
                openFailed()
                throw error
            }
        case .wait:
            let handed: Connection? = await withCheckedContinuation { park($0) }
            guard let handed else { throw StoreError.closed }
            return handed
        }
    }

    /// Hands the connection to the next waiter, or back to the pool.
    func release(_ connection: Connection) {
        lock.lock()
        if isClosed {
            lock.unlock()
            connection.close()
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            lock.unlock()
            waiter.resume(returning: connection)
            return
        }
        idle.append(connection)
        lock.unlock()
    }

    /// Closes idle connections now and the others as they come back.
    func close() {
        lock.lock()
        isClosed = true
        let closing = idle
        idle.removeAll()
        let stranded = waiters
        waiters.removeAll()
        lock.unlock()
        closing.forEach { $0.close() }
        stranded.forEach { $0.resume(returning: nil) }
    }
}
