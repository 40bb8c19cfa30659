import Foundation
import Testing

@testable import Store

#if canImport(Glibc)
    import Glibc
#endif

/// A small deterministic generator (SplitMix64), so a failing run can be
/// replayed with the same kill moments.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// The probe executable, built beside the test bundle by `swift build
/// --build-tests`.
func probeExecutable() throws -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [beside.appendingPathComponent("StoreProbe")]
    if let bundle = Bundle.main.executableURL?.deletingLastPathComponent() {
        candidates.append(bundle.appendingPathComponent("StoreProbe"))
    }
    let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/debug/StoreProbe"))
    guard let found = candidates.first(where: {
        FileManager.default.isExecutableFile(atPath: $0.path)
    }) else {
        throw StoreError.notFound(
            what: "the StoreProbe executable (looked in \(candidates.map(\.path))); "
                + "build it with `swift build --build-tests`")
    }
    return found
}

/// A running probe whose standard output is collected until it dies.
///
/// Spawned with posix_spawn and reaped with waitpid, so the test alone
/// decides when the child is waited for, whether it was killed or died.
final class ProbeProcess: Sendable {
    let pid: pid_t
    private let reader: Task<Data, Never>

    init(executable: URL, arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw StoreError.ioFailure(detail: "pipe: errno \(errno)")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, executable.path, &actions, nil, argv, environ)
        close(writeEnd)
        guard code == 0 else {
            close(readEnd)
            throw StoreError.ioFailure(detail: "posix_spawn \(executable.path): \(code)")
        }
        pid = child
        reader = Task.detached {
            var collected = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes {
                    read(readEnd, $0.baseAddress, $0.count)
                }
                if count > 0 {
                    collected.append(contentsOf: buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(readEnd)
            return collected
        }
    }

    /// Sends SIGKILL, reaps the child, and returns everything it printed and
    /// whether it was the kill that ended it.
    func kill() async -> (output: Data, killed: Bool) {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFSIGNALED and WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        let killed = signal == SIGKILL
        return (await reader.value, killed)
    }
}

/// What a killed probe said it had written durably.
struct Acknowledged {
    var events: [String] = []
    var logEntries: [(sequence: UInt64, alertID: String)] = []

    /// Parses complete lines; a line cut by the kill is ignored, since the
    /// probe had not finished saying it.
    init(output: Data) {
        let text = String(decoding: output, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !text.hasSuffix("\n") { lines.removeLast() }
        for line in lines {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "E" {
                events.append(String(fields[1]))
            } else if fields.count == 3, fields[0] == "L", let sequence = UInt64(fields[1]) {
                logEntries.append((sequence, String(fields[2])))
            }
        }
    }
}

@Suite("Crash safety")
struct CrashTests {
    @Test("SIGKILL at random moments loses no acknowledged write and leaves no gap")
    func killedWhileWriting() async throws {
        let probe = try probeExecutable()
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        var random = SeededGenerator(seed: 20_260_302)
        var everAcknowledged: Set<String> = []
        var killsWithWritesInFlight = 0

        for run in 0..<24 {
            let probeRun = try ProbeProcess(
                executable: probe, arguments: [data.path, "r\(run)", "16"])
            let delay = UInt64.random(in: 30...700, using: &random)
            try await Task.sleep(for: .milliseconds(delay))
            let (output, killed) = await probeRun.kill()
            #expect(killed, "run \(run): the probe ended by itself before the kill")
            let acknowledged = Acknowledged(output: output)
            if !acknowledged.events.isEmpty { killsWithWritesInFlight += 1 }
            everAcknowledged.formUnion(acknowledged.events)

            try await withStore(at: data) { store in
                try await store.read { transaction in
                    try check(transaction, acknowledged: acknowledged, ever: everAcknowledged,
                        run: run)
                }
                let report = try await store.integrityCheck()
                #expect(report.isHealthy, "run \(run): \(report.problems)")
            }
        }
        // Most kills must hit a probe that was writing (a busy machine may delay
        // a few probes past their kill moment before their first write).
        #expect(killsWithWritesInFlight >= 12)
    }

    /// Checks the reopened store against what the probe acknowledged.
    func check(
        _ transaction: ReadTransaction, acknowledged: Acknowledged, ever: Set<String>, run: Int
    ) throws {
        let connection = transaction.connection
        var counts: [String: Int64] = [:]
        for (id, count) in try connection.query(
            "SELECT event_id, count(*) FROM event GROUP BY event_id",
            row: { ($0.text(0), $0.int64(1)) })
        {
            counts[id] = count
        }
        let missing = ever.filter { counts[$0] == nil }
        #expect(missing.isEmpty, "run \(run): acknowledged events lost: \(missing.prefix(5))")
        #expect(counts.values.allSatisfy { $0 == 1 }, "run \(run): an event stored twice")

        // The log is one unbroken run 1...n, whatever was acknowledged.
        let (entries, lowest, highest) = try connection.queryOne(
            "SELECT count(*), coalesce(min(sequence), 0), coalesce(max(sequence), 0) FROM alert_log"
        ) { ($0.int64(0), $0.int64(1), $0.int64(2)) } ?? (0, 0, 0)
        #expect(entries == highest && (entries == 0 || lowest == 1), "run \(run): log has a gap")

        for (sequence, alertID) in acknowledged.logEntries {
            let stored = try connection.queryOne(
                "SELECT alert_id FROM alert_log WHERE sequence = ?", [sequence]
            ) { $0.text(0) }
            #expect(stored == alertID, "run \(run): log entry \(sequence) lost or changed")
        }

        // Nothing half-written: every logged alert has its causing event,
        // every event its case row.
        let orphanAlerts = try connection.scalar(
            """
            SELECT count(*) FROM alert_log l
            WHERE NOT EXISTS (SELECT 1 FROM event e
                WHERE e.department = l.department AND e.event_id = substr(l.alert_id, 3))
            """)
        #expect(orphanAlerts == 0, "run \(run): alerts without their event")
        let orphanEvents = try connection.scalar(
            """
            SELECT count(*) FROM event e
            WHERE NOT EXISTS (SELECT 1 FROM case_record c
                WHERE c.department = e.department AND c.case_id = e.case_id)
            """)
        #expect(orphanEvents == 0, "run \(run): events without their case")
        let counted = try connection.scalar(
            "SELECT coalesce(sum(value), 0) FROM monthly_counter WHERE name = 'events_reported'")
        #expect(counted == Int64(counts.count), "run \(run): counters disagree with events")
    }
}
