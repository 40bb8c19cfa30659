import Foundation
import Synchronization
import Testing

@testable import Store

@Suite("Backup, restore, integrity and health")
struct OperationsTests {
    @Test("a backup taken while writes go on restores to a sound, consistent store")
    func backupWithWritesInFlight() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let backupFile = directory.child("backup.sqlite")
        let restored = directory.child("restored")

        let (beforeBackup, total) = try await withStore(at: data) { store in
            // Each write stores five events and one alert with its log entry.
            let written = Mutex<Int>(0)
            let writer = Task {
                for batch in 0..<400 {
                    try await store.write { transaction in
                        for index in 0..<5 {
                            _ = try transaction.insertEvent(
                                sampleEvent(caseID: "C\(batch)", eventID: "E\(batch)-\(index)"))
                        }
                        let alert = sampleAlert(id: "A\(batch)", caseID: "C\(batch)")
                        try transaction.putAlert(alert)
                        try transaction.appendAlertLog(raisedEntry(for: alert))
                    }
                    written.withLock { $0 += 5 }
                }
            }
            while written.withLock({ $0 }) < 500 {
                try await Task.sleep(for: .milliseconds(2))
            }
            let before = written.withLock { $0 }
            try await store.backup(to: backupFile)
            try await writer.value
            return (before, written.withLock { $0 })
        }
        #expect(total == 2000)

        try Store.restore(from: backupFile, into: restored)
        try await withStore(at: restored) { store in
            #expect(try await store.integrityCheck().isHealthy)
            let events = try await store.read { try $0.eventCount() }
            #expect(events >= Int64(beforeBackup))
            #expect(events <= Int64(total))
            // A snapshot of whole transactions: five events per alert entry.
            let log = try await store.read { try $0.alertLogPosition() }
            #expect(Int64(log) * 5 == events)
            let health = try await store.health()
            #expect(health.eventCount == events)
            #expect(health.schemaVersion == Store.schemaVersion)
            // The restored store takes writes.
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "after")) }
        }
    }

    @Test("restore refuses a directory that already holds a database, and a missing backup")
    func restoreRefusals() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        _ = try await withStore(at: data) { try await $0.health() }
        let backupFile = directory.child("backup.sqlite")
        try await withStore(at: data) { try await $0.backup(to: backupFile) }

        let existing = data.appendingPathComponent(Store.fileName).path
        #expect(throws: StoreError.alreadyExists(path: existing)) {
            try Store.restore(from: backupFile, into: data)
        }
        #expect(throws: StoreError.self) {
            try Store.restore(from: directory.child("missing.sqlite"), into: directory.child("x"))
        }
    }

    @Test("health reports the schema version, the size on disk and the event count")
    func health() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let empty = try await store.health()
            #expect(empty.eventCount == 0)
            try await store.write { transaction in
                for index in 0..<300 {
                    _ = try transaction.insertEvent(
                        sampleEvent(
                            eventID: "E\(index)", payload: [UInt8](repeating: 1, count: 500)))
                }
            }
            let full = try await store.health()
            #expect(full.eventCount == 300)
            #expect(full.sizeBytes > empty.sizeBytes + 150_000)
            #expect(full.schemaVersion == Store.schemaVersion)
            let report = try await store.integrityCheck()
            #expect(report.isHealthy)
            #expect(report.problems.isEmpty)
        }
    }

    @Test("the writer and the checkpoint thread carry names an operator can see")
    func threadNames() async throws {
        let directory = TemporaryDirectory()
        func threadNames() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        try await withStore(at: directory.child("data")) { _ in
            // The threads name themselves as they start.
            var names = try threadNames()
            for _ in 0..<50
            where !names.contains("store-writer") || !names.contains("store-checkpt") {
                try await Task.sleep(for: .milliseconds(20))
                names = try threadNames()
            }
            #expect(names.contains("store-writer"), "\(names)")
            #expect(names.contains("store-checkpt"), "\(names)")
        }
    }

    @Test("the write-ahead log is copied back in the background and starts over, not growing")
    func checkpoints() async throws {
        let directory = TemporaryDirectory()
        var configuration = testConfiguration()
        configuration.checkpointWakePages = 20
        configuration.checkpointRestartPages = 200
        let data = directory.child("data")
        let log = data.appendingPathComponent(Store.fileName + "-wal").path
        var largestLog: Int64 = 0
        try await withStore(at: data, configuration: configuration) { store in
            for batch in 0..<60 {
                try await store.write { transaction in
                    for index in 0..<100 {
                        _ = try transaction.insertEvent(
                            sampleEvent(
                                caseID: "C\(batch)", eventID: "E\(batch)-\(index)",
                                payload: [UInt8](repeating: 7, count: 400)))
                    }
                }
                let attributes = try FileManager.default.attributesOfItem(atPath: log)
                largestLog = max(largestLog, (attributes[.size] as? NSNumber)?.int64Value ?? 0)
            }
            let statistics = store.checkpointStatistics
            #expect((statistics?.passes ?? 0) > 0)
            // Woken is not enough: the passes must have copied pages.
            #expect((statistics?.copyingPasses ?? 0) > 0)
        }
        // Closed means every connection closed: the last one has copied the
        // rest back and removed the log, and nothing touches the file after.
        #expect(!FileManager.default.fileExists(atPath: log))
        // 6,000 events of 400 bytes are about 700 pages; a log that started
        // over at 200 pages stays within that plus one batch.
        #expect(largestLog < 300 * 4_120)
        try await withStore(at: data) { store in
            let count = try await store.read { try $0.eventCount() }
            #expect(count == 6_000)
            let report = try await store.integrityCheck()
            #expect(report.isHealthy)
        }
    }
}
