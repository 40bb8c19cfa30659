import Messages
import Transport

/// What a typed handler knows about its call besides the messages: the
/// client's metadata, its deadline and its address.
public struct ServerContext: Sendable {
    /// Path, metadata, deadline and peer, as the transport saw them.
    public let call: ServerCallContext
    private let raw: ServerCall

    init(_ raw: ServerCall) {
        self.raw = raw
        self.call = raw.context
    }

    /// The client's custom metadata.
    public var metadata: Metadata { call.requestMetadata }

    /// The method's path, `/package.Service/Method`.
    public var path: String { call.path }

    /// The client's address, as `ipv4:127.0.0.1:53122`.
    public var peer: String { call.peer }

    /// Sets the metadata sent with the status in the trailers.
    public func setTrailingMetadata(_ metadata: Metadata) {
        raw.setTrailingMetadata(metadata)
    }
}

/// The request messages of a streaming call, decoded as they are taken.
///
/// Taking a message is what lets the client send more (HTTP/2 flow control),
/// so a handler that reads slowly slows its client down instead of buffering.
/// A message that does not decode ends the iteration with INTERNAL, the
/// status gRPC prescribes for an unparseable request.
public struct RequestStream<Message: ProtoMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    public typealias Failure = any Error

    let raw: RequestMessages

    /// Reads and decodes one message at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: RequestMessages.AsyncIterator

        /// The next message, or nil when the client finished sending.
        public mutating func next() async throws -> Message? {
            guard let bytes = try await raw.next() else { return nil }
            return try decodeRequest(Message.self, bytes)
        }
    }

    /// Makes the one iterator the sequence supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: raw.makeAsyncIterator())
    }
}

/// Sends the response messages of a streaming call.
public struct ResponseWriter<Message: ProtoMessage>: Sendable {
    let raw: ServerCall

    /// Sends one message; suspends while the client is not reading and the
    /// queued bytes are above the outbound mark, so a slow client holds the
    /// handler back instead of growing memory.
    public func send(_ message: Message) async throws {
        try await raw.send(message.serializedBytes())
    }

    /// Sends a message already in its wire form, which must be an encoded
    /// `Message`: for a handler that sends the same message to many callers
    /// and encodes it once.
    public func send(serialized bytes: [UInt8]) async throws {
        try await raw.send(bytes)
    }

    /// Sends the response headers now with `metadata`.
    public func sendInitialMetadata(_ metadata: Metadata) async throws {
        try await raw.sendInitialMetadata(metadata)
    }
}

func decodeRequest<Message: ProtoMessage>(
    _ type: Message.Type, _ bytes: [UInt8]
) throws -> Message {
    do {
        return try Message(serializedBytes: bytes)
    } catch {
        throw RPCError(code: .internal, message: "cannot parse the request: \(error)")
    }
}

/// Reads the single request of a unary or server-streaming call.
func singleRequest<Message: ProtoMessage>(
    _ type: Message.Type, from requests: RequestMessages
) async throws -> Message {
    var iterator = requests.makeAsyncIterator()
    guard let first = try await iterator.next() else {
        throw RPCError(code: .internal, message: "the call ended without its request message")
    }
    guard try await iterator.next() == nil else {
        throw RPCError(
            code: .internal, message: "a \(Message.protoMessageName) call takes one request")
    }
    return try decodeRequest(Message.self, first)
}

extension MethodRouter {
    /// Serves a unary method: one request in, one response out.
    ///
    /// ```swift
    /// router.registerUnary(IntakeService.reportEvent) { event, context in
    ///     try await intake.report(event, context)
    /// }
    /// ```
    public mutating func registerUnary<Request, Response>(
        _ method: MethodDescriptor<Request, Response>,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        precondition(method.kind == .unary, "\(method.path) is not unary")
        register(method.path) { call in
            let request = try await singleRequest(Request.self, from: call.requests)
            let response = try await handler(request, ServerContext(call))
            try await call.send(response.serializedBytes())
        }
    }

    /// Serves a server-streaming method: one request in, a stream out.
    public mutating func registerServerStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>,
        _ handler: @escaping @Sendable (
            Request, ResponseWriter<Response>, ServerContext
        ) async throws -> Void
    ) {
        precondition(method.kind == .serverStreaming, "\(method.path) is not server streaming")
        register(method.path) { call in
            let request = try await singleRequest(Request.self, from: call.requests)
            try await handler(request, ResponseWriter(raw: call), ServerContext(call))
        }
    }

    /// Serves a client-streaming method: a stream in, one response out.
    public mutating func registerClientStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>,
        _ handler: @escaping @Sendable (
            RequestStream<Request>, ServerContext
        ) async throws -> Response
    ) {
        precondition(method.kind == .clientStreaming, "\(method.path) is not client streaming")
        register(method.path) { call in
            let response = try await handler(RequestStream(raw: call.requests), ServerContext(call))
            try await call.send(response.serializedBytes())
        }
    }

    /// Serves a bidirectional method: a stream each way.
    public mutating func registerBidirectional<Request, Response>(
        _ method: MethodDescriptor<Request, Response>,
        _ handler: @escaping @Sendable (
            RequestStream<Request>, ResponseWriter<Response>, ServerContext
        ) async throws -> Void
    ) {
        precondition(method.kind == .bidirectionalStreaming, "\(method.path) is not bidirectional")
        register(method.path) { call in
            try await handler(
                RequestStream(raw: call.requests), ResponseWriter(raw: call), ServerContext(call))
        }
    }

    /// Answers every method of a service with UNIMPLEMENTED and a sentence
    /// saying the server does not offer it, rather than the transport's bare
    /// "unknown method": the service is part of the interface standard, just
    /// not served here.
    public mutating func registerNotOffered(_ service: ServiceDescriptor, reason: String) {
        for method in service.methods {
            register(method.path) { _ in
                throw RPCError(code: .unimplemented, message: reason)
            }
        }
    }
}
