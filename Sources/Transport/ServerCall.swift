/// What a handler knows about its call besides the messages.
public struct ServerCallContext: Sendable {
    /// The method's path, `/package.Service/Method`.
    public var path: String
    /// The client's custom metadata (reserved headers removed).
    public var requestMetadata: Metadata
    /// When the client's `grpc-timeout` runs out, if it sent one. The server cancels
    /// the handler's task then and ends the call with DEADLINE_EXCEEDED.
    public var deadline: ContinuousClock.Instant?
    /// The client's address, as `ipv4:127.0.0.1:53122`.
    public var peer: String
}

/// One call as a handler sees it: the request messages in, the response writer out.
///
/// ```swift
/// router.register("/monitor.v1.Echo/Collect") { call in
///     var total = 0
///     for try await message in call.requests { total += message.count }
///     try await call.send(Array("\(total)".utf8))
/// }
/// ```
public final class ServerCall: Sendable {
    /// Path, metadata, deadline and peer.
    public let context: ServerCallContext
    /// The request messages, in order; iterate once. Each message taken lets the
    /// client send more (flow control). Throws `RPCError` when the call is cancelled.
    public let requests: RequestMessages
    private let channel: CallChannel

    init(context: ServerCallContext, channel: CallChannel) {
        self.context = context
        self.channel = channel
        self.requests = RequestMessages(channel: channel)
    }

    /// Sends the response headers with `metadata` now; optional, as the first `send`
    /// sends them otherwise. Throws if they were already sent or the call is over.
    public func sendInitialMetadata(_ metadata: Metadata) async throws {
        try channel.sendResponseHeaders(metadata)
    }

    /// Sends one response message; suspends while the client is not reading and the
    /// queued bytes are above the outbound mark. Throws `RPCError` when the call is
    /// over (cancelled, deadline exceeded).
    public func send(_ message: [UInt8]) async throws {
        try await channel.send(message, startsResponse: true)
    }

    /// Sets the metadata sent in the trailers with the status.
    public func setTrailingMetadata(_ metadata: Metadata) {
        channel.setTrailers(metadata)
    }
}

/// The request messages of a server call, as an async sequence of bytes.
public struct RequestMessages: AsyncSequence, Sendable {
    /// One message's bytes.
    public typealias Element = [UInt8]
    /// The error a failed iteration throws.
    public typealias Failure = any Error

    let channel: CallChannel

    /// Reads messages one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: CallChannel

        /// The next message, or nil when the client finished sending.
        public mutating func next() async throws -> [UInt8]? {
            try await channel.receive()
        }
    }

    /// Makes the one iterator the sequence supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(channel: channel)
    }
}

/// A method's implementation: reads `call.requests`, sends with `call.send`.
///
/// Returning ends the call with OK; throwing an `RPCError` ends it with that status
/// and the error's metadata as trailers; any other error ends it with UNKNOWN and a
/// generic message (the detail is logged, not sent to the client).
public typealias ServerHandler = @Sendable (ServerCall) async throws -> Void

/// Maps method paths to handlers.
public struct MethodRouter: Sendable {
    private var handlers: [String: ServerHandler] = [:]

    /// Makes an empty router.
    public init() {}

    /// Serves `path` (`/package.Service/Method`) with `handler`, replacing any other.
    public mutating func register(_ path: String, _ handler: @escaping ServerHandler) {
        handlers[path] = handler
    }

    /// The handler for `path`, if one is registered.
    public func handler(for path: String) -> ServerHandler? {
        handlers[path]
    }

    /// Every registered path.
    public var paths: [String] { Array(handlers.keys) }
}
