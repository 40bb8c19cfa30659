import Foundation
import Messages

/// The repository's root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The output of a finished process.
struct ProcessResult {
    var status: Int32
    var output: String
}

/// Runs a program to completion with its output (stdout and stderr) captured.
func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         output: String(decoding: data, as: UTF8.self))
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("messages-tests-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The Python of the project's virtual environment (made by scripts/setup).
var venvPython: String {
    repositoryRoot.appendingPathComponent(".venv/bin/python").path
}

/// Every fixture of every message type, as (full name, variant, value).
func allFixtures() -> [(name: String, variant: Int, message: any ProtoMessage)] {
    Fixtures.all.flatMap { entry in
        (0..<entry.variants).map { (entry.name, $0, entry.make($0)) }
    }
}

/// Whether two messages of any type are equal.
func sameMessage(_ a: any ProtoMessage, _ b: any ProtoMessage) -> Bool {
    func open<M: ProtoMessage>(_ a: M) -> Bool { (b as? M) == a }
    return open(a)
}

/// Decodes bytes as a message of the same type as `like`.
func decode(bytes: [UInt8], like: any ProtoMessage) throws -> any ProtoMessage {
    try type(of: like).init(serializedBytes: bytes)
}

/// Decodes JSON text as a message of the same type as `like`.
func decode(json: String, like: any ProtoMessage) throws -> any ProtoMessage {
    try type(of: like).init(jsonString: json)
}
