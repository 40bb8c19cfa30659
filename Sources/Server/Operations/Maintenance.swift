import Foundation
import Store

/// The operator's maintenance commands: online backup, restore and an
/// integrity check of a data directory, run as `monitord backup|restore|
/// check` beside (or instead of) the running server.
public enum Maintenance {
    /// Copies the store in `dataDirectory` to `destination` with SQLite's
    /// online backup; a server may keep writing meanwhile.
    public static func backup(dataDirectory: String, to destination: String) async throws {
        let store = try openForReading(dataDirectory)
        defer { Task { await store.close() } }
        try await store.backup(to: URL(fileURLWithPath: destination))
    }

    /// Restores a backup into an empty data directory.
    public static func restore(from backup: String, into dataDirectory: String) throws {
        try Store.restore(
            from: URL(fileURLWithPath: backup), into: URL(fileURLWithPath: dataDirectory))
    }

    /// Runs SQLite's full integrity check; returns what it found wrong
    /// (nothing when the file is sound).
    public static func check(dataDirectory: String) async throws -> [String] {
        let store = try openForReading(dataDirectory)
        let report = try await store.integrityCheck()
        await store.close()
        return report.problems
    }

    private static func openForReading(_ dataDirectory: String) throws -> Store {
        var configuration = Store.Configuration()
        configuration.readOnly = true
        configuration.checkOnOpen = false
        configuration.readConnections = 1
        return try Store(
            directory: URL(fileURLWithPath: dataDirectory), configuration: configuration)
    }

    /// The text `monitord backup --help` and friends print.
    public static let help = """
        monitord maintenance commands, for the data directory of a server:

          monitord backup --data-dir DIR --to FILE
              Copies the store to FILE with SQLite's online backup. The server may
              keep running; the copy is the store as of one instant.
          monitord restore --from FILE --data-dir DIR
              Restores a backup into DIR, which must not hold a store yet.
          monitord check --data-dir DIR
              Runs SQLite's integrity check; exits 0 when the store is sound, 1 when
              it is not, printing what is wrong.

        """
}
