import Messages
import Services
import Transport

/// What every generated service client calls through: the typed layer, the
/// client's default timeout for unary calls, and the mapping of every failure
/// to `MonitorError`.
struct ServiceCaller: Sendable {
    let rpc: RPCClient
    /// The timeout of unary calls that give none; streams have no default.
    let unaryTimeout: Duration?

    func unary<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request,
        options: CallOptions
    ) async throws -> Response {
        do {
            return try await rpc.unary(
                method, request, metadata: options.metadata,
                timeout: options.timeout ?? unaryTimeout)
        } catch {
            throw MonitorError(error, path: method.path)
        }
    }

    func serverStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request,
        options: CallOptions
    ) async throws -> StreamedResponses<Response> {
        do {
            let stream = try await rpc.serverStreaming(
                method, request, metadata: options.metadata, timeout: options.timeout)
            return StreamedResponses(stream: stream, path: method.path)
        } catch {
            throw MonitorError(error, path: method.path)
        }
    }

    func clientStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, options: CallOptions
    ) async throws -> ClientStreamingCall<Request, Response> {
        do {
            let call = try await rpc.streaming(
                method, metadata: options.metadata, timeout: options.timeout)
            return ClientStreamingCall(call: call, path: method.path)
        } catch {
            throw MonitorError(error, path: method.path)
        }
    }

    func bidirectionalStreaming<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, options: CallOptions
    ) async throws -> BidirectionalStreamingCall<Request, Response> {
        do {
            let call = try await rpc.streaming(
                method, metadata: options.metadata, timeout: options.timeout)
            return BidirectionalStreamingCall(call: call, path: method.path)
        } catch {
            throw MonitorError(error, path: method.path)
        }
    }
}
