/// The one error of the RPC layer: a status code, a message for people, the trailing
/// metadata the peer sent with it, and the local error that caused it, if any.
///
/// A handler throws an `RPCError` to end its call with that status; a client call
/// whose status is not OK throws one from its response sequence.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status code, never `.ok`.
    public var code: StatusCode
    /// What went wrong, in words a caller can act on.
    public var message: String
    /// The trailing metadata that came with the status (custom trailers).
    public var metadata: Metadata
    /// The local error that led to this one, kept for logs; not sent on the wire and
    /// ignored by `==`.
    public var cause: (any Error & Sendable)?

    /// Makes an error with a code, a message and optional trailers and cause.
    public init(
        code: StatusCode, message: String, metadata: Metadata = [:],
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    /// Compares code, message and metadata; the cause is not compared.
    public static func == (lhs: RPCError, rhs: RPCError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.metadata == rhs.metadata
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(metadata)
    }

    /// The code and the message, as `UNAVAILABLE: connection refused`.
    public var description: String {
        message.isEmpty ? code.description : "\(code): \(message)"
    }
}

/// The status a call ended with: a code and a message, OK included.
struct CallStatus: Sendable, Equatable {
    var code: StatusCode
    var message: String

    static let ok = CallStatus(code: .ok, message: "")

    init(code: StatusCode, message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: RPCError) {
        self.code = error.code
        self.message = error.message
    }
}
