import Foundation
import Testing

@testable import Store

@Suite("Schema migrations")
struct MigrationTests {
    /// The tables each step adds; a step that forgets one fails here.
    static let tablesAdded: [Int: Set<String>] = [
        1: ["store_meta", "event", "case_record", "alert", "alert_log", "monthly_counter"],
        2: [
            "catalogue_version", "calendar", "scoring_scheme", "complaint", "evaluation",
            "access_token", "audit_record",
        ],
        3: ["outbound_record", "inbound_position"],
        4: [],
        5: [],
        6: [],
        7: ["case_event_list"],
    ]

    func tables(_ connection: Connection) throws -> Set<String> {
        Set(
            try connection.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ) { $0.text(0) })
    }

    @Test("steps are numbered 1, 2, 3... and the test knows every one")
    func stepsAreNumberedInOrder() {
        for (index, step) in Schema.migrations.enumerated() {
            #expect(step.version == index + 1)
        }
        #expect(Set(Self.tablesAdded.keys) == Set(1...Schema.latestVersion))
    }

    @Test("an empty file goes through every version, keeping the rows of earlier ones")
    func everyStepFromAnEmptyFile() throws {
        let directory = TemporaryDirectory()
        let connection = try Connection(
            path: directory.child("steps.sqlite").path, create: true)
        #expect(try Schema.version(of: connection) == 0)

        var expected: Set<String> = []
        for step in Schema.migrations {
            try Schema.migrate(connection, to: step.version)
            #expect(try Schema.version(of: connection) == step.version)
            expected.formUnion(Self.tablesAdded[step.version] ?? [])
            #expect(try tables(connection) == expected, "after step \(step.version)")

            if step.version == 1 {
                // A row written at version 1 must survive every later step.
                try connection.run(
                    """
                    INSERT INTO event (department, case_id, event_id, revision, kind,
                        occurred_at, reported_at, origin_region, payload)
                    VALUES ('D', 'C', 'E', 0, 1, 10, 20, '330101', x'01')
                    """)
            }
            #expect(try connection.scalar("SELECT count(*) FROM event") == 1)
            #expect(try Store.check(connection, pragma: "integrity_check").isEmpty)
        }
    }

    @Test("step 7 lists each case's events on its row, or apart when the case has no row")
    func eventListsAreBuiltFromTheIndex() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let connection = try Connection(
            path: data.appendingPathComponent(Store.fileName).path, create: true)
        try Schema.migrate(connection, to: 6)
        // Case A has a row and three events (one a correction), case B two
        // events and no row; case C has a row and no event.
        for (caseID, eventID, revision) in [
            ("A", "E1", 0), ("B", "E2", 0), ("A", "E3", 0), ("A", "E1", 1), ("B", "E4", 0),
        ] {
            try connection.run(
                """
                INSERT INTO event (department, case_id, event_id, revision, kind,
                    occurred_at, reported_at, origin_region, payload)
                VALUES ('D', ?, ?, ?, 1, 10, 20, '330101', x'01')
                """, [caseID, eventID, Int64(revision)])
        }
        for caseID in ["A", "C"] {
            try connection.run(
                """
                INSERT INTO case_record (department, case_id, item_code, state, is_open,
                    received_at, result, alert_level, catalogue_version, updated_at, derived)
                VALUES ('D', ?, 'I', 1, 1, 10, 0, 0, 1, 10, x'')
                """, [caseID])
        }
        try Schema.migrate(connection)
        let indexes = try connection.query(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
        ) { $0.text(0) }
        #expect(!indexes.contains("event_by_case"))
        #expect(
            try connection.scalar("SELECT count(*) FROM case_event_list WHERE case_id = 'B'")
                == 1)
        connection.close()

        try await withStore(at: data) { store in
            let (a, b, c) = try await store.read { transaction in
                (
                    try transaction.events(department: "D", caseID: "A"),
                    try transaction.events(department: "D", caseID: "B"),
                    try transaction.events(department: "D", caseID: "C")
                )
            }
            #expect(a.map(\.sequence) == [1, 3, 4])
            #expect(a.map(\.isCurrent) == [false, true, true])
            #expect(b.map(\.event.eventID) == ["E2", "E4"])
            #expect(c.isEmpty)
        }
    }

    @Test("a new store is created at the latest version and reopening changes nothing")
    func createAndReopen() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let first = try await withStore(at: data) { try await $0.health() }
        #expect(first.schemaVersion == Schema.latestVersion)
        let file = data.appendingPathComponent("monitor.sqlite").path
        #expect(FileManager.default.fileExists(atPath: file))
        let second = try await withStore(at: data) { try await $0.health() }
        #expect(second.schemaVersion == Schema.latestVersion)
    }

    @Test("a file written by a newer build is refused, naming both versions")
    func newerFileIsRefused() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        _ = try await withStore(at: data) { try await $0.health() }
        let newer = Schema.latestVersion + 1
        let connection = try Connection(path: data.appendingPathComponent("monitor.sqlite").path)
        try connection.execute("PRAGMA user_version = \(newer)")
        connection.close()

        do {
            _ = try Store(directory: data, configuration: testConfiguration())
            Issue.record("a newer file was opened")
        } catch let error as StoreError {
            guard case .schemaTooNew(let file, let supported, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(file == newer)
            #expect(supported == Schema.latestVersion)
            #expect(error.description.contains("schema version \(newer)"))
            #expect(error.description.contains("up to \(Schema.latestVersion)"))
        }
    }

    @Test("a damaged file is refused at open by the quick check")
    func damagedFileIsRefused() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        _ = try await withStore(at: data) { store in
            try await store.write { transaction in
                for index in 0..<2000 {
                    _ = try transaction.insertEvent(sampleEvent(eventID: "E\(index)"))
                }
            }
        }
        // Overwrite the middle of the file with garbage.
        let path = data.appendingPathComponent("monitor.sqlite").path
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        handle.write(Data(repeating: 0xA5, count: 8192))
        try handle.close()

        #expect(throws: StoreError.self) {
            _ = try Store(directory: data, configuration: testConfiguration())
        }
    }
}
