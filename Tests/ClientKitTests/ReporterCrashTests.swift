import ClientKit
import Foundation
import Testing

extension RealPeers {
    /// A reporter process killed while it reports: the next run on the same spool
    /// delivers every event the killed one had made durable, and the server's
    /// deduplication keeps the resent ones from counting twice.
    @Suite("Reporter process killed", .timeLimit(.minutes(3)))
    struct ReporterCrashTests {
        private func probe(_ port: Int, _ spool: String, _ extra: [String]) throws -> ChildProcess {
            try ChildProcess(
                try productPath("ReporterProbe"),
                ["--port", String(port), "--token", "secret", "--spool", spool] + extra,
                name: "ReporterProbe")
        }

        @Test func aKilledReporterLosesNothingItSpooled() async throws {
            let directory = try TemporaryDirectory()
            // Slow acknowledgements keep events committed by the peer but not yet
            // acknowledged when the reporter dies.
            let peer = try await IntakePeer.start(
                database: directory.path("peer.sqlite"), options: ["--ack-delay", "0.01"])
            let spool = directory.path("spool.sqlite")

            let first = try probe(peer.port, spool, ["--count", "600", "--prefix", "p"])
            _ = try await first.line(startingWith: "SPOOLED 150", timeout: .seconds(60))
            let stats = try await peer.stats()
            await first.kill()
            let lastSpooled = first.lines.compactMap { line -> Int? in
                line.hasPrefix("SPOOLED ") ? Int(line.dropFirst("SPOOLED ".count)) : nil
            }.max() ?? 0
            let unacknowledged = (stats["committed"] ?? 0) - (stats["acked"] ?? 0)

            // A second run, killed too, then a third that finishes.
            let second = try probe(peer.port, spool, ["--count", "0"])
            try await Task.sleep(for: .milliseconds(300))
            await second.kill()
            let third = try probe(peer.port, spool, ["--count", "0", "--flush"])
            _ = try await third.line(startingWith: "FLUSHED", timeout: .seconds(60))
            #expect(await third.waitForExit() == 0)
            await peer.kill()

            let contents = try await peer.contents()
            let ids = contents.acceptedIDs
            // A prefix of the events, in order and each once, reaching at least
            // the last one the killed process reported as durable.
            #expect(ids.count >= lastSpooled)
            #expect(ids.count <= 600)
            #expect(ids == (1...max(ids.count, 1)).prefix(ids.count).map {
                "p-\(String(format: "%06d", $0))"
            })
            if unacknowledged >= 3 {
                #expect(contents.duplicates > 0, "resent events are answered as duplicates")
            }
        }
    }
}
