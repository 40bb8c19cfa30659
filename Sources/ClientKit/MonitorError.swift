import Transport

/// The error of every ClientKit call: the gRPC status code, the server's
/// message, which method failed, and the trailing metadata.
///
/// The server's messages name the field, the value and what was expected, so
/// `description` is fit to show or log as it is:
/// `monitor.v1.CaseService/GetCase: NOT_FOUND: no case 2026-0001 in 330101-LAND`.
///
/// ```swift
/// do {
///     _ = try await client.cases.getCase(request)
/// } catch let error as MonitorError where error.isRetryable {
///     // try again later
/// }
/// ```
public struct MonitorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status code the call ended with; never OK.
    public var code: StatusCode
    /// What went wrong, in the server's (or the client's) words.
    public var message: String
    /// The method, as "monitor.v1.IntakeService/ReportEvents"; empty when the
    /// error came from no call.
    public var method: String
    /// The trailing metadata the server sent with the status.
    public var metadata: Metadata

    /// Makes an error.
    public init(code: StatusCode, message: String, method: String = "", metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.method = method
        self.metadata = metadata
    }

    /// Wraps whatever a call threw: an `RPCError` keeps its code and metadata,
    /// a cancellation becomes CANCELLED, anything else UNKNOWN.
    init(_ error: any Error, path: String) {
        let method = path.hasPrefix("/") ? String(path.dropFirst()) : path
        switch error {
        case let error as MonitorError:
            self = error
        case let error as RPCError:
            self.init(code: error.code, message: error.message, method: method,
                      metadata: error.metadata)
        case is CancellationError:
            self.init(code: .cancelled, message: "the calling task was cancelled",
                      method: method)
        default:
            self.init(code: .unknown, message: "\(error)", method: method)
        }
    }

    /// Whether the same call may succeed later without any change: the server
    /// was unreachable or busy, or the call ran out of time.
    ///
    /// For a call that changes something, a retry after DEADLINE_EXCEEDED may
    /// repeat the change; reporting events is safe to retry because the server
    /// answers a resent event as a duplicate.
    public var isRetryable: Bool {
        code == .unavailable || code == .deadlineExceeded || code == .resourceExhausted
            || code == .aborted
    }

    /// The server does not know the token: none was given, it is mistyped, or
    /// it was revoked (UNAUTHENTICATED).
    public var isUnauthenticated: Bool { code == .unauthenticated }

    /// The token's role may not make this call, or may not touch this
    /// department's data (PERMISSION_DENIED).
    public var isPermissionDenied: Bool { code == .permissionDenied }

    /// The request was wrong; the message names the field (INVALID_ARGUMENT).
    public var isInvalidArgument: Bool { code == .invalidArgument }

    /// What the request names does not exist (NOT_FOUND).
    public var isNotFound: Bool { code == .notFound }

    /// The call's timeout passed before it completed (DEADLINE_EXCEEDED).
    public var isDeadlineExceeded: Bool { code == .deadlineExceeded }

    /// The call was cancelled, usually because the calling task was (CANCELLED).
    public var isCancelled: Bool { code == .cancelled }

    /// "method: CODE: message", leaving out what is empty.
    public var description: String {
        var text = method.isEmpty ? "" : "\(method): "
        text += code.description
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}
