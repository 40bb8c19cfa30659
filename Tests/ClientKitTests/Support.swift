import ClientKit
import Foundation
import Synchronization
import Testing

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where the Python peers keep the interface standard compiled for Python: one
/// directory for the whole test run, so that restarted peers start fast.
let pythonMessagesDirectory: String = {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("clientkit-tests-py-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}()

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// A temporary directory removed when the value is dropped.
final class TemporaryDirectory: Sendable {
    let url: URL

    init(_ label: String = #function) throws {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("clientkit-\(safe.prefix(40))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A child process whose standard output is read line by line.
final class ChildProcess: Sendable {
    private struct Output {
        var lines: [String] = []
        var partial: [UInt8] = []
        var ended = false
        var waiters: [UInt64: (match: @Sendable (String) -> Bool,
                               continuation: CheckedContinuation<String?, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    let name: String
    private let process: Process
    private let stdin = Pipe()
    private let stdout = Pipe()
    private let output = Mutex(Output())

    /// Starts `executable` with `arguments`; its stderr goes to the test's.
    init(_ executable: String, _ arguments: [String], name: String) throws {
        self.name = name
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        // A thread of its own reads the output with blocking reads until the
        // end of the file. (No dispatch source: a pipe closed while a source
        // still watches it is a hazard when children come and go by the
        // dozen.) The thread holds the read end until the child has gone.
        let reader = stdout.fileHandleForReading
        let thread = Thread { [weak self] in
            while true {
                let data = reader.availableData
                self?.consume(Array(data))
                if data.isEmpty { return }
            }
        }
        thread.name = "\(name) output"
        thread.start()
    }

    /// Starts a Python script from Tests/Peers/clientkit with the project's .venv.
    static func python(_ script: String, _ arguments: [String]) throws -> ChildProcess {
        let python = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestFailure("\(python) is missing: run scripts/setup first")
        }
        let path = repositoryRoot.appendingPathComponent("Tests/Peers/clientkit/\(script)").path
        return try ChildProcess(python, [path] + arguments, name: script)
    }

    private func consume(_ data: [UInt8]) {
        var ready: [(CheckedContinuation<String?, Never>, String?)] = []
        output.withLock { state in
            if data.isEmpty {
                state.ended = true
                ready = state.waiters.values.map { ($0.continuation, nil) }
                state.waiters = [:]
                return
            }
            state.partial += data
            while let newline = state.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                state.partial.removeSubrange(...newline)
                state.lines.append(line)
                for (id, waiter) in state.waiters where waiter.match(line) {
                    ready.append((waiter.continuation, line))
                    state.waiters[id] = nil
                }
            }
        }
        for (continuation, line) in ready { continuation.resume(returning: line) }
    }

    /// Every line printed so far.
    var lines: [String] { output.withLock { $0.lines } }

    /// Waits for a line starting with `prefix`, printed before or after the
    /// call; fails after `timeout` or when the process ends without one.
    func line(startingWith prefix: String, timeout: Duration = .seconds(20)) async throws
        -> String
    {
        let id = output.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = output.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: nil)
        }
        defer { timer.cancel() }
        let found: String? = await withCheckedContinuation { continuation in
            let now: String?? = output.withLock { state in
                if let line = state.lines.first(where: { $0.hasPrefix(prefix) }) {
                    return .some(line)
                }
                if state.ended { return .some(nil) }
                state.waiters[id] = ({ $0.hasPrefix(prefix) }, continuation)
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
        guard let found else {
            throw TestFailure("\(name) printed no line starting with '\(prefix)' (lines: \(lines))")
        }
        return found
    }

    /// Every line printed so far, once no new one has come for `quiet`: the
    /// output is read apart from the calls the test makes, so a line printed
    /// before an answer may still be on its way.
    func settledLines(quiet: Duration = .milliseconds(300)) async -> [String] {
        var count = -1
        var lines = self.lines
        while lines.count != count {
            count = lines.count
            try? await Task.sleep(for: quiet)
            lines = self.lines
        }
        return lines
    }

    /// Writes a line to the process's stdin.
    func send(_ line: String) {
        stdin.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Sends SIGKILL and waits until the process is gone, so that its port and
    /// its files are free.
    func kill() async {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        await waitForExit()
    }

    /// Waits (polling) until the process has exited; returns its status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// The intake peer: a grpcio IntakeService that keeps what it acknowledges
/// in a SQLite file and can be killed and restarted on the same port.
final class IntakePeer: Sendable {
    let database: String
    let token: String?
    private let state: Mutex<(process: ChildProcess?, port: Int)>

    var port: Int { state.withLock { $0.port } }
    var process: ChildProcess? { state.withLock { $0.process } }

    private init(database: String, token: String?, port: Int) {
        self.database = database
        self.token = token
        state = Mutex((nil, port))
    }

    /// Starts a peer on an ephemeral port (or `port`).
    static func start(
        database: String, token: String? = "secret", port: Int = 0, options: [String] = []
    ) async throws -> IntakePeer {
        let peer = IntakePeer(database: database, token: token, port: port)
        try await peer.restart(options: options)
        return peer
    }

    /// Starts the peer again on its port, with its file.
    func restart(options: [String] = []) async throws {
        var arguments = ["--db", database, "--port", String(port), "--gen", pythonMessagesDirectory]
        if let token { arguments += ["--token", token] }
        let process = try ChildProcess.python("intake_peer.py", arguments + options)
        let ready = try await process.line(startingWith: "READY ")
        let port = Int(ready.dropFirst("READY ".count))!
        state.withLock { $0 = (process, port) }
    }

    /// SIGKILLs the peer.
    func kill() async {
        await process?.kill()
    }

    /// The peer's counters: received, acked, max_ahead, streams, committed.
    func stats() async throws -> [String: Int] {
        guard let process else { throw TestFailure("the intake peer is not running") }
        let before = process.lines.filter { $0.hasPrefix("STATS ") }.count
        process.send("stats")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let all = process.lines.filter { $0.hasPrefix("STATS ") }
            if all.count > before {
                let json = Data(all[before].dropFirst("STATS ".count).utf8)
                return try JSONSerialization.jsonObject(with: json) as? [String: Int] ?? [:]
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("the intake peer did not answer 'stats'")
    }

    /// What the peer's file holds: accepted events in the order they were
    /// first recorded, and how many times each answer was given.
    func contents() async throws -> PeerContents {
        let dump = try ChildProcess.python("intake_peer.py", ["--db", database, "--dump"])
        let line = try await dump.line(startingWith: "{")
        await dump.waitForExit()
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let rows = object?["accepted"] as? [[Any]] ?? []
        return PeerContents(
            accepted: rows.map {
                AcceptedRow(eventID: $0[0] as? String ?? "", revision: $0[1] as? Int ?? -1,
                            caseID: $0[2] as? String ?? "", kind: $0[3] as? String ?? "")
            },
            answers: object?["answers"] as? [String: Int] ?? [:])
    }
}

struct AcceptedRow: Equatable {
    var eventID: String
    var revision: Int
    var caseID: String
    var kind: String
}

struct PeerContents {
    var accepted: [AcceptedRow]
    var answers: [String: Int]

    var acceptedIDs: [String] { accepted.map(\.eventID) }
    var duplicates: Int { answers["ACK_STATUS_DUPLICATE"] ?? 0 }
    var rejected: Int { answers["ACK_STATUS_REJECTED"] ?? 0 }
}

/// A port nothing listens on (bound, read and released).
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw TestFailure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(20), _ what: String,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw TestFailure("timed out waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Reconnection waits short enough for tests.
let quickBackoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(300))

/// A reporter configuration for tests.
func reporterConfiguration(
    window: Int = 64, maximumEvents: Int = 100_000
) -> EventReporter.Configuration {
    var configuration = EventReporter.Configuration()
    configuration.backoff = quickBackoff
    configuration.window = window
    configuration.maximumSpooledEvents = maximumEvents
    return configuration
}

/// The n-th event of a test: a whole case's life cycle spread over cases,
/// with an id that sorts in report order.
func testEvent(_ n: Int, prefix: String = "ev", cases: Int = 10) -> CaseEvent {
    let caseNumber = n % cases
    var event = CaseEvent(
        eventID: "\(prefix)-\(String(format: "%06d", n))", departmentCode: "330101-LAND",
        caseID: "2026-\(String(format: "%04d", caseNumber))",
        occurredAt: Timestamp(seconds: 1_767_571_800 + Int64(n) * 60))
    switch (n / cases) % 4 {
    case 0:
        event.kind = .received(CaseReceived(
            itemCode: "330101-001", applicant: Applicant(type: .person, name: "张三"),
            channel: .counter, title: "建设用地规划许可证核发"))
    case 1:
        event.kind = .accepted(CaseAccepted(handler: "李四"))
    case 2:
        event.kind = .stepCompleted(StepCompleted(
            step: .undertake, handler: "李四", opinion: "符合条件", outcome: .pass))
    default:
        event.kind = .concluded(CaseConcluded(
            result: .approved, certificateName: "许可证", certificateNumber: "No.\(n)"))
    }
    return event
}

/// Where the package's executables are: beside the test bundle.
func productPath(_ name: String) throws -> String {
    var candidates: [URL] = []
    if let executable = Bundle.main.executableURL {
        candidates.append(executable.deletingLastPathComponent())
    }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
    for directory in candidates {
        let path = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw TestFailure("no \(name) beside the tests (looked in \(candidates.map(\.path)));"
        + " build it with swift build --build-tests")
}
