import Foundation

@testable import Store

/// A fresh directory under the system's temporary directory, removed when
/// the test's scope ends.
final class TemporaryDirectory {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("store-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A data directory inside this one.
    func child(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }
}

/// Store settings for tests: no retention, small queue, quick check on.
func testConfiguration() -> Store.Configuration {
    var configuration = Store.Configuration()
    configuration.queueCapacity = 256
    configuration.cacheKiB = 2048
    return configuration
}

/// 2026-03-02 09:00 China Standard Time, in milliseconds since the epoch.
let march2 = Int64(1_772_413_200_000)

/// A sample event of a department's case.
func sampleEvent(
    department: String = "330101-LAND", caseID: String = "2026-0001",
    eventID: String, revision: Int = 0, kind: Int = 1, occurredAt: Int64 = march2,
    payload: [UInt8] = [1, 2, 3]
) -> EventRecord {
    EventRecord(
        department: department, caseID: caseID, eventID: eventID, revision: revision,
        kind: kind, occurredAt: occurredAt, reportedAt: occurredAt + 1_000,
        originRegion: "330101", payload: payload)
}

/// A sample open case received at `receivedAt`.
func sampleCase(
    department: String = "330101-LAND", caseID: String, itemCode: String = "LAND-001",
    state: Int = 1, isOpen: Bool = true, receivedAt: Int64 = march2
) -> CaseRecord {
    CaseRecord(
        department: department, caseID: caseID, itemCode: itemCode, state: state,
        isOpen: isOpen, receivedAt: receivedAt, catalogueVersion: 1, updatedAt: receivedAt,
        derived: Array("state of \(caseID)".utf8))
}

/// A sample alert on a case.
func sampleAlert(
    id: String, department: String = "330101-LAND", caseID: String = "2026-0001",
    level: Int = 2, rule: Int = 1, status: Int = 1, raisedAt: Int64 = march2
) -> AlertRecord {
    AlertRecord(
        alertID: id, rule: rule, level: level, status: status, department: department,
        caseID: caseID, subject: "case", dueAt: raisedAt, raisedAt: raisedAt,
        description: "promised deadline passed", region: "330101")
}

/// The log entry recording that `alert` was raised.
func raisedEntry(for alert: AlertRecord, at: Int64? = nil) -> AlertLogEntry {
    AlertLogEntry(
        alertID: alert.alertID, kind: 1, at: at ?? alert.raisedAt, actor: "engine",
        department: alert.department, caseID: alert.caseID, rule: alert.rule,
        level: alert.level, status: alert.status)
}

/// Opens a store, runs `body`, and closes the store whatever happens.
func withStore<T>(
    at directory: URL, configuration: Store.Configuration = testConfiguration(),
    _ body: (Store) async throws -> T
) async throws -> T {
    let store = try Store(directory: directory, configuration: configuration)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}
