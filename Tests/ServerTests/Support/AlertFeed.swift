import Foundation
import Messages
import Services
import Synchronization
import Transport

/// A `WatchAlerts` call read in the background: what it received so far,
/// and how it ended.
final class AlertFeed: Sendable {
    private struct State {
        var transitions: [Messages.AlertTransition] = []
        var heartbeats: [Heartbeat] = []
        /// The status the call ended with: nil for OK.
        var ending: (any Error)?
        var ended = false
    }

    /// The state, in an object of its own so that the reading task can hold
    /// it without holding the feed.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared = Shared()
    private let stream: ResponseStream<WatchAlertsResponse>
    private let reader: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts watching with `request` as `client`.
    init(_ client: RPCClient, _ request: WatchAlertsRequest) async throws {
        stream = try await client.serverStreaming(
            AlertService.watchAlerts, request, timeout: .seconds(600))
        let stream = self.stream
        let task = Task { [shared] in
            do {
                for try await response in stream {
                    shared.state.withLock { state in
                        switch response.message {
                        case .transition(let transition): state.transitions.append(transition)
                        case .heartbeat(let beat): state.heartbeats.append(beat)
                        case nil: break
                        }
                    }
                }
                shared.state.withLock { $0.ended = true }
            } catch {
                shared.state.withLock {
                    $0.ending = error
                    $0.ended = true
                }
            }
        }
        reader.withLock { $0 = task }
    }

    /// A watch of everything `client` may see, from the oldest kept
    /// transition, with a heartbeat after `heartbeat` seconds of silence.
    convenience init(
        _ client: RPCClient, after sequence: UInt64 = 0, heartbeat: UInt32 = 1,
        filter: Messages.AlertFilter? = nil
    ) async throws {
        var request = WatchAlertsRequest()
        request.afterSequence = sequence
        request.heartbeatSeconds = heartbeat
        request.filter = filter
        try await self.init(client, request)
    }

    var transitions: [Messages.AlertTransition] { shared.state.withLock { $0.transitions } }
    var heartbeats: [Heartbeat] { shared.state.withLock { $0.heartbeats } }
    var hasEnded: Bool { shared.state.withLock { $0.ended } }
    /// The error the call ended with, as the transport reported it.
    var ending: (any Error)? { shared.state.withLock { $0.ending } }

    /// The alerts raised so far, in the order they were raised.
    var raised: [Messages.Alert] {
        transitions.filter { $0.kind == .raised }.compactMap(\.alert)
    }

    /// Waits until the transitions received satisfy `condition`; `what`
    /// names it in the failure.
    func wait(
        timeout: Duration = .seconds(20), for what: String,
        _ condition: @escaping @Sendable ([Messages.AlertTransition]) -> Bool
    ) async throws {
        let met = await eventually(timeout: timeout) { [self] in condition(transitions) }
        if !met {
            let received = transitions.map {
                "\($0.sequence) \($0.kind) \($0.alert?.rule ?? .unspecified)"
            }
            throw HarnessError(
                "the watch did not receive \(what) in \(timeout); it has \(received)"
                    + (ending.map { "; it ended with \($0)" } ?? ""))
        }
    }

    /// Waits for a heartbeat after the ones already received: proof that
    /// the server had nothing to send for a heartbeat interval.
    func waitForNextHeartbeat(timeout: Duration = .seconds(20)) async throws -> Heartbeat {
        let seen = heartbeats.count
        let met = await eventually(timeout: timeout) { [self] in heartbeats.count > seen }
        guard met else { throw HarnessError("no heartbeat arrived in \(timeout)") }
        return heartbeats[seen]
    }

    /// Waits for the call to end and returns its error (nil for OK).
    func waitForEnd(timeout: Duration = .seconds(20)) async throws -> (any Error)? {
        let met = await eventually(timeout: timeout) { [self] in hasEnded }
        guard met else { throw HarnessError("the watch did not end in \(timeout)") }
        return ending
    }

    /// Cancels the call.
    func cancel() {
        stream.cancel()
        reader.withLock { $0 }?.cancel()
    }

    deinit {
        stream.cancel()
    }
}
