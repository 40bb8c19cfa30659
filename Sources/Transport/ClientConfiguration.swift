/// How a `GRPCChannel` connects and what it accepts from the server.
public struct ClientConfiguration: Sendable {
    /// The largest response message accepted, in bytes; a larger one ends the call
    /// with RESOURCE_EXHAUSTED before any of it is buffered. Default 4 MiB.
    public var maxReceiveMessageBytes: Int = 4 * 1024 * 1024
    /// How long connecting may take before calls on the connection fail UNAVAILABLE.
    public var connectTimeout: Duration = .seconds(10)
    /// Pings that detect a dead connection; off by default.
    public var keepalive = ClientKeepalive()
    /// The HTTP/2 receive window of each stream, in bytes.
    public var initialWindowSize: Int = 256 * 1024
    /// The receive window of the connection, across its streams, in bytes.
    public var connectionWindowSize: Int = 1024 * 1024
    /// Bytes a caller may queue for sending before `send` suspends.
    public var outboundBufferMark: Int = 64 * 1024
    /// Response bytes queued for the caller beyond which the window stops reopening.
    public var inboundBufferMark: Int = 64 * 1024
    /// The `:authority` sent; default `host:port`.
    public var authority: String? = nil
    /// The `user-agent` sent.
    public var userAgent: String = "approval-monitor-transport/1"

    /// The defaults: 4 MiB messages, a 10 s connect timeout, no keepalive pings.
    public init() {}
}

/// The client's keepalive pings.
public struct ClientKeepalive: Sendable {
    /// Ping the server after this long without a frame from it; nil never pings.
    public var interval: Duration? = nil
    /// Close the connection when a ping's acknowledgement takes longer than this.
    public var timeout: Duration = .seconds(20)
    /// Whether to ping while no call is open (servers may object, see the gRPC
    /// keepalive rules).
    public var permitWithoutCalls: Bool = false

    /// No pings.
    public init() {}
}
