import Messages
import Services
import Transport

/// The responses of a streaming call, in the order the server sent them.
///
/// Iterate once. The sequence ends when the server ends the call with OK and
/// throws `MonitorError` for any other status; cancelling the iterating task
/// cancels the call.
public struct StreamedResponses<Response: ProtoMessage>: AsyncSequence, Sendable {
    /// One response message.
    public typealias Element = Response
    /// Always a `MonitorError`.
    public typealias Failure = any Error

    let stream: ResponseStream<Response>
    let path: String

    /// Reads one response at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var raw: ResponseStream<Response>.AsyncIterator
        let path: String

        /// The next response; nil once the call ended with OK.
        ///
        /// - Throws: `MonitorError` with the call's status.
        public mutating func next() async throws -> Response? {
            do {
                return try await raw.next()
            } catch {
                throw MonitorError(error, path: path)
            }
        }
    }

    /// Makes the one iterator the sequence supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: stream.makeAsyncIterator(), path: path)
    }

    /// The trailing metadata once the call ended with OK.
    ///
    /// - Throws: `MonitorError` when it ended with any other status.
    public func trailingMetadata() async throws -> Metadata {
        do {
            return try await stream.trailingMetadata()
        } catch {
            throw MonitorError(error, path: path)
        }
    }

    /// Cancels the call; the server sees it cancelled.
    public func cancel() { stream.cancel() }
}

/// A call that streams requests and responses independently, such as
/// `IntakeService/ReportEvents`.
///
/// ```swift
/// let call = try await client.intake.reportEvents()
/// try await call.send(event)
/// try await call.finishSending()
/// for try await ack in call.responses { print(ack.status) }
/// ```
public struct BidirectionalStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    let call: StreamingCall<Request, Response>
    let path: String

    /// Sends one request; suspends while the server's flow control pushes back.
    ///
    /// - Throws: `MonitorError` once the call has ended.
    public func send(_ request: Request) async throws {
        do {
            try await call.send(request)
        } catch {
            throw MonitorError(error, path: path)
        }
    }

    /// Ends the request stream; the server sees no more requests.
    public func finishSending() async throws {
        do {
            try await call.finishSending()
        } catch {
            throw MonitorError(error, path: path)
        }
    }

    /// The responses; iterate once.
    public var responses: StreamedResponses<Response> {
        StreamedResponses(stream: call.responses, path: path)
    }

    /// Cancels the call in both directions.
    public func cancel() { call.cancel() }
}

/// A call that streams requests and gets one response.
public struct ClientStreamingCall<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    let call: StreamingCall<Request, Response>
    let path: String

    /// Sends one request; suspends while the server's flow control pushes back.
    ///
    /// - Throws: `MonitorError` once the call has ended.
    public func send(_ request: Request) async throws {
        do {
            try await call.send(request)
        } catch {
            throw MonitorError(error, path: path)
        }
    }

    /// Ends the requests and returns the server's one response.
    ///
    /// - Throws: `MonitorError` with the call's status.
    public func finish() async throws -> Response {
        do {
            return try await call.finish()
        } catch {
            throw MonitorError(error, path: path)
        }
    }

    /// Cancels the call.
    public func cancel() { call.cancel() }
}
