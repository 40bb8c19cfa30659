import Glibc

/// How a `GRPCServer` listens and what it allows its peers.
public struct ServerConfiguration: Sendable {
    /// The address to bind: `127.0.0.1` (default), `0.0.0.0`, `::`, or a host name.
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 picks a free port, readable from `GRPCServer.port`.
    public var port: Int = 0
    /// Event loop threads; connections are spread across them. Default: one per core.
    public var eventLoops: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// The largest request message accepted, in bytes; a larger one ends the call
    /// with RESOURCE_EXHAUSTED before any of it is buffered. Default 4 MiB.
    public var maxReceiveMessageBytes: Int = 4 * 1024 * 1024
    /// SETTINGS_MAX_CONCURRENT_STREAMS: calls one connection may have open at once;
    /// streams beyond it are refused with REFUSED_STREAM.
    public var maxConcurrentStreamsPerConnection: Int = 100
    /// Connections open at once; further connections are closed as they arrive.
    public var maxConnections: Int = 10_000
    /// The HTTP/2 receive window of each stream, in bytes: how much a client may send
    /// ahead of a handler that does not read.
    public var initialWindowSize: Int = 256 * 1024
    /// The receive window of each connection, across its streams, in bytes.
    public var connectionWindowSize: Int = 1024 * 1024
    /// Bytes a handler may queue for sending before `send` suspends.
    public var outboundBufferMark: Int = 64 * 1024
    /// Request bytes queued for a handler beyond which the window stops reopening.
    public var inboundBufferMark: Int = 64 * 1024
    /// Pings, and what the server tolerates from clients' pings.
    public var keepalive = ServerKeepalive()
    /// How long calls may run after `shutdown` began when no grace period is given.
    public var gracefulShutdownTimeout: Duration = .seconds(30)
    /// Where log lines go.
    public var logger: TransportLogger = .none

    /// The defaults: 127.0.0.1 on a free port, 4 MiB messages, 100 streams per
    /// connection, one loop per core.
    public init() {}
}

/// The server's keepalive: pinging idle clients, and policing clients' pings as the
/// gRPC keepalive rules describe.
public struct ServerKeepalive: Sendable {
    /// Ping a client after this long without a frame from it; nil never pings.
    /// Default 2 hours, as gRPC servers do.
    public var interval: Duration? = .seconds(7200)
    /// Close the connection when a ping's acknowledgement takes longer than this.
    public var timeout: Duration = .seconds(20)
    /// The shortest interval a client may ping at; pings sooner are strikes.
    public var minimumClientPingInterval: Duration = .seconds(300)
    /// Strikes tolerated; one more earns GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings").
    public var maxPingStrikes: Int = 2

    /// The defaults above.
    public init() {}
}
