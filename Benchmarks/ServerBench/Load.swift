import Glibc
import Messages
import Services
import Synchronization
import Transport

/// The events a stream may have sent and not yet seen acknowledged, with the
/// instant each was sent, oldest first.
///
/// The sender takes a place before each send and suspends while all are taken;
/// the reader gives one back per acknowledgement. Acknowledgements come in the
/// order the events were sent, so the oldest send instant is the one an
/// acknowledgement answers.
final class Window: Sendable {
    private struct State {
        var sentAt: [Int64] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let size: Int
    private let state = Mutex(State())

    init(size: Int) {
        self.size = size
    }

    /// Waits for a free place, then records `now()` as the next event's send instant.
    func take() async {
        while true {
            let full = state.withLock { state -> Bool in
                state.sentAt.count - state.head >= size
            }
            if !full { break }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.sentAt.count - state.head < size { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
        let now = monotonicNanoseconds()
        state.withLock { $0.sentAt.append(now) }
    }

    /// Gives back the oldest place; returns when its event was sent.
    func giveBack() -> Int64 {
        let (sent, waiter) = state.withLock { state -> (Int64, CheckedContinuation<Void, Never>?) in
            let sent = state.sentAt[state.head]
            state.head += 1
            if state.head >= 4096 {
                state.sentAt.removeFirst(state.head)
                state.head = 0
            }
            defer { state.waiter = nil }
            return (sent, state.waiter)
        }
        waiter?.resume()
        return sent
    }
}

/// What one stream measured.
struct StreamResult: Sendable {
    var accepted = 0
    var otherStatus: [String: Int] = [:]
    var notices = 0
    /// Send to acknowledgement, per event, in nanoseconds.
    var latencies: [Int64] = []
    var firstSent: Int64 = .max
    var lastAcknowledged: Int64 = 0
    /// For each case whose event raised a red card: when that event was sent and
    /// when it was acknowledged.
    var alertEvents: [String: (sent: Int64, acknowledged: Int64)] = [:]
}

/// Reports one stream's script over its own connection, `window` events in flight,
/// at most `rate` events per second (0: as fast as acknowledgements allow).
func report(
    _ script: StreamScript, port: Int, token: String, window size: Int, rate: Double
) async throws -> StreamResult {
    let channel = GRPCChannel(host: "127.0.0.1", port: port)
    let call = try await channel.makeCall(
        path: IntakeService.reportEvents.path,
        metadata: ["authorization": .string("Bearer \(token)")])
    let window = Window(size: size)
    let started = monotonicNanoseconds()

    let sender = Task {
        for (index, bytes) in script.events.enumerated() {
            if rate > 0 {
                // Paced: send each event at its instant, sleeping only when more
                // than a millisecond ahead, so the pace costs few wake-ups.
                let due = started + Int64(Double(index) / rate * 1e9)
                let ahead = due - monotonicNanoseconds()
                if ahead > 1_000_000 { try await Task.sleep(for: .nanoseconds(ahead)) }
            }
            await window.take()
            try await call.send(bytes)
        }
        try await call.finishSending()
    }

    var result = StreamResult()
    result.firstSent = started
    result.latencies.reserveCapacity(script.events.count)
    var expected: UInt64 = 0
    for try await bytes in call.responses {
        let now = monotonicNanoseconds()
        let sent = window.giveBack()
        let ack = try EventAck(serializedBytes: bytes)
        expected += 1
        guard ack.index == expected else {
            throw BenchError("acknowledgement \(ack.index) came where \(expected) was due")
        }
        if ack.status == .accepted {
            result.accepted += 1
        } else {
            let status = ack.status.protoName ?? "\(ack.status.rawValue)"
            if ack.status == .rejected && result.otherStatus[status] == nil {
                // The first refusal says what is wrong with the script's events.
                say("REJECTED field=\(ack.field) reason=\(ack.reason)")
            }
            result.otherStatus[status, default: 0] += 1
        }
        if !ack.notices.isEmpty { result.notices += 1 }
        result.latencies.append(now - sent)
        result.lastAcknowledged = now
        if let caseID = script.alertCases[Int(expected - 1)] {
            result.alertEvents[caseID] = (sent, now)
        }
    }
    try await sender.value
    await channel.close()
    guard Int(expected) == script.events.count else {
        throw BenchError("\(expected) of \(script.events.count) events were acknowledged")
    }
    return result
}

/// `ServerBench load`: the streams, and the watchers when asked for.
func load(_ arguments: Arguments) async throws {
    let port = arguments.integer("port", default: 50051)
    let fixture = try Fixture(catalogueFile: arguments.required("catalogue"))
    let tokens = try arguments.string("tokens").map(Tokens.init(file:)) ?? Tokens()
    let streams = arguments.integer("streams", default: 1)
    let total = arguments.integer("events", default: 60_000)
    let size = arguments.integer("window", default: 2048)
    let rate = Double(arguments.integer("rate", default: 0))
    let feeEvery = arguments.integer("fee-every", default: 0)
    let watcherCount = arguments.integer("watchers", default: 0)
    let tag = arguments.string("tag") ?? String(wallNanoseconds() / 1_000_000_000 % 1_000_000)

    let scripts = StreamScript.split(
        total, over: streams, fixture: fixture, feeEvery: feeEvery, tag: tag)
    let expectedAlerts = scripts.reduce(0) { $0 + $1.alertCases.count }

    let watchers = try await Watchers.start(
        count: watcherCount, port: port, token: tokens.supervisor)

    let cpuBefore = processCPUSeconds()
    let results = try await withThrowingTaskGroup(of: StreamResult.self) { group in
        for (stream, script) in scripts.enumerated() {
            let token = tokens.token(for: fixture.department(ofStream: stream))
            let perStream = rate / Double(streams)
            group.addTask {
                try await report(script, port: port, token: token, window: size, rate: perStream)
            }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    let cpu = processCPUSeconds() - cpuBefore

    var accepted = 0
    var other: [String: Int] = [:]
    var notices = 0
    var latencies: [Int64] = []
    var alertEvents: [String: (sent: Int64, acknowledged: Int64)] = [:]
    for result in results {
        accepted += result.accepted
        notices += result.notices
        latencies += result.latencies
        other.merge(result.otherStatus, uniquingKeysWith: +)
        alertEvents.merge(result.alertEvents) { first, _ in first }
    }
    latencies.sort()
    let first = results.map(\.firstSent).min() ?? 0
    let last = results.map(\.lastAcknowledged).max() ?? 0
    let seconds = Double(last - first) / 1e9
    var line = "RESULT streams=\(streams) window=\(size) events=\(latencies.count) "
        + "accepted=\(accepted) seconds=\(fixed(seconds, 3)) "
        + "rate=\(fixed(Double(accepted) / seconds, 0)) "
        + "ack_p50_ms=\(fixed(percentileMilliseconds(latencies, 0.5))) "
        + "ack_p99_ms=\(fixed(percentileMilliseconds(latencies, 0.99))) "
        + "client_cpu_s=\(fixed(cpu, 3)) notices=\(notices)"
    for (status, count) in other.sorted(by: { $0.key < $1.key }) {
        line += " \(status.lowercased())=\(count)"
    }

    if let watchers {
        let deliveries = try await watchers.finish(expecting: expectedAlerts)
        var fromAck: [Int64] = []
        var fromSend: [Int64] = []
        // Per card, the first subscriber it reached: the server's own path,
        // without the fan-out to the others.
        var firstFromAck: [Int64] = []
        var missing = 0
        for (caseID, event) in alertEvents {
            var first = Int64.max
            for watcher in deliveries {
                guard let arrived = watcher[caseID] else {
                    missing += 1
                    continue
                }
                fromAck.append(arrived - event.acknowledged)
                fromSend.append(arrived - event.sent)
                first = min(first, arrived)
            }
            if first < .max { firstFromAck.append(first - event.acknowledged) }
        }
        fromAck.sort()
        fromSend.sort()
        firstFromAck.sort()
        let early = fromAck.firstIndex { $0 >= 0 } ?? fromAck.count
        line += " watchers=\(deliveries.count) alerts=\(alertEvents.count)"
            + " deliveries=\(fromAck.count) missing=\(missing)"
            + " alert_p50_ms=\(fixed(percentileMilliseconds(fromAck, 0.5)))"
            + " alert_p99_ms=\(fixed(percentileMilliseconds(fromAck, 0.99)))"
            + " alert_before_ack=\(early)"
            + " alert_first_p50_ms=\(fixed(percentileMilliseconds(firstFromAck, 0.5)))"
            + " alert_first_p99_ms=\(fixed(percentileMilliseconds(firstFromAck, 0.99)))"
            + " alert_from_send_p50_ms=\(fixed(percentileMilliseconds(fromSend, 0.5)))"
            + " alert_from_send_p99_ms=\(fixed(percentileMilliseconds(fromSend, 0.99)))"
    }
    say(line)
}
