import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Store

/// Holds the writer thread inside one write until the test lets it go, so
/// that the writes queued meanwhile form one known batch.
final class WriterGate: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    /// Queues a write that blocks the writer thread; returns once the writer
    /// is inside it.
    func close(_ store: Store) async throws -> PendingWrite<Void> {
        let pending = try await store.submit { [self] _ in
            entered.signal()
            released.wait()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [self] in
                entered.wait()
                done.resume()
            }
        }
        return pending
    }

    /// Lets the writer go on.
    func open() {
        released.signal()
    }
}

struct Refused: Error, Equatable {
    let index: Int
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test("writes queued while the writer is busy share one commit")
    func queuedWritesShareACommit() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let gate = WriterGate()
            let held = try await gate.close(store)
            var pending: [PendingWrite<EventInsertion>] = []
            for index in 0..<100 {
                let event = sampleEvent(eventID: "E\(index)")
                pending.append(try await store.submit { try $0.insertEvent(event) })
            }
            gate.open()
            try await held.value
            for write in pending {
                guard case .accepted = try await write.value else {
                    Issue.record("a fresh event was not accepted")
                    return
                }
            }
            let statistics = store.writerStatistics
            #expect(statistics.commits == 2)
            #expect(statistics.largestBatch == 100)
            #expect(try await store.read { try $0.eventCount() } == 100)
        }
    }

    @Test("a throwing write is rolled back alone; the rest of its batch commits")
    func failingItemIsIsolated() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let gate = WriterGate()
            let held = try await gate.close(store)
            var pending: [PendingWrite<Void>] = []
            for index in 0..<10 {
                pending.append(
                    try await store.submit { transaction in
                        _ = try transaction.insertEvent(sampleEvent(eventID: "E\(index)"))
                        if index % 3 == 0 { throw Refused(index: index) }
                    })
            }
            gate.open()
            try await held.value
            for (index, write) in pending.enumerated() {
                if index % 3 == 0 {
                    await #expect(throws: Refused(index: index)) { try await write.value }
                } else {
                    try await write.value
                }
            }
            let stored = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(stored.map(\.event.eventID) == ["E1", "E2", "E4", "E5", "E7", "E8"])
            #expect(store.writerStatistics.commits == 2)
        }
    }

    @Test("case rows kept for the batch are seen at once and rolled back with their write")
    func caseRowsOfABatch() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let gate = WriterGate()
            let held = try await gate.close(store)
            var first = sampleCase(caseID: "C1", state: 1)
            var pending: [PendingWrite<Int?>] = []
            // Write 0 stores state 1; write 1 moves it to 2 and then fails;
            // write 2 reads the row (it must see 1, not the rolled back 2),
            // and a list query inside the batch sees it too; write 3 moves
            // it to 3.
            pending.append(try await store.submit { [first] in
                try $0.upsertCase(first)
                return nil
            })
            first.state = 2
            pending.append(try await store.submit { [first] in
                try $0.upsertCase(first)
                _ = try $0.cases(CaseQuery(department: first.department))
                throw Refused(index: 1)
            })
            let department = first.department
            pending.append(try await store.submit { transaction in
                let listed = try transaction.cases(CaseQuery(department: department))
                #expect(listed.items.map(\.state) == [1])
                return try transaction.caseRecord(department: department, caseID: "C1")?.state
            })
            first.state = 3
            pending.append(try await store.submit { [first] in
                try $0.upsertCase(first)
                return try $0.caseRecord(department: first.department, caseID: "C1")?.state
            })
            gate.open()
            try await held.value
            #expect(try await pending[0].value == nil)
            await #expect(throws: Refused(index: 1)) { _ = try await pending[1].value }
            #expect(try await pending[2].value == 1)
            #expect(try await pending[3].value == 3)
            let stored = try await store.read {
                try $0.caseRecord(department: first.department, caseID: "C1")
            }
            #expect(stored == first)
            #expect(store.writerStatistics.commits == 2)
        }
    }

    /// Queues ten writes behind a closed gate, each inserting its own event;
    /// those `failing` picks throw, before their insert or after it. Returns
    /// what each write answered and the order of the bodies' runs and the
    /// rollback observer's calls.
    private func runBatch(
        _ store: Store, failAfterInsert: Bool, onlyRepeatable: Bool = true,
        failing: @escaping @Sendable (Int) -> Bool
    ) async throws -> (answers: [Result<EventInsertion, Refused>], log: [String]) {
        let log = Mutex<[String]>([])
        store.setRollbackObserver { log.withLock { $0.append("rolled back") } }
        let gate = WriterGate()
        let held = try await gate.close(store)
        var pending: [PendingWrite<EventInsertion>] = []
        for index in 0..<10 {
            let mayRunAgain = onlyRepeatable || index != 5
            pending.append(
                try await store.submit(mayRunAgain: mayRunAgain) { transaction in
                    log.withLock { $0.append("run \(index)") }
                    if failing(index) && !failAfterInsert { throw Refused(index: index) }
                    let insertion = try transaction.insertEvent(sampleEvent(eventID: "E\(index)"))
                    if failing(index) { throw Refused(index: index) }
                    return insertion
                })
        }
        gate.open()
        try await held.value
        var answers: [Result<EventInsertion, Refused>] = []
        for write in pending {
            do {
                answers.append(.success(try await write.value))
            } catch let refused as Refused {
                answers.append(.failure(refused))
            }
        }
        return (answers, log.withLock { $0 })
    }

    private static func runs(_ indexes: some Sequence<Int>) -> [String] {
        indexes.map { "run \($0)" }
    }

    @Test("repeatable writes go without savepoints; one failing before it writes is left out")
    func repeatableWriteFailingBeforeItWrites() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let (answers, log) = try await runBatch(store, failAfterInsert: false) { $0 % 3 == 0 }
            #expect(answers.map { (try? $0.get()) == nil } == (0..<10).map { $0 % 3 == 0 })
            // Each body ran once: nothing was taken back, nothing ran twice.
            #expect(log == Self.runs(0..<10))
            let stored = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(stored.map(\.event.eventID) == ["E1", "E2", "E4", "E5", "E7", "E8"])
            #expect(store.writerStatistics.batchesRunTwice == 0)
            #expect(store.writerStatistics.commits == 2)
        }
    }

    @Test("a write that fails after changing rows has its batch run again, a savepoint each")
    func repeatableWriteFailingAfterItWrites() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let (answers, log) = try await runBatch(store, failAfterInsert: true) { $0 == 4 }
            #expect(answers.map { (try? $0.get()) == nil } == (0..<10).map { $0 == 4 })
            // The bare run stops at the failing write; the observer hears of
            // the rollback before any body runs again.
            #expect(log == Self.runs(0...4) + ["rolled back"] + Self.runs(0..<10))
            let stored = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(stored.map(\.event.eventID) == (0..<10).filter { $0 != 4 }.map { "E\($0)" })
            // Sequences are those of the run that committed.
            let sequences = answers.compactMap { answer -> Int64? in
                guard case .success(.accepted(let sequence)) = answer else { return nil }
                return sequence
            }
            #expect(sequences == stored.map(\.sequence))
            #expect(store.writerStatistics.batchesRunTwice == 1)
            #expect(store.writerStatistics.commits == 2)
        }
    }

    @Test("a batch holding a write that must not run again keeps a savepoint per write")
    func batchWithAWriteThatMustNotRunAgain() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let (answers, log) = try await runBatch(
                store, failAfterInsert: true, onlyRepeatable: false
            ) { $0 == 4 }
            #expect(answers.map { (try? $0.get()) == nil } == (0..<10).map { $0 == 4 })
            #expect(log == Self.runs(0..<10))
            let stored = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(stored.map(\.event.eventID) == (0..<10).filter { $0 != 4 }.map { "E\($0)" })
            #expect(store.writerStatistics.batchesRunTwice == 0)
        }
    }

    @Test("when COMMIT fails, every write of the batch gets the error and none is kept")
    func commitFailureFailsTheBatch() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "before")) }
            let rollbacks = Atomic<Int>(0)
            store.setRollbackObserver {
                rollbacks.add(1, ordering: .sequentiallyConsistent)
            }
            let gate = WriterGate()
            let held = try await gate.close(store)
            var pending: [PendingWrite<EventInsertion>] = []
            for index in 0..<5 {
                let event = sampleEvent(eventID: "E\(index)")
                pending.append(try await store.submit { try $0.insertEvent(event) })
            }
            // A log entry for an alert that does not exist, with the foreign
            // key check deferred: each savepoint is released, COMMIT refuses.
            let poison = try await store.submit { transaction in
                try transaction.connection.execute("PRAGMA defer_foreign_keys = ON")
                try transaction.appendAlertLog(raisedEntry(for: sampleAlert(id: "ghost")))
            }
            gate.open()
            try await held.value
            for write in pending {
                do {
                    _ = try await write.value
                    Issue.record("a write of a failed batch was acknowledged")
                } catch let error as StoreError {
                    guard case .constraint = error else {
                        Issue.record("unexpected \(error)")
                        continue
                    }
                }
            }
            await #expect(throws: StoreError.self) { _ = try await poison.value }
            #expect(rollbacks.load(ordering: .sequentiallyConsistent) == 1)
            #expect(try await store.read { try $0.eventCount() } == 1)

            // The writer goes on after a failed batch.
            let after = try await store.write { try $0.insertEvent(sampleEvent(eventID: "after")) }
            #expect(after == .accepted(sequence: 2))
        }
    }

    @Test("a full queue makes the next caller wait until the writer takes a batch")
    func fullQueueSuspendsCallers() async throws {
        let directory = TemporaryDirectory()
        var configuration = testConfiguration()
        configuration.queueCapacity = 4
        try await withStore(at: directory.child("data"), configuration: configuration) { store in
            let gate = WriterGate()
            let held = try await gate.close(store)
            for index in 0..<4 {
                _ = try await store.submit { try $0.insertEvent(sampleEvent(eventID: "E\(index)")) }
            }
            let admitted = Atomic<Bool>(false)
            let waiting = Task {
                let write = try await store.submit {
                    try $0.insertEvent(sampleEvent(eventID: "E4"))
                }
                admitted.store(true, ordering: .sequentiallyConsistent)
                return try await write.value
            }
            try await Task.sleep(for: .milliseconds(200))
            let admittedEarly = admitted.load(ordering: .sequentiallyConsistent)
            #expect(!admittedEarly)
            gate.open()
            try await held.value
            guard case .accepted = try await waiting.value else {
                Issue.record("the waiting write was not accepted")
                return
            }
            let admittedLater = admitted.load(ordering: .sequentiallyConsistent)
            #expect(admittedLater)
        }
    }

    @Test("disk full: callers get a clear error and everything acknowledged stays")
    func diskFull() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        var capped = testConfiguration()
        capped.maximumSizeBytes = 512 * 1024
        var acknowledged: [String] = []
        var failure: StoreError?
        try await withStore(at: data, configuration: capped) { store in
            let payload = [UInt8](repeating: 7, count: 2000)
            for index in 0..<2000 {
                do {
                    let id = "E\(index)"
                    _ = try await store.write {
                        try $0.insertEvent(sampleEvent(eventID: id, payload: payload))
                    }
                    acknowledged.append(id)
                } catch let error as StoreError {
                    failure = error
                    break
                }
            }
        }
        let error = try #require(failure, "the capped store never filled up")
        guard case .diskFull = error else {
            Issue.record("expected disk full, got \(error)")
            return
        }
        #expect(error.description.contains("disk full"))
        #expect(acknowledged.count > 10)

        try await withStore(at: data) { store in
            let stored = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(stored.map(\.event.eventID) == acknowledged)
            #expect(try await store.integrityCheck().isHealthy)
            // Without the cap the store takes writes again.
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "later")) }
        }
    }

    @Test("a read-only store refuses writes clearly and still serves what it holds")
    func readOnly() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        try await withStore(at: data) { store in
            for index in 0..<10 {
                _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E\(index)")) }
            }
        }
        var configuration = testConfiguration()
        configuration.readOnly = true
        try await withStore(at: data, configuration: configuration) { store in
            do {
                _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E10")) }
                Issue.record("a read-only store took a write")
            } catch let error as StoreError {
                guard case .readOnly = error else {
                    Issue.record("expected read-only, got \(error)")
                    return
                }
                #expect(error.description.contains("cannot be written"))
            }
            #expect(try await store.read { try $0.eventCount() } == 10)
        }
    }

    @Test("a lock held by another process past the busy timeout is reported as busy")
    func busy() async throws {
        let directory = TemporaryDirectory()
        var configuration = testConfiguration()
        configuration.busyTimeoutMilliseconds = 50
        try await withStore(at: directory.child("data"), configuration: configuration) { store in
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E1")) }
            let intruder = try Connection(path: store.path)
            try intruder.execute("BEGIN IMMEDIATE")
            do {
                _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E2")) }
                Issue.record("a write went through another connection's lock")
            } catch let error as StoreError {
                guard case .busy = error else {
                    Issue.record("expected busy, got \(error)")
                    return
                }
                #expect(error.description.contains("locked"))
            }
            try intruder.execute("ROLLBACK")
            intruder.close()
            let later = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E2")) }
            #expect(later == .accepted(sequence: 2))
        }
    }

    @Test("after close, writes and reads are refused")
    func closedStore() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(
            directory: directory.child("data"), configuration: testConfiguration())
        _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E1")) }
        await store.close()
        await #expect(throws: StoreError.closed) {
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E2")) }
        }
        await #expect(throws: StoreError.closed) {
            _ = try await store.read { try $0.eventCount() }
        }
    }
}
