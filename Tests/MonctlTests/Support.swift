import Foundation
import Messages
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The package's root, found from this file's place in it.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fixture file of this test target.
func fixture(_ name: String) -> String {
    packageRoot.appendingPathComponent("Tests/MonctlTests/Fixtures/\(name)").path
}

/// A built executable of the package, as `swift build --build-tests` leaves
/// it in `.build/debug`.
func builtExecutable(_ name: String) throws -> String {
    let path = packageRoot.appendingPathComponent(".build/debug/\(name)").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw SetupError("\(path) is not built; run `swift build --build-tests` first")
    }
    return path
}

/// Why a test could not set up what it needs.
struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("monctl-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What one run of a command printed and how it exited.
struct RunResult: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    /// For test failures: everything the command said.
    var description: String {
        "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs a built executable to its end, at most `timeout` seconds, with an
/// environment of its own: HOME in a temporary directory (so no user
/// configuration leaks in) and no MONCTL_ variables unless given.
func run(
    _ executable: String, _ arguments: [String], environment extra: [String: String] = [:],
    input: String? = nil, timeout: Double = 60
) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    environment["HOME"] = FileManager.default.temporaryDirectory.path + "/monctl-tests-home"
    for (key, value) in extra { environment[key] = value }
    process.environment = environment

    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()

    // Read both pipes while the process runs, so that neither fills up.
    let group = DispatchGroup()
    let outBox = DataBox()
    let errBox = DataBox()
    for (pipe, box) in [(stdout, outBox), (stderr, errBox)] {
        group.enter()
        DispatchQueue.global().async {
            box.data = pipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
    }
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    process.waitUntilExit()
    killer.cancel()
    group.wait()
    return RunResult(
        status: process.terminationStatus,
        stdout: String(decoding: outBox.data, as: UTF8.self),
        stderr: String(decoding: errBox.data, as: UTF8.self))
}

/// Holds what a reader thread read until the group is waited for.
final class DataBox: @unchecked Sendable {
    // Invariant: written by one reader thread before it leaves the group,
    // read only after the group is waited for.
    var data = Data()
}

/// Runs the built monctl.
func monctl(
    _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
    timeout: Double = 60
) throws -> RunResult {
    try run(
        try builtExecutable("monctl"), arguments, environment: environment, input: input,
        timeout: timeout)
}

/// A monitord process on 127.0.0.1 with a port of its own and a temporary
/// data directory, stopped and removed by ``stop()``.
final class Monitord {
    private(set) var process: Process
    let directory: URL
    /// `127.0.0.1:PORT`.
    let address: String
    /// The first administrator's token file, written by the server.
    let adminTokenFile: String

    init() throws {
        directory = try temporaryDirectory()
        (process, address) = try Self.launch(directory: directory, listen: "127.0.0.1:0")
        adminTokenFile = directory.appendingPathComponent("admin.token").path
    }

    /// Starts monitord and waits for the line it prints once it listens,
    /// which names the port actually bound.
    private static func launch(directory: URL, listen: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try builtExecutable("monitord"))
        process.arguments = [
            "--listen", listen, "--data-dir", directory.path, "--metrics-listen", "off",
            "--log-level", "warning", "--shutdown-grace", "1",
        ]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()

        var text = ""
        let handle = stdout.fileHandleForReading
        while !text.contains("\n") && process.isRunning {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first,
            line.hasPrefix("monitord listening on ")
        else {
            process.terminate()
            throw SetupError("monitord did not start: \(quoted(text))")
        }
        return (process, String(line.dropFirst("monitord listening on ".count)))
    }

    /// Stops the server and starts it again on the same port and data.
    func restart() throws {
        process.terminate()
        process.waitUntilExit()
        // The port was just released; another process could take it, but
        // only in the moment between these lines.
        var attempts = 0
        while true {
            do {
                (process, _) = try Self.launch(directory: directory, listen: address)
                return
            } catch {
                attempts += 1
                if attempts >= 20 { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Environment naming this server and its administrator token.
    var adminEnvironment: [String: String] {
        ["MONCTL_SERVER": address, "MONCTL_TOKEN_FILE": adminTokenFile]
    }

    /// Stops the server and removes its data.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Creates a token with monctl and writes its secret to a file beside
    /// the data; returns the file's path.
    func token(role: String, name: String, department: String? = nil) throws -> String {
        var arguments = ["tokens", "create", "--name", name, "--role", role, "--secret-only"]
        if let department { arguments += ["--department", department] }
        let result = try monctl(arguments, environment: adminEnvironment)
        guard result.status == 0 else { throw SetupError("token creation failed: \(result)") }
        let path = directory.appendingPathComponent("\(name).token").path
        try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Imports the test catalogue.
    func importCatalogue(_ file: String = fixture("catalogue.json")) throws {
        let result = try monctl(["catalogue", "import", file], environment: adminEnvironment)
        guard result.status == 0 else { throw SetupError("catalogue import failed: \(result)") }
    }
}

private func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\n", with: "\\n") + "\""
}

/// A port nothing listens on: bound once, then released.
func closedPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw SetupError("socket: errno \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, length)
        }
    }
    guard bound == 0 else { throw SetupError("bind: errno \(errno)") }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(socket, $0, &length)
        }
    }
    guard named == 0 else { throw SetupError("getsockname: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Parses a command's standard output as one message's proto3 JSON.
func parse<M: ProtoMessage>(_ type: M.Type, _ result: RunResult) throws -> M {
    do {
        return try M(jsonString: result.stdout)
    } catch {
        Issue.record("stdout is not a \(M.protoMessageName): \(error)\n\(result)")
        throw error
    }
}

/// A command running in the background whose output is collected as it
/// comes, for commands that run until stopped (`alerts watch`).
final class BackgroundCommand: @unchecked Sendable {
    // Invariant: `stdoutText` and `stderrText` are touched only under `lock`.
    let process = Process()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var all = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        for (key, value) in environment { all[key] = value }
        process.environment = all
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Plain blocking reads on threads of their own: no dispatch source
        // watches these descriptors, so closing them races with nothing.
        read(stdout.fileHandleForReading) { text in self.stdoutText += text }
        read(stderr.fileHandleForReading) { text in self.stderrText += text }
    }

    private func read(_ handle: FileHandle, into append: @escaping @Sendable (String) -> Void) {
        let thread = Thread { [lock] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                let text = String(decoding: chunk, as: UTF8.self)
                lock.withLock { append(text) }
            }
        }
        thread.start()
    }

    var stdout: String { lock.withLock { stdoutText } }
    var stderr: String { lock.withLock { stderrText } }

    /// Waits until standard error contains `text`, at most `timeout` seconds.
    func waitForStderr(_ text: String, timeout: Double = 30) -> Bool {
        waitFor(timeout: timeout) { self.stderr.contains(text) }
    }

    /// Waits until the process ends, at most `timeout` seconds; kills it
    /// after that. Returns its exit status.
    func waitForExit(timeout: Double = 30) -> Int32 {
        if !waitFor(timeout: timeout, { !self.process.isRunning }) {
            process.terminate()
        }
        process.waitUntilExit()
        // Let the last output reach the handlers.
        Thread.sleep(forTimeInterval: 0.1)
        return process.terminationStatus
    }

    private func waitFor(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }
}
