import Foundation
import Testing

/// The committed generated code must be what scripts/generate makes of
/// Protos/ now; a change to a .proto file without regenerating fails here.
@Suite struct DriftTests {
    static let generatedDirectories = [
        "Sources/CProtos",
        "Sources/Messages/Generated",
        "Sources/Services/Generated",
        "Sources/ClientKit/Generated",
        "Tests/MessagesTests/Generated",
    ]

    private func files(under root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for directory in Self.generatedDirectories {
            let base = root.appendingPathComponent(directory)
            guard let walker = FileManager.default.enumerator(
                at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in walker {
                let isFile = try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile
                guard isFile == true else { continue }
                let relative = directory + "/" + url.path.dropFirst(base.path.count + 1)
                result[relative] = try Data(contentsOf: url)
            }
        }
        return result
    }

    @Test func committedCodeMatchesProtos() throws {
        let output = try makeTemporaryDirectory("generate")
        defer { try? FileManager.default.removeItem(at: output) }

        let result = try run(repositoryRoot.appendingPathComponent("scripts/generate").path,
                             ["--out", output.path])
        try #require(result.status == 0, "scripts/generate failed:\n\(result.output)")

        let committed = try files(under: repositoryRoot)
        let fresh = try files(under: output)
        let fix = "run scripts/generate and commit the result"
        for name in fresh.keys.sorted() {
            guard let old = committed[name] else {
                Issue.record("\(name) is generated from Protos/ but missing; \(fix)")
                return
            }
            guard old == fresh[name] else {
                Issue.record("\(name) differs from what Protos/ generates; \(fix)")
                return
            }
        }
        for name in committed.keys.sorted() where fresh[name] == nil {
            Issue.record("\(name) is no longer generated from Protos/; \(fix)")
            return
        }
    }
}
