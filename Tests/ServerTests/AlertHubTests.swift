import Messages
import Store
import Testing

@testable import Server

/// The hub that hands committed alert transitions to watchers, on its own.
@Suite("Alert hub", .timeLimit(.minutes(1)))
struct AlertHubTests {
    private func entry(_ sequence: UInt64) -> AlertLogEntry {
        AlertLogEntry(
            sequence: sequence, alertID: "a\(sequence)", kind: 1, at: 0, actor: "engine",
            department: "330899-WJJ", caseID: "c", rule: 1, level: 1, status: 1)
    }

    @Test func anIdleWatcherGetsEveryHeartbeatOnTime() async throws {
        let hub = AlertHub(position: 7)
        // Many idle watchers at once, each asking with a timeout that has
        // passed before its wait begins: every call must come back at once
        // with the position, however the two racing halves of the wait are
        // scheduled. A call that waits for an entry instead never returns,
        // so the work runs apart and the test waits for it a bounded time.
        let finished = SharedCounter()
        let wrong = SharedCounter()
        Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        let subscription = hub.subscribe { _ in true }
                        defer { subscription.cancel() }
                        for _ in 0..<200 {
                            let next = await subscription.next(timeout: .zero)
                            guard case .idle(position: 7) = next else {
                                wrong.increment()
                                continue
                            }
                        }
                        finished.increment()
                    }
                }
            }
        }
        let done = await eventually(timeout: .seconds(30)) { finished.value == 64 }
        #expect(done, "\(64 - finished.value) watchers waited past their heartbeat")
        #expect(wrong.value == 0)
    }

    @Test func closingEndsEachFeedAfterWhatItHoldsAndEveryLaterOneAtOnce() async throws {
        let hub = AlertHub(position: 0)
        let watcher = hub.subscribe { _ in true }
        defer { watcher.cancel() }
        hub.publish([entry(1), entry(2)])
        hub.close()
        hub.publish([entry(3)])

        var sequences: [UInt64] = []
        while case .entry(let entry) = await watcher.next(timeout: .seconds(5)) {
            sequences.append(entry.sequence)
        }
        #expect(sequences == [1, 2], "what was published before the close, and only that")
        guard case .ended = await watcher.next(timeout: .seconds(5)) else {
            Issue.record("a closed feed did not end")
            return
        }

        let late = hub.subscribe { _ in true }
        defer { late.cancel() }
        guard case .ended = await late.next(timeout: .seconds(5)) else {
            Issue.record("a watch begun after the close did not end at once")
            return
        }
    }
}

/// The wire form shared by watchers: each one must still get its own entry.
@Suite("Shared transition encodings")
struct TransitionEncodingsTests {
    private func entry(_ sequence: UInt64, note: String) -> AlertLogEntry {
        var transition = AlertTransition()
        transition.note = note
        transition.actor = "engine"
        return AlertLogEntry(
            sequence: sequence, alertID: "a", kind: 1, at: 0, actor: "engine",
            department: "330899-WJJ", caseID: "c", rule: 1, level: 1, status: 1,
            payload: transition.serializedBytes())
    }

    private func decoded(_ bytes: [UInt8]) throws -> AlertTransition? {
        guard case .transition(let transition) = try WatchAlertsResponse(
            serializedBytes: bytes).message
        else { return nil }
        return transition
    }

    @Test func entriesSharingASlotEachGetTheirOwnMessage() throws {
        let encodings = TransitionEncodings(slots: 4)
        let first = entry(3, note: "first")
        let second = entry(7, note: "second")  // the same slot as 3
        for _ in 0..<2 {
            let one = try decoded(encodings.response(for: first))
            #expect(one?.sequence == 3)
            #expect(one?.note == "first")
            let two = try decoded(encodings.response(for: second))
            #expect(two?.sequence == 7)
            #expect(two?.note == "second")
        }
        // Asked again while it holds the slot, the same bytes come back.
        #expect(try encodings.response(for: second) == encodings.response(for: second))
    }
}
