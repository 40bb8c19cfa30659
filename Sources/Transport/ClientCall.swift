/// One call from the client's side, of any kind: send requests, finish sending, read
/// the responses; the status arrives at the end of `responses`.
///
/// ```swift
/// let call = try await channel.makeCall(path: "/monitor.v1.Echo/Chat", metadata: [:],
///                                       timeout: .seconds(5))
/// try await call.send(Array("hello".utf8))
/// try await call.finishSending()
/// for try await reply in call.responses { print(reply.count) }
/// ```
public final class ClientCall: Sendable {
    private let channel: CallChannel
    /// Keeps the loop's record of the call alive as long as the caller holds the call.
    private let keepAlive: StreamBox

    init(channel: CallChannel, keepAlive: StreamBox) {
        self.channel = channel
        self.keepAlive = keepAlive
    }

    /// Sends one request message; suspends while the server's flow control holds the
    /// queued bytes above the outbound mark. Throws `RPCError` once the call is over.
    public func send(_ message: [UInt8]) async throws {
        if Task.isCancelled {
            channel.cancelByCaller()
        }
        // The cancellation handler is installed only around a suspension: most sends
        // do not suspend, and installing it costs more than the send itself.
        guard try channel.enqueue(message, startsResponse: false) else { return }
        let channel = self.channel
        try await withTaskCancellationHandler {
            try await channel.waitForRoom()
        } onCancel: {
            channel.cancelByCaller()
        }
    }

    /// Ends the request stream (HTTP/2 END_STREAM); the server sees the end of its
    /// request messages.
    public func finishSending() async throws {
        try channel.finishSending()
    }

    /// The response messages; iterate once. Ends normally on an OK status and throws
    /// the status as `RPCError` otherwise. Cancelling the iterating task cancels the
    /// call.
    public var responses: ResponseMessages {
        ResponseMessages(channel: channel)
    }

    /// The server's initial metadata, once its response headers arrived. For a call
    /// that ended before any headers, empty on OK, and the call's error otherwise.
    public func initialMetadata() async throws -> Metadata {
        await withTaskCancellationHandler {
            await channel.waitForHead()
        } onCancel: {
            channel.cancelByCaller()
        }
        let (head, result) = channel.state.withLock { ($0.initialMetadata, $0.result) }
        if let head { return head }
        if let result, result.status.code != .ok {
            throw RPCError(
                code: result.status.code, message: result.status.message,
                metadata: result.trailers)
        }
        return [:]
    }

    /// The server's trailing metadata, once the call ended with OK; for any other
    /// status, throws it as `RPCError` carrying the trailers.
    public func trailingMetadata() async throws -> Metadata {
        await withTaskCancellationHandler {
            await channel.waitForEnd()
        } onCancel: {
            channel.cancelByCaller()
        }
        let result = channel.state.withLock { $0.result }!
        if result.status.code != .ok {
            throw RPCError(
                code: result.status.code, message: result.status.message,
                metadata: result.trailers)
        }
        return result.trailers
    }

    /// Cancels the call: RST_STREAM(CANCEL) goes to the server, whose handler is
    /// cancelled; locally the call ends with CANCELLED. No effect after the end.
    public func cancel() {
        channel.cancelByCaller()
    }
}

/// The response messages of a client call, as an async sequence of bytes.
public struct ResponseMessages: AsyncSequence, Sendable {
    /// One message's bytes.
    public typealias Element = [UInt8]
    /// The error a failed iteration throws: always an `RPCError`.
    public typealias Failure = any Error

    let channel: CallChannel

    /// Reads messages one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: CallChannel

        /// The next message; nil after an OK status; throws any other status.
        public mutating func next() async throws -> [UInt8]? {
            let channel = self.channel
            if Task.isCancelled {
                channel.cancelByCaller()
            }
            if let ready = try channel.tryReceive() {
                return ready
            }
            return try await withTaskCancellationHandler {
                try await channel.receive()
            } onCancel: {
                channel.cancelByCaller()
            }
        }
    }

    /// Makes the one iterator the sequence supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(channel: channel)
    }
}

/// The outcome of a unary call: the response message and the server's metadata.
public struct UnaryResponse: Sendable {
    /// The one response message.
    public var message: [UInt8]
    /// The response headers' metadata.
    public var initialMetadata: Metadata
    /// The trailers' metadata.
    public var trailingMetadata: Metadata
}
