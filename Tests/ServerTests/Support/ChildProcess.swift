import Foundation
import Synchronization

/// A child process whose standard output and error are read line by line
/// as they come, and whose exit is awaited without blocking a thread.
final class ChildProcess: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `process` is configured before
    // `run()` and afterwards used only through its thread-safe accessors;
    // everything the readers and the termination handler change is behind
    // `state`.
    private struct State {
        var stdout: [String] = []
        var stderr: [String] = []
        var partial: [Data] = [Data(), Data()]
        var exitStatus: Int32?
        var exitReason: Process.TerminationReason?
        var outputsClosed = 0
    }

    private let process = Process()
    private let outPipe = Pipe()
    private let errPipe = Pipe()
    private let inPipe = Pipe()
    private let state = Mutex(State())
    /// The command line, for failure messages.
    let commandLine: String

    /// Starts `executable` with `arguments`.
    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws
    {
        commandLine = ([executable.path] + arguments).joined(separator: " ")
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.received(handle.availableData, stream: 0)
        }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.received(handle.availableData, stream: 1)
        }
        process.terminationHandler = { [weak self] process in
            self?.state.withLock {
                $0.exitStatus = process.terminationStatus
                $0.exitReason = process.terminationReason
            }
        }
        try process.run()
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    private func received(_ data: Data, stream: Int) {
        state.withLock { state in
            if data.isEmpty {
                state.outputsClosed += 1
                if !state.partial[stream].isEmpty {
                    let rest = String(decoding: state.partial[stream], as: UTF8.self)
                    if stream == 0 { state.stdout.append(rest) } else { state.stderr.append(rest) }
                    state.partial[stream] = Data()
                }
                return
            }
            state.partial[stream].append(data)
            while let newline = state.partial[stream].firstIndex(of: 0x0A) {
                let bytes = state.partial[stream][state.partial[stream].startIndex..<newline]
                let line = String(decoding: bytes, as: UTF8.self)
                state.partial[stream] = Data(state.partial[stream][(newline + 1)...])
                if stream == 0 { state.stdout.append(line) } else { state.stderr.append(line) }
            }
        }
        if data.isEmpty {
            let pipe = stream == 0 ? outPipe : errPipe
            pipe.fileHandleForReading.readabilityHandler = nil
        }
    }

    /// The lines printed on standard output so far.
    var stdoutLines: [String] { state.withLock { $0.stdout } }
    /// The lines printed on standard error so far.
    var stderrLines: [String] { state.withLock { $0.stderr } }
    /// The exit status once the process ended (the signal number when a
    /// signal ended it).
    var exitStatus: Int32? { state.withLock { $0.exitStatus } }
    /// Whether a signal ended the process.
    var endedBySignal: Bool { state.withLock { $0.exitReason == .uncaughtSignal } }
    var isRunning: Bool { exitStatus == nil }

    /// Waits for a standard output line starting with `prefix`.
    func waitForStdout(
        startingWith prefix: String, timeout: Duration = .seconds(60)
    ) async throws -> String {
        var found: String?
        _ = await eventually(timeout: timeout) { [self] in
            found = stdoutLines.first { $0.hasPrefix(prefix) }
            return found != nil || !isRunning
        }
        if found == nil { found = stdoutLines.first { $0.hasPrefix(prefix) } }
        guard let found else {
            throw HarnessError(
                "\(commandLine) printed no line starting with \"\(prefix)\"; "
                    + "exit \(exitStatus.map(String.init) ?? "none"); stderr: "
                    + stderrLines.suffix(20).joined(separator: "\n"))
        }
        return found
    }

    /// Waits for a standard error line containing all of `parts`, at or
    /// after line `from`.
    func waitForStderr(
        containing parts: [String], from: Int = 0, timeout: Duration = .seconds(30)
    ) async throws -> String {
        func match() -> String? {
            stderrLines.dropFirst(from).first { line in parts.allSatisfy { line.contains($0) } }
        }
        _ = await eventually(timeout: timeout) { match() != nil }
        guard let line = match() else {
            throw HarnessError(
                "no log line with \(parts) in \(timeout); the last lines: "
                    + stderrLines.suffix(10).joined(separator: "\n"))
        }
        return line
    }

    /// Waits for the process to end; returns its status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        _ = await eventually(timeout: timeout) { [self] in !isRunning }
        guard let status = exitStatus else {
            throw HarnessError("\(commandLine) still runs after \(timeout)")
        }
        // Let the readers take what the process wrote last.
        _ = await eventually(timeout: .seconds(2)) { [self] in
            state.withLock { $0.outputsClosed == 2 }
        }
        return status
    }

    /// Sends `signal` to the process, if it still runs.
    func signal(_ number: Int32) {
        if isRunning { kill(process.processIdentifier, number) }
    }

    /// Ends the process at once (every test path calls this).
    func killNow() {
        signal(SIGKILL)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The built `monitord`, run as a process on an ephemeral port with its
/// data in `dataDirectory`.
final class Monitord: Sendable {
    let process: ChildProcess
    let port: Int
    let dataDirectory: URL

    /// Where `swift build --build-tests` leaves the executable.
    static var executable: URL {
        get throws {
            let url = packageRoot.appendingPathComponent(".build/debug/monitord")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw HarnessError(
                    "\(url.path) does not exist: build first (swift build --build-tests, "
                        + "as scripts/test does)")
            }
            return url
        }
    }

    /// Starts `monitord` on `dataDirectory` and waits until it listens.
    init(dataDirectory: URL, extra: [String] = []) async throws {
        self.dataDirectory = dataDirectory
        let arguments = [
            "--listen", "127.0.0.1:0", "--data-dir", dataDirectory.path,
            "--metrics-listen", "off", "--region", "330899", "--event-loops", "1",
        ]
        // Later flags win, so a test can override any of the defaults above.
        process = try ChildProcess(try Self.executable, arguments + extra)
        let line = try await process.waitForStdout(startingWith: "monitord listening on ")
        guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...])
        else { throw HarnessError("cannot read the port from \"\(line)\"") }
        self.port = port
    }

    /// The first administrator's secret, written at the first start.
    var adminSecret: String {
        get throws {
            try String(
                contentsOf: dataDirectory.appendingPathComponent("admin.token"), encoding: .utf8
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// A fresh temporary directory, removed by `body`'s caller's cleanup.
func temporaryDirectory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("servertests-\(name)-\(UUID().uuidString)")
}
