@testable import ClientKit
import Foundation
import Testing

/// The small parts on their own: identifiers, backoff, errors, the spool.
@Suite("Parts")
struct PartsTests {
    @Test func timeOrderedIDsAreVersion7AndStrictlyIncreasing() {
        let ids = (0..<20_000).map { _ in TimeOrderedID.next() }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let characters = Array(id)
            #expect(characters.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { characters[$0] == "-" })
            #expect(characters[14] == "7", "version 7")
            #expect("89ab".contains(characters[19]), "RFC 9562 variant")
        }
        // The first 48 bits are the time in milliseconds.
        let millis = UInt64(String(ids[0].prefix(8) + ids[0].dropFirst(9).prefix(4)), radix: 16)!
        // (Up to a few milliseconds ahead: 4096 ids in one millisecond borrow
        // the next.)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(millis <= now + 1_000 && now - min(now, millis) < 60_000)
    }

    @Test func timeOrderedIDsStayOrderedWhenTheClockStandsStillOrStepsBack() {
        let generator = TimeOrderedID.Generator()
        var ids = [TimeOrderedID.format(generator.nextBits(now: 4_000_000_000_000))]
        for _ in 0..<5_000 {
            ids.append(TimeOrderedID.format(generator.nextBits(now: 4_000_000_000_000)))
        }
        ids.append(TimeOrderedID.format(generator.nextBits(now: 3_000_000_000_000)))
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func backoffCeilingsDoubleUpToTheMaximumAndDelaysStayBelow() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2)
        #expect(backoff.ceiling(afterFailures: 0) == .milliseconds(100))
        #expect(backoff.ceiling(afterFailures: 1) == .milliseconds(200))
        #expect(backoff.ceiling(afterFailures: 3) == .milliseconds(800))
        #expect(backoff.ceiling(afterFailures: 5) == .seconds(2))
        #expect(backoff.ceiling(afterFailures: 1_000) == .seconds(2))
        let delays = (0..<500).map { _ in backoff.delay(afterFailures: 4) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(1600) })
        // Full jitter: spread over the whole range, not bunched at the top.
        #expect(delays.contains { $0 < .milliseconds(400) })
        #expect(delays.contains { $0 > .milliseconds(1200) })
    }

    @Test func errorHelpersFollowTheStatusCode() {
        let retryable: [StatusCode] = [
            .unavailable, .deadlineExceeded, .resourceExhausted, .aborted,
        ]
        for code in retryable {
            #expect(MonitorError(code: code, message: "").isRetryable)
        }
        let final: [StatusCode] = [.invalidArgument, .unauthenticated, .permissionDenied, .internal]
        for code in final {
            #expect(!MonitorError(code: code, message: "").isRetryable)
        }
        #expect(MonitorError(code: .unauthenticated, message: "x").isUnauthenticated)
        #expect(MonitorError(code: .notFound, message: "x").isNotFound)
        #expect(MonitorError(code: .invalidArgument, message: "x").isInvalidArgument)
        #expect(MonitorError(CancellationError(), path: "/a.B/C").isCancelled)
        #expect(MonitorError(CancellationError(), path: "/a.B/C").method == "a.B/C")
        #expect(MonitorError(code: .unavailable, message: "").description == "UNAVAILABLE")
    }

    @Test func theSpoolKeepsEventsAcrossReopeningAndGroupsConcurrentAppends() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("spool.sqlite")
        var spool: Spool? = try Spool(path: path)
        #expect(spool?.totals == SpoolTotals(events: 0, bytes: 0, rejected: 0))

        // Many appends at once: each gets its own sequence numbers, in order.
        let all = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for n in 0..<50 {
                group.addTask { [spool] in
                    try await spool!.append((0..<4).map { k in
                        SpoolEntry(eventID: "e\(n)-\(k)", revision: 0, caseID: "c",
                                   bytes: [UInt8](repeating: 7, count: 10))
                    })
                }
            }
            var all: [[Int64]] = []
            for try await sequences in group { all.append(sequences) }
            return all
        }
        #expect(all.allSatisfy { $0 == $0.sorted() && $0.count == 4 })
        #expect(Set(all.flatMap { $0 }).count == 200)

        let first = try await spool!.load(after: 0, limit: 3)
        spool!.acknowledge(first[0].sequence)
        spool!.reject(first[1].sequence, field: "f", reason: "r", atMilliseconds: 5)
        try await spool!.sync()
        await spool!.close()
        spool = nil

        let reopened = try Spool(path: path)
        #expect(reopened.totals == SpoolTotals(events: 198, bytes: 1980, rejected: 1))
        let rest = try await reopened.load(after: 0, limit: 1_000)
        #expect(rest.first?.sequence == first[2].sequence)
        #expect(rest.map(\.sequence) == rest.map(\.sequence).sorted())
        let rejected = try await reopened.listRejected()
        #expect(rejected.map(\.sequence) == [first[1].sequence])
        #expect(rejected.first?.field == "f")
        #expect(try await reopened.removeRejected([first[1].sequence, 999_999]) == 1)
        await reopened.close()
    }

    @Test func anEmptiedSpoolGivesItsSpaceBack() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("spool.sqlite")
        let spool = try Spool(path: path)
        func bytesOnDisk() -> Int {
            [path, path + "-wal"].reduce(0) { total, file in
                let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size]
                return total + ((size as? NSNumber)?.intValue ?? 0)
            }
        }
        // An outage's backlog: 16 MiB of events.
        var sequences: [Int64] = []
        for chunk in 0..<16 {
            sequences += try await spool.append((0..<256).map { n in
                SpoolEntry(eventID: "e\(chunk)-\(n)", revision: 0, caseID: "c",
                           bytes: [UInt8](repeating: UInt8(n % 251), count: 4_096))
            })
        }
        try await spool.sync()
        #expect(bytesOnDisk() > 16 << 20)

        // Half delivered: the space stays, for the rest of the backlog to reuse.
        for sequence in sequences.prefix(2_048) { spool.acknowledge(sequence) }
        try await spool.sync()
        #expect(bytesOnDisk() > 16 << 20)

        for sequence in sequences.dropFirst(2_048) { spool.acknowledge(sequence) }
        try await spool.sync()
        #expect(bytesOnDisk() < 1 << 20, "an empty spool keeps \(bytesOnDisk()) bytes")
        let after = try await spool.append(
            [SpoolEntry(eventID: "next", revision: 0, caseID: "c", bytes: [1])])
        #expect(after.first ?? 0 > sequences.last ?? 0, "sequence numbers are never reused")
        await spool.close()
    }

    @Test func aFileThatIsNotASpoolIsRefusedByName() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.txt")
        try String(repeating: "not a database ", count: 100).write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try Spool(path: path)
        } throws: { error in
            (error as? SpoolError)?.path == path
        }
    }

    @Test func thePositionFileIsReplacedWhole() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("position")
        try PositionFile.write("12\n", to: url)
        try PositionFile.write("345\n", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "345\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            == ["position"])
        let missing = directory.url.appendingPathComponent("no/such/dir/position")
        #expect(throws: WatcherError.self) { try PositionFile.write("1\n", to: missing) }
    }
}
