import ClientKit
import Foundation
import Synchronization
import Testing

extension RealPeers {
    /// The reporter against a grpcio intake peer that keeps what it acknowledges
    /// in a SQLite file: nothing lost, nothing counted twice, in spool order.
    @Suite("EventReporter", .timeLimit(.minutes(3)))
    struct EventReporterTests {
        @Test func deliversEveryEventOnceInReportOrder() async throws {
            let directory = try TemporaryDirectory()
            let peer = try await IntakePeer.start(database: directory.path("peer.sqlite"))
            let client = MonitorClient(host: "127.0.0.1", port: peer.port, token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration())

            let events = (1...300).map { testEvent($0) }
            var ids: [String] = []
            for chunk in stride(from: 0, to: events.count, by: 50) {
                ids += try await reporter.report(contentsOf: Array(events[chunk..<chunk + 50]))
            }
            try await reporter.flush(timeout: .seconds(30))

            let backlog = await reporter.backlog
            #expect(backlog.spooled == 0)
            #expect(backlog.spooledBytes == 0)
            #expect(backlog.inFlight == 0)
            #expect(backlog.acknowledged == 300)
            #expect(backlog.isConnected)
            #expect(backlog.lastError == nil)
            await reporter.close()
            await client.close()
            await peer.kill()

            #expect(ids == events.map(\.eventID))
            let contents = try await peer.contents()
            #expect(contents.acceptedIDs == ids)
            #expect(contents.answers["ACK_STATUS_ACCEPTED"] == 300)
        }

        @Test func keepsEveryEventWhileThePeerIsKilledAndRestarted() async throws {
            let directory = try TemporaryDirectory()
            // The first peer commits 150 events and dies before acknowledging
            // them, so some resends are certain.
            let peer = try await IntakePeer.start(
                database: directory.path("peer.sqlite"), options: ["--crash-after", "150"])
            let client = MonitorClient(host: "127.0.0.1", port: peer.port, token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(window: 32))

            let events = (1...1500).map { testEvent($0, cases: 40) }
            let reporting = Task {
                for chunk in stride(from: 0, to: events.count, by: 25) {
                    try await reporter.report(contentsOf: Array(events[chunk..<chunk + 25]))
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            for round in 0..<5 {
                try await Task.sleep(for: .milliseconds(250))
                if round == 0 {
                    #expect(await reporter.backlog.spooled > 0, "the peer dies while events wait")
                }
                await peer.kill()
                try await Task.sleep(for: .milliseconds(50))
                try await peer.restart(options: round < 2 ? ["--crash-after", "200"] : [])
            }
            try await reporting.value
            try await reporter.flush(timeout: .seconds(60))
            await reporter.close()
            await client.close()
            await peer.kill()

            let contents = try await peer.contents()
            // Every event arrived, none twice, in the order it was reported.
            #expect(contents.accepted.count == events.count)
            #expect(contents.acceptedIDs == events.map(\.eventID))
            #expect(contents.duplicates > 0, "the peer died with unacknowledged events")
        }

        @Test func aFullSpoolMakesReportWaitAndDropsNothing() async throws {
            let directory = try TemporaryDirectory()
            let port = try unusedPort()
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(maximumEvents: 5))

            // No server: five events fill the spool.
            for n in 1...5 { try await reporter.report(testEvent(n)) }
            let sixthDone = Flag()
            let sixth = Task {
                try await reporter.report(testEvent(6))
                sixthDone.set()
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(!sixthDone.isSet, "report waits for room")
            #expect(await reporter.backlog.spooled == 5)

            // A batch that can never fit is refused at once instead of waiting.
            await #expect(throws: ReporterError.self) {
                try await reporter.report(contentsOf: (7...12).map { testEvent($0) })
            }

            let peer = try await IntakePeer.start(
                database: directory.path("peer.sqlite"), port: port)
            try await sixth.value
            try await reporter.flush(timeout: .seconds(30))
            await reporter.close()
            await client.close()
            await peer.kill()

            let contents = try await peer.contents()
            #expect(contents.acceptedIDs == (1...6).map { testEvent($0).eventID })
        }

        @Test func aWaitingReportCanBeCancelled() async throws {
            let directory = try TemporaryDirectory()
            let client = MonitorClient(host: "127.0.0.1", port: try unusedPort(), token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(maximumEvents: 1))
            try await reporter.report(testEvent(1))
            let waiting = Task { try await reporter.report(testEvent(2)) }
            try await Task.sleep(for: .milliseconds(100))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            #expect(await reporter.backlog.spooled == 1)
            await reporter.close()
            await client.close()
        }

        @Test func rejectedEventsAreSurfacedKeptAndNeverResent() async throws {
            let directory = try TemporaryDirectory()
            let peer = try await IntakePeer.start(database: directory.path("peer.sqlite"))
            let client = MonitorClient(host: "127.0.0.1", port: peer.port, token: "secret")
            let spool = directory.path("spool.sqlite")
            var reporter = try EventReporter(
                client: client, spoolPath: spool, configuration: reporterConfiguration())
            let rejections = await reporter.rejections()

            var bad = testEvent(2)
            bad.kind = .received(CaseReceived(itemCode: "", title: "no item"))
            try await reporter.report(contentsOf: [testEvent(1), bad, testEvent(3)])
            var iterator = rejections.makeAsyncIterator()
            let rejected = try #require(await iterator.next())
            #expect(rejected.event == bad)
            #expect(rejected.field == "received.item_code")
            #expect(rejected.reason.contains("expected the catalogue code"))
            try await reporter.flush(timeout: .seconds(30))
            #expect(await reporter.backlog.rejected == 1)
            #expect(await reporter.backlog.spooled == 0)
            await reporter.close()

            // A new reporter on the same spool still has it, and does not send it.
            reporter = try EventReporter(
                client: client, spoolPath: spool, configuration: reporterConfiguration())
            let kept = try await reporter.rejectedEvents()
            #expect(kept.map(\.event) == [bad])
            #expect(kept.first?.id == rejected.id)
            #expect(await reporter.backlog.rejected == 1)

            // The application corrects it, reports it again and discards the entry.
            var fixed = bad
            fixed.kind = .received(CaseReceived(itemCode: "330101-001", title: "fixed"))
            try await reporter.report(fixed)
            try await reporter.discardRejected(kept.map(\.id))
            try await reporter.flush(timeout: .seconds(30))
            #expect(try await reporter.rejectedEvents().isEmpty)
            #expect(await reporter.backlog.rejected == 0)
            await reporter.close()
            await client.close()
            await peer.kill()

            let contents = try await peer.contents()
            #expect(contents.rejected == 1)
            #expect(contents.acceptedIDs
                == [testEvent(1).eventID, testEvent(3).eventID, bad.eventID])
        }

        @Test func noMoreThanTheWindowIsInFlight() async throws {
            let directory = try TemporaryDirectory()
            let peer = try await IntakePeer.start(
                database: directory.path("peer.sqlite"), options: ["--ack-delay", "0.003"])
            let client = MonitorClient(host: "127.0.0.1", port: peer.port, token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(window: 8))
            try await reporter.report(contentsOf: (1...200).map { testEvent($0) })

            var mostInFlight = 0
            let updates = Task {
                var most = 0
                for await backlog in await reporter.backlogUpdates() {
                    most = max(most, backlog.inFlight)
                    if backlog.spooled == 0 { break }
                }
                return most
            }
            try await reporter.flush(timeout: .seconds(30))
            mostInFlight = await updates.value
            let stats = try await peer.stats()
            await reporter.close()
            await client.close()
            await peer.kill()

            #expect(mostInFlight <= 8)
            #expect(stats["max_ahead"] ?? 0 <= 8)
            #expect(stats["max_ahead"] ?? 0 > 1, "events are pipelined, not sent one by one")
            #expect(stats["received"] == 200)
            #expect(stats["streams"] == 1)
        }

        @Test func reportsBacklogAndConnectionAsTheServerComesAndGoes() async throws {
            let directory = try TemporaryDirectory()
            let port = try unusedPort()
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration())
            try await reporter.report(contentsOf: (1...20).map { testEvent($0) })

            try await eventually("an UNAVAILABLE error while no server listens") {
                let backlog = await reporter.backlog
                return backlog.lastError?.code == .unavailable && !backlog.isConnected
                    && backlog.spooled == 20
            }

            let peer = try await IntakePeer.start(
                database: directory.path("peer.sqlite"), port: port)
            var sawConnectedAndEmpty = false
            for await backlog in await reporter.backlogUpdates() {
                if backlog.isConnected && backlog.spooled == 0 {
                    sawConnectedAndEmpty = true
                    break
                }
            }
            #expect(sawConnectedAndEmpty)
            #expect(await reporter.backlog.acknowledged == 20)

            await peer.kill()
            try await eventually("the reporter to notice the server is gone") {
                await !reporter.backlog.isConnected
            }
            await reporter.close()
            await client.close()
        }

        @Test func aRefusedTokenIsVisibleAndLosesNothing() async throws {
            let directory = try TemporaryDirectory()
            let peer = try await IntakePeer.start(database: directory.path("peer.sqlite"))
            let spool = directory.path("spool.sqlite")
            let wrong = MonitorClient(host: "127.0.0.1", port: peer.port, token: "wrong")
            var reporter = try EventReporter(
                client: wrong, spoolPath: spool, configuration: reporterConfiguration())
            try await reporter.report(contentsOf: (1...3).map { testEvent($0) })
            try await eventually("UNAUTHENTICATED in the backlog") {
                await reporter.backlog.lastError?.isUnauthenticated == true
            }
            #expect(await reporter.backlog.spooled == 3)
            await #expect(throws: ReporterError.self) { try await reporter.flush(timeout: .zero) }
            await reporter.close()
            await wrong.close()

            let right = MonitorClient(host: "127.0.0.1", port: peer.port, token: "secret")
            reporter = try EventReporter(
                client: right, spoolPath: spool, configuration: reporterConfiguration())
            try await reporter.flush(timeout: .seconds(30))
            await reporter.close()
            await right.close()
            await peer.kill()
            #expect(try await peer.contents().acceptedIDs == (1...3).map { testEvent($0).eventID })
        }

        @Test func eventsTheServerCouldNeverAcceptAreRefusedBeforeSpooling() async throws {
            let directory = try TemporaryDirectory()
            let client = MonitorClient(host: "127.0.0.1", port: try unusedPort(), token: "secret")
            var configuration = reporterConfiguration()
            configuration.departmentCode = "330101-LAND"
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: configuration)

            var noKind = testEvent(1)
            noKind.kind = nil
            let error = await #expect(throws: ReporterError.self) {
                try await reporter.report(noKind)
            }
            guard case .invalidEvent(let id, let field, _, _)? = error else {
                Issue.record("expected invalidEvent, got \(String(describing: error))")
                return
            }
            #expect(id == noKind.eventID)
            #expect(field == "kind")

            var noCase = testEvent(2)
            noCase.caseID = ""
            await #expect(throws: ReporterError.invalidEvent(
                eventID: noCase.eventID, field: "case_id", value: "empty",
                expected: "the case's number, 1 to 64 characters")
            ) { try await reporter.report(noCase) }

            // Missing ids and department codes are filled in instead.
            var bare = testEvent(3)
            bare.eventID = ""
            bare.departmentCode = ""
            let id3 = try await reporter.report(bare)
            #expect(id3.count == 36)
            #expect(await reporter.backlog.spooled == 1)
            await reporter.close()
            await client.close()
        }

        @Test func aSpoolHasOneReporterAtATime() async throws {
            let directory = try TemporaryDirectory()
            let client = MonitorClient(host: "127.0.0.1", port: try unusedPort(), token: "secret")
            let path = directory.path("spool.sqlite")
            let first = try EventReporter(
                client: client, spoolPath: path, configuration: reporterConfiguration())
            #expect {
                _ = try EventReporter(
                    client: client, spoolPath: path, configuration: reporterConfiguration())
            } throws: { error in
                "\(error)".contains("another process") && "\(error)".contains(path)
            }
            await first.close()
            // Once closed, the spool opens again.
            let second = try EventReporter(
                client: client, spoolPath: path, configuration: reporterConfiguration())
            await second.close()
            await client.close()
        }

        @Test func closeFailsWaitingCallsAndLaterOnes() async throws {
            let directory = try TemporaryDirectory()
            let client = MonitorClient(host: "127.0.0.1", port: try unusedPort(), token: "secret")
            let reporter = try EventReporter(
                client: client, spoolPath: directory.path("spool.sqlite"),
                configuration: reporterConfiguration(maximumEvents: 1))
            try await reporter.report(testEvent(1))
            let waiting = Task { try await reporter.report(testEvent(2)) }
            let flushing = Task { try await reporter.flush() }
            try await Task.sleep(for: .milliseconds(100))
            await reporter.close()
            await #expect(throws: ReporterError.closed) { try await waiting.value }
            await #expect(throws: ReporterError.closed) { try await flushing.value }
            await #expect(throws: ReporterError.closed) { try await reporter.report(testEvent(3)) }
            await client.close()
        }
    }
}
