import Foundation
import Messages
import Services
import Testing

/// Wire and JSON compatibility with Python protobuf, an implementation nobody
/// here wrote: every fixture goes to Python as binary and as JSON, Python
/// checks that both say the same, and Python's own encodings come back and
/// must decode to the original values.
@Suite struct PythonPeerTests {
    @Test func pythonReadsAndWritesWhatSwiftDoes() throws {
        let work = try makeTemporaryDirectory("peer")
        defer { try? FileManager.default.removeItem(at: work) }
        let swiftDir = work.appendingPathComponent("swift")
        try FileManager.default.createDirectory(at: swiftDir, withIntermediateDirectories: true)

        let fixtures = allFixtures()
        var manifest = ""
        for (i, fixture) in fixtures.enumerated() {
            let stem = "m\(i)"
            manifest += "\(fixture.name)\t\(stem)\n"
            try Data(fixture.message.serializedBytes())
                .write(to: swiftDir.appendingPathComponent(stem + ".bin"))
            try Data(fixture.message.jsonString(pretty: i % 2 == 0).utf8)
                .write(to: swiftDir.appendingPathComponent(stem + ".json"))
        }
        try Data(manifest.utf8).write(to: swiftDir.appendingPathComponent("manifest.tsv"))

        var descriptors = ""
        for (i, name) in InterfaceStandard.files.keys.sorted().enumerated() {
            descriptors += "\(name)\td\(i)\n"
            try Data(InterfaceStandard.files[name]!.serializedDescriptor)
                .write(to: swiftDir.appendingPathComponent("d\(i).bin"))
        }
        try Data(descriptors.utf8).write(to: swiftDir.appendingPathComponent("descriptors.tsv"))

        let result = try run(venvPython, [
            repositoryRoot.appendingPathComponent("scripts/protogen/peer.py").path,
            repositoryRoot.appendingPathComponent("Protos").path, work.path,
        ])
        try #require(result.status == 0, "the Python peer failed:\n\(result.output)")

        let report = try String(contentsOf: work.appendingPathComponent("report.txt"),
                                encoding: .utf8)
        #expect(report.isEmpty, "Python disagrees:\n\(report)")

        let pythonDir = work.appendingPathComponent("python")
        for (i, fixture) in fixtures.enumerated() {
            let stem = "m\(i)"
            let binaryURL = pythonDir.appendingPathComponent(stem + ".bin")
            let bytes = try [UInt8](Data(contentsOf: binaryURL))
            let fromBinary = try decode(bytes: bytes, like: fixture.message)
            #expect(sameMessage(fromBinary, fixture.message),
                    "Python's binary of \(fixture.name) variant \(fixture.variant)")

            let json = try String(contentsOf: pythonDir.appendingPathComponent(stem + ".json"),
                                  encoding: .utf8)
            let fromJSON = try decode(json: json, like: fixture.message)
            #expect(sameMessage(fromJSON, fixture.message),
                    "Python's JSON of \(fixture.name) variant \(fixture.variant): \(json)")
        }
    }
}
