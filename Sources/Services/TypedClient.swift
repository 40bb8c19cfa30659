import Messages
import Transport

/// Calls the methods of the interface standard over one channel, with typed
/// messages, default metadata (such as the bearer token) and a default
/// timeout.
///
/// ```swift
/// let client = RPCClient(
///     channel: GRPCChannel(host: "127.0.0.1", port: 50051),
///     metadata: ["authorization": "Bearer mon_..."])
/// let ack = try await client.unary(IntakeService.reportEvent, event)
/// ```
public struct RPCClient: Sendable {
    /// The channel calls go over.
    public let channel: GRPCChannel
    /// Metadata sent with every call; a call's own metadata is added after it.
    public var metadata: Metadata
    /// The timeout of calls that give none; nil waits as long as it takes.
    public var defaultTimeout: Duration?

    /// Makes a client over `channel`.
    public init(channel: GRPCChannel, metadata: Metadata = [:], defaultTimeout: Duration? = nil) {
        self.channel = channel
        self.metadata = metadata
        self.defaultTimeout = defaultTimeout
    }

    private func merged(_ extra: Metadata) -> Metadata {
        var all = metadata
        for (key, value) in extra {
            switch value {
            case .string(let text): all.add(key, text)
            case .binary(let bytes): all.add(key, bytes: bytes)
            }
        }
        return all
    }

    /// Calls a unary method and returns its response.
    ///
    /// - Throws: `RPCError` with the server's status, or INTERNAL when the
    ///   response does not decode.
    public func unary<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request,
        metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws -> Response {
        let response = try await channel.unary(
            path: method.path, request: request.serializedBytes(),
            metadata: merged(metadata), timeout: timeout ?? defaultTimeout)
        return try decodeResponse(Response.self, response.message)
    }

    /// Calls a server-streaming method; iterate the result for the responses.
    public func serverStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request,
        metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws -> ResponseStream<Response> {
        let call = try await channel.makeCall(
            path: method.path, metadata: merged(metadata), timeout: timeout ?? defaultTimeout)
        try await call.send(request.serializedBytes())
        try await call.finishSending()
        return ResponseStream(call: call)
    }

    /// Starts a client-streaming or bidirectional call: send requests, finish
    /// sending, and read the responses.
    public func streaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>,
        metadata: Metadata = [:], timeout: Duration? = nil
    ) async throws -> StreamingCall<Request, Response> {
        precondition(method.kind.clientStreams, "\(method.path) does not stream requests")
        let call = try await channel.makeCall(
            path: method.path, metadata: merged(metadata), timeout: timeout ?? defaultTimeout)
        return StreamingCall(call: call)
    }
}

func decodeResponse<Message: ProtoMessage>(
    _ type: Message.Type, _ bytes: [UInt8]
) throws -> Message {
    do {
        return try Message(serializedBytes: bytes)
    } catch {
        throw RPCError(code: .internal, message: "cannot parse the response: \(error)")
    }
}

/// The typed responses of a call; ends on an OK status and throws any other
/// as `RPCError`.
public struct ResponseStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    public typealias Failure = any Error

    let call: ClientCall

    /// Reads and decodes one response at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: ResponseMessages.AsyncIterator

        /// The next response; nil after an OK status.
        public mutating func next() async throws -> Message? {
            guard let bytes = try await raw.next() else { return nil }
            return try decodeResponse(Message.self, bytes)
        }
    }

    /// Makes the one iterator the sequence supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: call.responses.makeAsyncIterator())
    }

    /// The server's trailing metadata once the call ended with OK; throws any
    /// other status as `RPCError`, with its trailers.
    public func trailingMetadata() async throws -> Metadata {
        try await call.trailingMetadata()
    }

    /// Cancels the call; the server's handler is cancelled.
    public func cancel() { call.cancel() }
}

/// A call that streams requests: send, finish, and read.
public struct StreamingCall<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    let call: ClientCall

    /// Sends one request; suspends while the server's flow control pushes
    /// back.
    public func send(_ request: Request) async throws {
        try await call.send(request.serializedBytes())
    }

    /// Ends the request stream.
    public func finishSending() async throws {
        try await call.finishSending()
    }

    /// The responses.
    public var responses: ResponseStream<Response> { ResponseStream(call: call) }

    /// For client-streaming calls: finishes sending and returns the one
    /// response.
    public func finish() async throws -> Response {
        try await finishSending()
        var result: Response?
        for try await response in responses {
            guard result == nil else {
                throw RPCError(code: .internal, message: "expected one response, got more")
            }
            result = response
        }
        guard let result else {
            throw RPCError(code: .internal, message: "the call ended without its response")
        }
        return result
    }

    /// Cancels the call; the server's handler is cancelled.
    public func cancel() { call.cancel() }
}
