import ClientKit
import Foundation
import Testing

extension RealPeers {
    /// The watcher against a grpcio peer that serves a known alert log and cuts
    /// the stream at random points.
    @Suite("AlertWatcher", .timeLimit(.minutes(2)))
    struct AlertWatcherTests {
        /// Starts a peer; keep the process value alive for as long as the test
        /// needs the peer (dropping it kills the peer).
        private func startPeer(_ arguments: [String]) async throws -> (ChildProcess, Int) {
            let peer = try ChildProcess.python(
                "alerts_peer.py",
                arguments + ["--token", "secret", "--gen", pythonMessagesDirectory])
            let ready = try await peer.line(startingWith: "READY ")
            return (peer, Int(ready.dropFirst("READY ".count))!)
        }

        private func configuration() -> AlertWatcher.Configuration {
            var configuration = AlertWatcher.Configuration()
            configuration.backoff = quickBackoff
            configuration.snapshotPageSize = 5
            return configuration
        }

        /// Reads updates until a transition with `last` arrives.
        private func collect(
            _ watcher: AlertWatcher, through last: UInt64
        ) async throws -> [AlertWatcher.Update] {
            var updates: [AlertWatcher.Update] = []
            for try await update in watcher {
                updates.append(update)
                if case .transition(let transition) = update, transition.sequence >= last { break }
            }
            return updates
        }

        private func sequences(_ updates: [AlertWatcher.Update]) -> [UInt64] {
            updates.compactMap {
                if case .transition(let transition) = $0 { return transition.sequence }
                return nil
            }
        }

        @Test(arguments: [1, 2, 3])
        func seesEveryTransitionOnceInOrderAcrossCuts(seed: Int) async throws {
            let (peer, port) = try await startPeer(
                ["--count", "400", "--cuts", "25", "--seed", String(seed)])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let watcher = AlertWatcher(client: client, configuration: configuration())

            let updates = try await collect(watcher, through: 400)
            #expect(sequences(updates) == Array(1...400))
            #expect(watcher.position == 400)

            // Each watch asked for what came after the last thing handed out; a
            // cut for slowness was resumed from the trailer's sequence or later.
            let lines = await peer.settledLines()
            let watches = lines.filter { $0.hasPrefix("WATCH after=") }
            #expect(watches.count > 10, "the peer cut the stream many times")
            var handedOut: Set<UInt64> = [0]
            for update in updates {
                switch update {
                case .transition(let transition): handedOut.insert(transition.sequence)
                case .heartbeat(let position): handedOut.insert(position)
                case .snapshot: Issue.record("no snapshot expected")
                }
            }
            for watch in watches {
                let after = UInt64(watch.dropFirst("WATCH after=".count))!
                #expect(handedOut.contains(after), "\(watch) resumes from a position handed out")
            }
            for (index, line) in lines.enumerated()
            where line.hasPrefix("CUT RESOURCE_EXHAUSTED resume_after=") {
                let resume = UInt64(line.split(separator: "=").last!)!
                // The last cut may have come after the watcher stopped reading.
                guard let next = lines[(index + 1)...].first(where: {
                    $0.hasPrefix("WATCH after=")
                }) else { continue }
                let after = UInt64(next.dropFirst("WATCH after=".count))
                #expect(after.map { $0 >= resume } == true, "\(line) then \(next)")
            }
        }

        @Test func anExpiredPositionGivesASnapshotThenWhatFollowsIt() async throws {
            let (peer, port) = try await startPeer(
                ["--count", "200", "--oldest", "100", "--snapshot-at", "150"])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let watcher = AlertWatcher(
                client: client, start: .after(5), configuration: configuration())

            let updates = try await collect(watcher, through: 200)
            guard case .snapshot(let snapshot) = updates.first else {
                Issue.record("expected a snapshot first, got \(String(describing: updates.first))")
                return
            }
            #expect(snapshot.position == 150)
            // 23 alerts in the log, each as its latest transition at or before 150.
            #expect(snapshot.alerts.count == 23)
            #expect(snapshot.alerts.allSatisfy { $0.sequence <= 150 && $0.sequence > 150 - 23 })
            let order = snapshot.alerts.map(\.sequence)
            #expect(order == order.sorted(by: >), "newest first")
            #expect(sequences(updates) == Array(151...200))

            let lines = await peer.settledLines()
            #expect(lines.filter { $0.hasPrefix("WATCH after=") }.prefix(2)
                == ["WATCH after=5", "WATCH after=150"])
            // Five alerts a page: the snapshot took every page.
            #expect(lines.filter { $0.hasPrefix("LIST token=") }.count == 5)
        }

        @Test func startingWithASnapshotNeedsNoHistory() async throws {
            let (peer, port) = try await startPeer(["--count", "60", "--snapshot-at", "50"])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let watcher = AlertWatcher(
                client: client, start: .snapshot, configuration: configuration())
            let updates = try await collect(watcher, through: 60)
            guard case .snapshot(let snapshot) = updates.first else {
                Issue.record("expected a snapshot first")
                return
            }
            #expect(snapshot.position == 50)
            #expect(sequences(updates) == Array(51...60))
        }

        @Test func aSavedPositionCarriesOverToTheNextWatcher() async throws {
            let (peer, port) = try await startPeer(["--count", "120", "--cuts", "6", "--seed", "9"])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let directory = try TemporaryDirectory()
            let file = directory.url.appendingPathComponent("alerts.position")

            let first = try AlertWatcher(
                client: client, positionFile: file, configuration: configuration())
            let before = try await collect(first, through: 70)
            try first.savePosition()
            #expect(try String(contentsOf: file, encoding: .utf8) == "70\n")

            // A restarted dashboard: a new watcher from the file.
            let second = try AlertWatcher(
                client: client, positionFile: file, configuration: configuration())
            #expect(second.position == 70)
            let after = try await collect(second, through: 120)
            #expect(sequences(before) + sequences(after) == Array(1...120))
            #expect(FileManager.default.fileExists(atPath: file.path + ".tmp-\(getpid())") == false)
        }

        @Test func aDamagedPositionFileIsReportedNotGuessed() throws {
            let directory = try TemporaryDirectory()
            let file = directory.url.appendingPathComponent("alerts.position")
            try "seventy".write(to: file, atomically: true, encoding: .utf8)
            let client = MonitorClient(host: "127.0.0.1", port: 1, token: "secret")
            #expect(throws: WatcherError.unreadablePosition(path: file.path, content: "seventy")) {
                _ = try AlertWatcher(client: client, positionFile: file)
            }
        }

        @Test func aRefusedTokenEndsTheWatch() async throws {
            let (peer, port) = try await startPeer(["--count", "10"])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "wrong")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let watcher = AlertWatcher(client: client, configuration: configuration())
            let error = await #expect(throws: MonitorError.self) {
                for try await _ in watcher {}
            }
            #expect(error?.isUnauthenticated == true)
        }

        @Test func cancellingTheReaderEndsTheIteration() async throws {
            let (peer, port) = try await startPeer(["--count", "5"])
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "secret")
            defer { Task { await client.close() } }
            defer { withExtendedLifetime(peer) {} }
            let watcher = AlertWatcher(client: client, configuration: configuration())
            let reader = Task {
                var count = 0
                for try await _ in watcher { count += 1 }
                return count
            }
            // Five transitions, then heartbeats forever.
            try await eventually("the watcher to reach the end of the log") {
                watcher.position == 5
            }
            reader.cancel()
            let count = try await reader.value
            #expect(count >= 5)
        }
    }
}
