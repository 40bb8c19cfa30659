import Synchronization
import Testing
import Transport

/// What the test handlers observed, for tests to assert on.
final class Probe: Sendable {
    private struct Waiter {
        var id: Int
        var key: String
        var target: Int
        var continuation: CheckedContinuation<Bool, Never>
    }

    private let state = Mutex<(counts: [String: Int], waiters: [Waiter], nextID: Int)>(
        ([:], [], 0))

    func bump(_ key: String, by amount: Int = 1) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.counts[key, default: 0] += amount
            let value = state.counts[key]!
            let ready = state.waiters.filter { $0.key == key && value >= $0.target }
            state.waiters.removeAll { $0.key == key && value >= $0.target }
            return ready.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: false) }
    }

    func value(_ key: String) -> Int {
        state.withLock { $0.counts[key, default: 0] }
    }

    /// Waits until `key` reaches `target`; after `timeout` records a test failure and
    /// returns, so a broken transport fails the test instead of hanging the run.
    func wait(
        for key: String, toReach target: Int = 1, timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let timedOut = await withCheckedContinuation {
            (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> Int? in
                if state.counts[key, default: 0] >= target { return nil }
                state.nextID += 1
                let id = state.nextID
                state.waiters.append(Waiter(
                    id: id, key: key, target: target,
                    continuation: continuation))
                return id
            }
            guard let id else { return continuation.resume(returning: false) }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                        return false
                    }
                    state.waiters.remove(at: index)
                    return true
                }
                if expired { continuation.resume(returning: true) }
            }
        }
        if timedOut {
            Issue.record("'\(key)' did not reach \(target) within \(timeout)",
                         sourceLocation: sourceLocation)
        }
    }
}

/// A one-shot gate a handler waits on until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        (false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The test service every server in these tests serves, under `/test.Echo/`.
enum TestService {
    static func router(probe: Probe, gate: Gate = Gate()) -> MethodRouter {
        var router = MethodRouter()

        // Echoes the message; x-echo-* metadata comes back as headers, x-trailer-* as
        // trailers.
        router.register("/test.Echo/Unary") { call in
            var head = Metadata()
            var tail = Metadata()
            for (key, value) in call.context.requestMetadata {
                if key.hasPrefix("x-echo") { add(value, key, to: &head) }
                if key.hasPrefix("x-trailer") { add(value, key, to: &tail) }
            }
            var messages: [[UInt8]] = []
            for try await message in call.requests { messages.append(message) }
            try await call.sendInitialMetadata(head)
            call.setTrailingMetadata(tail)
            for message in messages { try await call.send(message) }
        }

        // "code:message" ends the call with that status and an x-detail-bin trailer.
        router.register("/test.Echo/Fail") { call in
            var request: [UInt8] = []
            for try await message in call.requests { request = message }
            let parts = text(request).split(separator: ":", maxSplits: 1)
            var trailers = Metadata()
            trailers.add("x-detail-bin", bytes: [0, 1, 2, 0xFF])
            throw RPCError(
                code: StatusCode(rawValue: Int(parts[0])!),
                message: parts.count > 1 ? String(parts[1]) : "", metadata: trailers)
        }

        // Sends one message, then fails: the status travels in trailers.
        router.register("/test.Echo/FailAfterSend") { call in
            try await call.send(bytes("partial"))
            throw RPCError(code: .aborted, message: "stopped after one message")
        }

        // A non-RPC error: the client must see UNKNOWN and no detail.
        router.register("/test.Echo/Throw") { _ in
            struct Secret: Error {}
            throw Secret()
        }

        // "N": N messages "0" ... "N-1".
        router.register("/test.Echo/ServerStream") { call in
            var count = 0
            for try await message in call.requests { count = Int(text(message)) ?? 0 }
            for index in 0..<count { try await call.send(bytes(String(index))) }
        }

        // Counts the bytes of every message; answers with the count and the number of
        // messages as "bytes/messages".
        router.register("/test.Echo/ClientStream") { call in
            var total = 0
            var messages = 0
            for try await message in call.requests {
                total += message.count
                messages += 1
            }
            try await call.send(bytes("\(total)/\(messages)"))
        }

        // Echoes each message as it comes.
        router.register("/test.Echo/Bidi") { call in
            for try await message in call.requests { try await call.send(message) }
        }

        // "N": one message of N bytes.
        router.register("/test.Echo/Size") { call in
            var size = 0
            for try await message in call.requests { size = Int(text(message)) ?? 0 }
            try await call.send([UInt8](repeating: 0x61, count: size))
        }

        // Waits to be cancelled; counts starts and cancellations.
        router.register("/test.Echo/Sleep") { call in
            probe.bump("sleep.started")
            do {
                try await Task.sleep(for: .seconds(600))
            } catch {
                probe.bump("sleep.cancelled")
                throw error
            }
        }

        // Waits for the test's gate, then answers "done".
        router.register("/test.Echo/Gate") { call in
            probe.bump("gate.entered")
            await gate.wait()
            try await call.send(bytes("done"))
        }

        // Sends 1 KiB messages until the call ends; counts what send accepted.
        router.register("/test.Echo/Flood") { call in
            let chunk = [UInt8](repeating: 0x62, count: 1024)
            do {
                while true {
                    try await call.send(chunk)
                    probe.bump("flood.sent", by: chunk.count)
                }
            } catch {
                probe.bump("flood.ended")
                throw error
            }
        }

        // Reads nothing until the gate opens, then counts what arrived.
        router.register("/test.Echo/SlowReader") { call in
            probe.bump("slow.entered")
            await gate.wait()
            var total = 0
            for try await message in call.requests { total += message.count }
            try await call.send(bytes(String(total)))
        }
        return router
    }

    private static func add(_ value: Metadata.Value, _ key: String, to metadata: inout Metadata) {
        switch value {
        case .string(let text): metadata.add(key, text)
        case .binary(let bytes): metadata.add(key, bytes: bytes)
        }
    }
}

/// Starts a server with the test service on 127.0.0.1 and an ephemeral port.
func startTestServer(
    probe: Probe, gate: Gate = Gate(), configure: (inout ServerConfiguration) -> Void = { _ in }
) throws -> GRPCServer {
    var configuration = ServerConfiguration()
    configuration.eventLoops = 2
    configure(&configuration)
    let server = GRPCServer(
        configuration: configuration, router: TestService.router(probe: probe, gate: gate))
    try server.start()
    return server
}
