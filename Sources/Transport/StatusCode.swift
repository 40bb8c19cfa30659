/// A gRPC status code: the outcome of a call, carried in the `grpc-status` trailer.
///
/// The code is a struct rather than an enum so that a code this module does not
/// know (a future addition to the protocol) survives a round trip unchanged.
public struct StatusCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code's number as it appears on the wire.
    public let rawValue: Int

    /// Wraps any number, including one the protocol has not assigned yet.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// The call succeeded.
    public static let ok = StatusCode(rawValue: 0)
    /// The call was cancelled, usually by the caller.
    public static let cancelled = StatusCode(rawValue: 1)
    /// An error with no better code, or an error from another error space.
    public static let unknown = StatusCode(rawValue: 2)
    /// The caller sent an argument that is invalid whatever the system's state.
    public static let invalidArgument = StatusCode(rawValue: 3)
    /// The deadline passed before the call completed.
    public static let deadlineExceeded = StatusCode(rawValue: 4)
    /// A requested entity was not found.
    public static let notFound = StatusCode(rawValue: 5)
    /// An entity the caller tried to create already exists.
    public static let alreadyExists = StatusCode(rawValue: 6)
    /// The caller may not do this.
    public static let permissionDenied = StatusCode(rawValue: 7)
    /// A resource (memory, a quota, a message size limit) is used up.
    public static let resourceExhausted = StatusCode(rawValue: 8)
    /// The system is not in the state the call requires.
    public static let failedPrecondition = StatusCode(rawValue: 9)
    /// The call was aborted, typically by a concurrency conflict.
    public static let aborted = StatusCode(rawValue: 10)
    /// An argument lies outside the valid range.
    public static let outOfRange = StatusCode(rawValue: 11)
    /// The method is not implemented or not supported.
    public static let unimplemented = StatusCode(rawValue: 12)
    /// An invariant of the system or the protocol was broken.
    public static let `internal` = StatusCode(rawValue: 13)
    /// The service is unavailable for now; retrying may succeed.
    public static let unavailable = StatusCode(rawValue: 14)
    /// Data was lost or corrupted beyond recovery.
    public static let dataLoss = StatusCode(rawValue: 15)
    /// The caller has no valid credentials.
    public static let unauthenticated = StatusCode(rawValue: 16)

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]

    /// The code's name as the protocol spells it, such as `DEADLINE_EXCEEDED`.
    public var description: String {
        if rawValue >= 0 && rawValue < Self.names.count {
            return Self.names[rawValue]
        }
        return "CODE_\(rawValue)"
    }

    /// The status a client derives from an HTTP status other than 200, as the gRPC
    /// HTTP-to-status mapping prescribes.
    static func fromHTTPStatus(_ status: Int) -> StatusCode {
        switch status {
        case 400: return .internal
        case 401: return .unauthenticated
        case 403: return .permissionDenied
        case 404: return .unimplemented
        case 429, 502, 503, 504: return .unavailable
        default: return .unknown
        }
    }
}
