import Foundation
import Synchronization

/// One queued write: the caller's body, and how to hand back its outcome.
struct WriteItem: Sendable {
    /// The body may be run again after being rolled back (see
    /// ``Store/write(mayRunAgain:_:)``), so its batch may go without savepoints.
    let mayRunAgain: Bool
    /// Runs the body; returns the step that
    /// resumes the caller with the body's result, taken once the batch is
    /// durable.
    let run: @Sendable (WriteTransaction) throws -> @Sendable () -> Void
    /// Resumes the caller with an error.
    let fail: @Sendable (any Error) -> Void
}

/// The group-commit writer: one thread, one connection, one transaction per
/// batch of queued items.
///
/// Invariants: the write connection is used only by the writer thread once
/// it has started; `queue`, `reserved`, `slotWaiters`, `closing`,
/// `writerIsWaiting`, `observer`, `rollbackObserver` and `statistics` are read and written only
/// while holding `condition`. Those two make the `@unchecked Sendable` safe.
final class Writer: @unchecked Sendable {
    private let connection: Connection
    /// Stopped before the connection closes; see ``Checkpointer``.
    private let checkpointer: Checkpointer?
    private let condition = NSCondition()
    private let capacity: Int
    private let retention: AlertLogRetention
    private var queue: [WriteItem] = []
    /// Slots taken: items in `queue` plus callers admitted but not yet queued.
    private var reserved = 0
    private var slotWaiters: [CheckedContinuation<Void, any Error>] = []
    private var closing = false
    /// True while the writer thread sleeps on `condition`: only then does an
    /// enqueue need to wake it (a signal is a system call).
    private var writerIsWaiting = false
    private var observer: (@Sendable ([AlertLogEntry]) -> Void)?
    private var rollbackObserver: (@Sendable () -> Void)?
    private var finished: CheckedContinuation<Void, Never>?
    private var hasFinished = false
    private var lastPrune: Date = .distantPast
    private var statistics = WriterStatistics()

    /// How often the writer applies alert log retention by itself.
    static let pruneInterval: TimeInterval = 60

    init(
        connection: Connection, capacity: Int, retention: AlertLogRetention,
        checkpointer: Checkpointer?
    ) {
        self.connection = connection
        self.checkpointer = checkpointer
        self.capacity = capacity
        self.retention = retention
    }

    /// Commits and items so far.
    var currentStatistics: WriterStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Starts the writer thread.
    func start() {
        let thread = Thread { [self] in
            nameCurrentThread("store-writer")
            run()
        }
        thread.start()
    }

    /// Sets the rollback observer; false if one was already set.
    func setRollbackObserver(_ newObserver: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard rollbackObserver == nil else { return false }
        rollbackObserver = newObserver
        return true
    }

    /// Sets the commit observer; false if one was already set.
    func setObserver(_ newObserver: @escaping @Sendable ([AlertLogEntry]) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard observer == nil else { return false }
        observer = newObserver
        return true
    }

    /// Takes a place in the queue, suspending only while the queue is full.
    func reserveSlot() async throws {
        // The common case, a free slot, costs a lock and no suspension.
        switch tryReserveSlot() {
        case .reserved: return
        case .closed: throw StoreError.closed
        case .full: break
        }
        try await withCheckedThrowingContinuation { (slot: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if closing {
                condition.unlock()
                slot.resume(throwing: StoreError.closed)
            } else if reserved < capacity {
                reserved += 1
                condition.unlock()
                slot.resume()
            } else {
                slotWaiters.append(slot)
                condition.unlock()
            }
        }
    }

    private enum Reservation {
        case reserved
        case full
        case closed
    }

    private func tryReserveSlot() -> Reservation {
        condition.lock()
        defer { condition.unlock() }
        if closing { return .closed }
        guard reserved < capacity, slotWaiters.isEmpty else { return .full }
        reserved += 1
        return .reserved
    }

    /// Queues an item in a slot taken with `reserveSlot()`.
    func enqueue(_ item: WriteItem) {
        condition.lock()
        if closing && hasFinished {
            condition.unlock()
            item.fail(StoreError.closed)
            return
        }
        queue.append(item)
        if writerIsWaiting {
            condition.signal()
        }
        condition.unlock()
    }

    /// Stops taking new items, lets the writer finish what is queued, and
    /// returns once the writer thread has closed the connection.
    func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            condition.lock()
            if hasFinished {
                condition.unlock()
                done.resume()
                return
            }
            closing = true
            finished = done
            let waiters = slotWaiters
            slotWaiters.removeAll()
            condition.signal()
            condition.unlock()
            for waiter in waiters {
                waiter.resume(throwing: StoreError.closed)
            }
        }
    }

    // MARK: The writer thread

    private func run() {
        while let (batch, observer) = nextBatch() {
            commit(batch, observer: observer)
            pruneIfDue()
        }
        checkpointer?.stop()
        connection.close()
        condition.lock()
        hasFinished = true
        let done = finished
        finished = nil
        condition.unlock()
        done?.resume()
    }

    /// Waits for work and takes all of it; nil once closing with nothing left
    /// (callers admitted before the close still get their turn).
    private func nextBatch() -> ([WriteItem], (@Sendable ([AlertLogEntry]) -> Void)?)? {
        condition.lock()
        while queue.isEmpty && !(closing && reserved == 0) {
            writerIsWaiting = true
            condition.wait()
            writerIsWaiting = false
        }
        if queue.isEmpty {
            condition.unlock()
            return nil
        }
        let batch = queue
        queue.removeAll(keepingCapacity: true)
        reserved -= batch.count
        var admitted: [CheckedContinuation<Void, any Error>] = []
        while reserved < capacity, !slotWaiters.isEmpty {
            admitted.append(slotWaiters.removeFirst())
            reserved += 1
        }
        let observer = self.observer
        condition.unlock()
        for waiter in admitted {
            waiter.resume()
        }
        return (batch, observer)
    }

    /// Runs a batch in one transaction and resumes the callers only once
    /// COMMIT has returned.
    ///
    /// A savepoint per item lets a failing item be taken back alone, but it
    /// is not free: two statements, and SQLite copying every page the item
    /// touches into its sub-journal first, about a tenth of the writer's time
    /// under intake. Almost no batch has a failing item, so a batch whose
    /// items may all run again runs without them first. An item that fails
    /// before changing any row leaves nothing in the file and is simply left
    /// out; only one that fails after changing rows has the batch rolled back
    /// and run again from the start, this time with a savepoint per item.
    private func commit(
        _ batch: [WriteItem], observer: (@Sendable ([AlertLogEntry]) -> Void)?
    ) {
        if batch.allSatisfy(\.mayRunAgain) {
            guard attempt(batch, isolatingItems: false, observer: observer) == .rolledBack
            else { return }
            condition.lock()
            statistics.batchesRunTwice += 1
            condition.unlock()
            rolledBack()
        }
        _ = attempt(batch, isolatingItems: true, observer: observer)
    }

    private enum Attempt {
        /// Committed, or failed as a whole with every item told why.
        case finished
        /// Rolled back unfinished, nobody told: an item failed after changing
        /// rows, and only a savepoint per item can take it back alone.
        case rolledBack
    }

    private func attempt(
        _ batch: [WriteItem], isolatingItems: Bool,
        observer: (@Sendable ([AlertLogEntry]) -> Void)?
    ) -> Attempt {
        let transaction = WriteTransaction(connection: connection)
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            batch.forEach { $0.fail(error) }
            return .finished
        }

        var outcomes: [Result<@Sendable () -> Void, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        for item in batch {
            let mark = transaction.appendedLog.count
            let changes = connection.totalChanges
            do {
                if isolatingItems { try connection.run("SAVEPOINT item") }
                let resume = try item.run(transaction)
                if isolatingItems { try connection.run("RELEASE item") }
                transaction.itemSucceeded()
                outcomes.append(.success(resume))
            } catch {
                if connection.isAutocommit {
                    // SQLite rolled the whole transaction back (disk full, I/O
                    // error): every item of the batch is lost, not just this one.
                    rolledBack()
                    batch.forEach { $0.fail(error) }
                    return .finished
                }
                if !isolatingItems && connection.totalChanges != changes {
                    try? connection.run("ROLLBACK")
                    return .rolledBack
                }
                transaction.itemFailed()
                if isolatingItems {
                    try? connection.run("ROLLBACK TO item")
                    try? connection.run("RELEASE item")
                }
                transaction.appendedLog.removeSubrange(mark...)
                outcomes.append(.failure(error))
            }
        }

        do {
            try transaction.writePendingCases()
            try transaction.flushCounters()
            try connection.run("COMMIT")
        } catch {
            if !connection.isAutocommit {
                try? connection.run("ROLLBACK")
            }
            rolledBack()
            batch.forEach { $0.fail(error) }
            return .finished
        }

        condition.lock()
        statistics.commits += 1
        statistics.itemsCommitted += batch.count
        statistics.largestBatch = max(statistics.largestBatch, batch.count)
        condition.unlock()

        // Durable from here on. Subscribers hear of the new log entries before
        // any caller resumes, so a caller never sees its own alert missing
        // from a live feed it attached to earlier. A batch without entries is
        // told too: state staged by its writes is now durable.
        observer?(transaction.appendedLog)
        for (item, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .success(let resume): resume()
            case .failure(let error): item.fail(error)
            }
        }
        return .finished
    }

    /// Tells the rollback observer, on this thread and before any other write
    /// runs, that writes it has run were taken back.
    private func rolledBack() {
        condition.lock()
        let observer = rollbackObserver
        condition.unlock()
        observer?()
    }

    /// Applies alert log retention in its own transaction, at most once per
    /// `pruneInterval`.
    private func pruneIfDue() {
        guard retention != .keepAll, Date().timeIntervalSince(lastPrune) >= Self.pruneInterval
        else { return }
        lastPrune = Date()
        let transaction = WriteTransaction(connection: connection)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        do {
            try connection.run("BEGIN IMMEDIATE")
            try transaction.pruneAlertLog(retention, now: now)
            try connection.run("COMMIT")
        } catch {
            // Retention is housekeeping: a failure here loses nothing and the
            // next interval tries again.
            if !connection.isAutocommit {
                try? connection.run("ROLLBACK")
            }
        }
    }
}

/// Counts of the writer's work since the store was opened.
public struct WriterStatistics: Sendable, Equatable {
    /// Transactions committed (one fsync each).
    public var commits = 0
    /// Items carried by those transactions, failed items included.
    public var itemsCommitted = 0
    /// The most items one transaction carried.
    public var largestBatch = 0
    /// Batches run a second time, with a savepoint per item, because one of
    /// their items failed after changing rows.
    public var batchesRunTwice = 0

    /// Items per commit on average: the effect of group commit.
    public var averageBatch: Double {
        commits == 0 ? 0 : Double(itemsCommitted) / Double(commits)
    }
}

/// A write queued with ``Store/submit(_:)``, whose result arrives once its
/// batch is durable.
public final class PendingWrite<Result: Sendable>: Sendable {
    private let state = Mutex<State>(.waiting([]))

    private enum State {
        case waiting([CheckedContinuation<Result, any Error>])
        case done(Swift.Result<Result, any Error>)
    }

    init() {}

    /// The body's result once durable, or the error that kept it from being
    /// durable (its own, or the batch's commit failure).
    public var value: Result {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: Swift.Result<Result, any Error>? = state.withLock { state in
                    switch state {
                    case .done(let outcome):
                        return outcome
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        }
    }

    func complete(_ outcome: Swift.Result<Result, any Error>) {
        let waiters: [CheckedContinuation<Result, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(outcome)
            return waiters
        }
        for waiter in waiters {
            waiter.resume(with: outcome)
        }
    }
}
