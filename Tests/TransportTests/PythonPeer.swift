import Foundation
import Synchronization

/// The repository's root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python process from `Tests/Peers`, run with the project's `.venv`; its stdout is
/// read line by line.
final class PythonPeer: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `lines` is behind a Mutex; the process and the
    // pipes are only touched through their own thread-safe methods.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lines = Mutex<(ready: [String], waiters: [CheckedContinuation<String?, Never>],
        ended: Bool, partial: Data)>(([], [], false, Data()))

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
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.received(handle.availableData)
        }
        try process.run()
    }

    private func received(_ data: Data) {
        let resumed: [(CheckedContinuation<String?, Never>, String?)] = lines.withLock { state in
            if data.isEmpty {
                state.ended = true
            } else {
                state.partial.append(data)
                while let newline = state.partial.firstIndex(of: 0x0A) {
                    let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                    state.partial.removeSubrange(...newline)
                    state.ready.append(line)
                }
            }
            var resumed: [(CheckedContinuation<String?, Never>, String?)] = []
            while !state.waiters.isEmpty && !state.ready.isEmpty {
                resumed.append((state.waiters.removeFirst(), state.ready.removeFirst()))
            }
            if state.ended {
                for waiter in state.waiters { resumed.append((waiter, nil)) }
                state.waiters = []
            }
            return resumed
        }
        if data.isEmpty { output.fileHandleForReading.readabilityHandler = nil }
        for (waiter, line) in resumed { waiter.resume(returning: line) }
    }

    /// The next line of output; nil once the process closed its output.
    func nextLine() async -> String? {
        await withCheckedContinuation { continuation in
            let now: String?? = lines.withLock { state in
                if !state.ready.isEmpty { return .some(state.ready.removeFirst()) }
                if state.ended { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Skips lines until one starts with `prefix`; returns it.
    func waitForLine(startingWith prefix: String) async throws -> String {
        while let line = await nextLine() {
            if line.hasPrefix(prefix) { return line }
        }
        throw PeerError("peer ended before printing '\(prefix)'")
    }

    /// Every remaining line, until the process closes its output.
    func remainingLines() async -> [String] {
        var all: [String] = []
        while let line = await nextLine() { all.append(line) }
        return all
    }

    /// Writes a line to the peer's stdin.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Ends the process.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
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
