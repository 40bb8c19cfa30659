import Foundation
import Synchronization
import Testing

@testable import Store

@Suite("The alert log: sequence, filters, retention, the commit observer")
struct AlertLogTests {
    /// Stores `count` alerts, alternating departments and levels, each with
    /// its raised entry; returns the entries as stored.
    @discardableResult
    func raise(_ store: Store, count: Int, from start: Int = 0, at: Int64 = march2)
        async throws -> [AlertLogEntry]
    {
        try await store.write { transaction in
            try (start..<start + count).map { index in
                let alert = sampleAlert(
                    id: "A\(index)", department: index % 2 == 0 ? "LAND" : "TAX",
                    level: 1 + index % 3, raisedAt: at)
                try transaction.putAlert(alert)
                return try transaction.appendAlertLog(raisedEntry(for: alert))
            }
        }
    }

    @Test("sequences go up by one and the alert row records its latest")
    func sequencesAndLatest() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let entries = try await raise(store, count: 5)
            #expect(entries.map(\.sequence) == [1, 2, 3, 4, 5])
            let withdrawn = try await store.write { transaction in
                var alert = try #require(try transaction.alert(id: "A2"))
                alert.status = 3
                try transaction.putAlert(alert)
                var entry = raisedEntry(for: alert)
                entry.kind = 2
                entry.note = "the event that caused it was corrected"
                return try transaction.appendAlertLog(entry)
            }
            #expect(withdrawn.sequence == 6)
            let alert = try await store.read { try $0.alert(id: "A2") }
            #expect(alert?.sequence == 6)
            #expect(alert?.status == 3)
            #expect(try await store.read { try $0.alertLogPosition() } == 6)
        }
    }

    @Test("reading after a position with a filter, a page at a time")
    func filteredPages() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await raise(store, count: 30)
            var seen: [UInt64] = []
            var position: UInt64 = 0
            var reads = 0
            while true {
                let page = try await store.read {
                    try $0.alertLog(
                        after: position, filter: AlertFilter(departments: ["TAX"], levels: [1]),
                        limit: 2)
                }
                reads += 1
                seen += page.entries.map(\.sequence)
                #expect(page.position >= position)
                if page.entries.isEmpty { break }
                position = page.position
            }
            // Index i is TAX when odd and level 1 when i % 3 == 0; sequence i + 1.
            let indexes = (0..<30).filter { (index: Int) -> Bool in
                index % 2 == 1 && index % 3 == 0
            }
            let expected = indexes.map { (index: Int) -> UInt64 in UInt64(index + 1) }
            #expect(seen == expected)
            #expect(position == 30)
            #expect(reads == 4)
        }
    }

    @Test("retention by count deletes the oldest, never reuses a sequence, and says what is kept")
    func retentionByCount() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await raise(store, count: 10)
            let deleted = try await store.pruneAlertLog(.newest(4), now: march2)
            #expect(deleted == 6)
            #expect(try await store.read { try $0.oldestKeptAlertLogSequence() } == 7)

            do {
                _ = try await store.read { try $0.alertLog(after: 3) }
                Issue.record("an expired position was read")
            } catch let error as StoreError {
                #expect(error == .positionExpired(requested: 3, oldestKept: 7))
            }
            let fromOldest = try await store.read { try $0.alertLog(after: 6) }
            #expect(fromOldest.entries.map(\.sequence) == [7, 8, 9, 10])

            // Even with every entry deleted, the next one continues the count.
            _ = try await store.pruneAlertLog(.newest(0), now: march2)
            let next = try await raise(store, count: 1, from: 10)
            #expect(next.map(\.sequence) == [11])
            #expect(try await store.read { try $0.oldestKeptAlertLogSequence() } == 11)
        }
    }

    @Test("retention by age keeps entries younger than the limit")
    func retentionByAge() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let day = Int64(86_400_000)
            try await raise(store, count: 3, from: 0, at: march2)
            try await raise(store, count: 3, from: 3, at: march2 + 10 * day)
            let deleted = try await store.pruneAlertLog(
                .younger(than: 5 * day), now: march2 + 12 * day)
            #expect(deleted == 3)
            let kept = try await store.read { try $0.alertLog(after: 3) }
            #expect(kept.entries.map(\.sequence) == [4, 5, 6])
        }
    }

    @Test("the observer gets each durable batch's entries in order; a failed item's never")
    func commitObserver() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let delivered = Mutex<[UInt64]>([])
            store.setCommitObserver { entries in
                delivered.withLock { $0 += entries.map(\.sequence) }
            }
            struct Refused: Error {}
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await store.write { transaction in
                                let alert = sampleAlert(id: "A\(index)")
                                try transaction.putAlert(alert)
                                try transaction.appendAlertLog(raisedEntry(for: alert))
                                if index % 4 == 0 { throw Refused() }
                            }
                        } catch is Refused {}
                    }
                }
                try await group.waitForAll()
            }
            let sequences = delivered.withLock { $0 }
            #expect(sequences == Array(1...30))
            let stored = try await store.read { try $0.alertLog(after: 0, limit: 1000) }
            #expect(stored.entries.map(\.sequence) == Array(1...30))
            #expect(Set(stored.entries.map(\.alertID)).count == 30)
        }
    }
}
