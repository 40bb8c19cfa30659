import Glibc
import Synchronization

/// A client's connection to one gRPC server, `host:port`, over HTTP/2 cleartext.
///
/// The channel connects on the first call and multiplexes every call on that one
/// connection. When the connection is lost, its calls fail with UNAVAILABLE and the
/// next call connects again; when the server sends GOAWAY, calls in flight finish and
/// new ones go to a new connection.
///
/// ```swift
/// let channel = GRPCChannel(host: "127.0.0.1", port: 50051)
/// let reply = try await channel.unary(
///     path: "/monitor.v1.Echo/Say", request: Array("hi".utf8), timeout: .seconds(2))
/// await channel.close()
/// ```
public final class GRPCChannel: Sendable {
    private let host: String
    private let port: Int
    private let core: ClientCore
    private let loop: EventLoop
    private let state = Mutex(ChannelState())

    private struct ChannelState {
        var connection: ClientConnection? = nil
        var addresses: [SocketAddress]? = nil
        var nextCall = 0
        var closed = false
    }

    /// Makes a channel; nothing connects until the first call.
    public init(host: String, port: Int, configuration: ClientConfiguration = .init()) {
        self.host = host
        self.port = port
        let authority = configuration.authority ?? "\(host):\(port)"
        core = ClientCore(configuration: configuration, authority: authority)
        loop = ClientLoop.shared
    }

    /// A channel that tries `addresses` in turn instead of resolving `host`: for
    /// tests of a host whose first addresses fail.
    convenience init(
        host: String, port: Int, addresses: [SocketAddress],
        configuration: ClientConfiguration = .init()
    ) {
        self.init(host: host, port: port, configuration: configuration)
        state.withLock { $0.addresses = addresses }
    }

    /// The channel's counters: connections, streams, bytes.
    public var counters: TransportCounters {
        core.counters.snapshot()
    }

    /// Starts a call of any kind. Send requests with `send`, end them with
    /// `finishSending`, and read `responses`; the status ends the responses. A
    /// `timeout` is sent as `grpc-timeout` and enforced here too (DEADLINE_EXCEEDED).
    public func makeCall(
        path: String, metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws -> ClientCall {
        let deadline = timeout.map { Monotonic.after($0) }
        let addresses = try resolvedAddresses()
        let configuration = core.configuration

        let (connection, number, isNew) = try state.withLock {
            (state) throws(RPCError) -> (ClientConnection, Int, Bool) in
            guard !state.closed else {
                throw RPCError(code: .unavailable, message: "the channel is closed")
            }
            state.nextCall += 1
            if let current = state.connection, current.acceptsCalls.load(ordering: .relaxed) {
                return (current, state.nextCall, false)
            }
            let fresh = try ClientConnection(
                loop: loop, core: core, addresses: addresses,
                onRetired: { [weak self] retired in self?.forget(retired) })
            state.connection = fresh
            return (fresh, state.nextCall, true)
        }
        if isNew {
            loop.execute { connection.connect() }
        }

        let box = StreamBox()
        let channel = CallChannel(
            inboundMark: configuration.inboundBufferMark,
            outboundMark: configuration.outboundBufferMark,
            wake: { [weak box, loop] in
                guard let stream = box?.stream else { return }
                loop.execute { connection.visit(stream) }
            })
        let stream = ClientStream(
            number: number, channel: channel, path: path, metadata: metadata,
            deadline: deadline, limit: configuration.maxReceiveMessageBytes)
        box.stream = stream
        loop.execute { connection.start(stream) }
        return ClientCall(channel: channel, keepAlive: box)
    }

    /// Makes a unary call: one request, one response.
    public func unary(
        path: String, request: [UInt8], metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws -> UnaryResponse {
        let call = try await makeCall(path: path, metadata: metadata, timeout: timeout)
        try await call.send(request)
        try await call.finishSending()
        var messages: [[UInt8]] = []
        for try await message in call.responses {
            messages.append(message)
        }
        guard messages.count == 1 else {
            throw RPCError(
                code: .internal,
                message: "a unary call expects one response message, got \(messages.count)")
        }
        return UnaryResponse(
            message: messages[0], initialMetadata: try await call.initialMetadata(),
            trailingMetadata: try await call.trailingMetadata())
    }

    /// Refuses new calls and closes the connection once its calls have ended.
    public func close() async {
        let connection = state.withLock { state -> ClientConnection? in
            state.closed = true
            let connection = state.connection
            state.connection = nil
            return connection
        }
        if let connection {
            loop.execute { connection.closeWhenIdle() }
        }
    }

    private func resolvedAddresses() throws(RPCError) -> [SocketAddress] {
        if let cached = state.withLock({ $0.addresses }) { return cached }
        // The connection tries the addresses in turn; IPv4 goes first because servers
        // here bind 127.0.0.1 while "localhost" may resolve to ::1 first, and a
        // refused or unreachable address costs little but a timed-out one a whole
        // connect timeout.
        let addresses = try Sockets.resolve(host: host, port: port).sorted {
            $0.family == AF_INET && $1.family != AF_INET
        }
        guard !addresses.isEmpty else {
            throw RPCError(code: .unavailable, message: "host '\(host)' has no address")
        }
        state.withLock { $0.addresses = addresses }
        return addresses
    }

    private func forget(_ connection: ClientConnection) {
        state.withLock { state in
            if state.connection === connection {
                state.connection = nil
            }
        }
    }
}

/// Holds a call's loop-side record for the call's lifetime; the wake-up closure looks
/// it up weakly so the record and the shared channel do not keep each other alive.
final class StreamBox: @unchecked Sendable {
    // Invariant: `stream` is set once, before the box is shared.
    var stream: ClientStream? = nil
}

/// The event loop every channel of the process shares: one thread is plenty for a
/// client, and channels stay cheap.
enum ClientLoop {
    static let shared: EventLoop = {
        let loop = try! EventLoop(name: "client-loop")
        loop.start()
        return loop
    }()
}
