import Foundation
import Synchronization

/// The repository's root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python process from `Tests/Peers`, run with the project's `.venv`; its stdout is
/// read line by line.
final class PythonPeer: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `output` state is behind a Mutex; the process
    // and the pipes are only touched through their own thread-safe methods.
    private struct Output {
        var lines: [String] = []
        var ended = false
        var partial = Data()
        var waiters:
            [(matches: (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] = []
    }

    private let process = Process()
    private let input = Pipe()
    private let pipe = Pipe()
    private let output = Mutex(Output())

    /// Starts `script` with `arguments`.
    init(_ script: String, _ arguments: [String] = []) throws {
        let python = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PeerError("no \(python): run scripts/setup first")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments =
            [repositoryRoot.appendingPathComponent("Tests/Peers/\(script)").path] + arguments
        process.standardInput = input
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        // A plain thread blocked in read(2) rather than Foundation's
        // readabilityHandler, whose dispatch source has crashed the test
        // process when its descriptor was closed while armed.
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [weak self] in
            while true {
                let data = handle.availableData
                self?.received(data)
                if data.isEmpty { return }
            }
        }
    }

    private func received(_ data: Data) {
        let resumed = output.withLock { state in
            var resumed: [(CheckedContinuation<String?, Never>, String?)] = []
            if data.isEmpty {
                state.ended = true
                resumed = state.waiters.map { ($0.continuation, nil) }
                state.waiters = []
                return resumed
            }
            state.partial.append(data)
            while let newline = state.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                state.partial.removeSubrange(...newline)
                state.lines.append(line)
                state.waiters.removeAll { waiter in
                    guard waiter.matches(line) else { return false }
                    resumed.append((waiter.continuation, line))
                    return true
                }
            }
            return resumed
        }
        for (waiter, line) in resumed { waiter.resume(returning: line) }
    }

    /// Waits for a line (printed before or after this call) that starts with `prefix`;
    /// throws when the peer ends or `timeout` passes first.
    func waitForLine(
        startingWith prefix: String, timeout: Duration = .seconds(30)
    ) async throws -> String {
        let token = UInt64.random(in: 0...UInt64.max)
        let line: String? = await withCheckedContinuation { continuation in
            let now: String?? = output.withLock { state in
                if let line = state.lines.first(where: { $0.hasPrefix(prefix) }) {
                    return .some(line)
                }
                if state.ended { return .some(nil) }
                state.waiters.append((
                    { $0.hasPrefix(prefix) || $0 == "TIMEOUT \(token)" }, continuation))
                return .none
            }
            if let now { continuation.resume(returning: now) }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.received(Data("TIMEOUT \(token)\n".utf8))
            }
        }
        guard let line, line != "TIMEOUT \(token)" else {
            throw PeerError("peer did not print '\(prefix)' within \(timeout)")
        }
        return line
    }

    /// Every line, once the process closed its output.
    func remainingLines() async -> [String] {
        _ = await withCheckedContinuation { continuation in
            let ended = output.withLock { state in
                if state.ended { return true }
                state.waiters.append(({ _ in false }, continuation))
                return false
            }
            if ended { continuation.resume(returning: nil) }
        }
        return output.withLock { $0.lines }
    }

    /// Writes a line to the peer's stdin.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Ends the process (SIGKILL: nothing of the peer's state matters after a test).
    /// Foundation reaps it; `waitUntilExit` is avoided because it spins a run loop
    /// that an async test's thread does not have.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        stop()
    }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A grpcio server on an ephemeral 127.0.0.1 port.
final class PythonServer: Sendable {
    let peer: PythonPeer
    let port: Int

    init() async throws {
        peer = try PythonPeer("grpc_server.py")
        let ready = try await peer.waitForLine(startingWith: "READY ")
        port = Int(ready.dropFirst("READY ".count))!
    }

    func stop() { peer.stop() }
}

/// Runs a grpcio client scenario against `port`; returns its JSON lines, decoded.
func runPythonClient(
    port: Int, scenario: String, whenStarted: ((PythonPeer) async throws -> Void)? = nil
) async throws -> [[String: Any]] {
    let peer = try PythonPeer("grpc_client.py", [String(port), scenario])
    defer { peer.stop() }
    if let whenStarted { try await whenStarted(peer) }
    let lines = await peer.remainingLines()
    return try lines.map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            as? [String: Any]
        else { throw PeerError("not a JSON object: \(line)") }
        return object
    }
}
