import Synchronization

/// A snapshot of a server's or channel's counters, for metrics.
public struct TransportCounters: Sendable, Equatable {
    /// Connections open now.
    public var connectionsOpen: Int
    /// Connections accepted (server) or established (client) since start.
    public var connectionsTotal: Int
    /// Streams (calls) open now.
    public var streamsOpen: Int
    /// Calls started since start.
    public var callsTotal: Int
    /// Bytes read from sockets.
    public var bytesReceived: Int
    /// Bytes written to sockets.
    public var bytesSent: Int
}

/// The live counters behind `TransportCounters`: relaxed atomics, cheap to bump on
/// the loops and to read from anywhere.
final class CounterSet: Sendable {
    let connectionsOpen = Atomic<Int>(0)
    let connectionsTotal = Atomic<Int>(0)
    let streamsOpen = Atomic<Int>(0)
    let callsTotal = Atomic<Int>(0)
    let bytesReceived = Atomic<Int>(0)
    let bytesSent = Atomic<Int>(0)

    func snapshot() -> TransportCounters {
        TransportCounters(
            connectionsOpen: connectionsOpen.load(ordering: .relaxed),
            connectionsTotal: connectionsTotal.load(ordering: .relaxed),
            streamsOpen: streamsOpen.load(ordering: .relaxed),
            callsTotal: callsTotal.load(ordering: .relaxed),
            bytesReceived: bytesReceived.load(ordering: .relaxed),
            bytesSent: bytesSent.load(ordering: .relaxed))
    }
}
