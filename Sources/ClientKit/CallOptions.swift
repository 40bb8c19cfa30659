import Transport

/// Per-call settings: how long the call may take and extra metadata.
///
/// ```swift
/// let view = try await client.cases.getCase(
///     GetCaseRequest(departmentCode: "330101-LAND", caseID: "2026-0001"),
///     options: .timeout(.seconds(5)))
/// ```
public struct CallOptions: Sendable {
    /// How long the call may take before it fails with DEADLINE_EXCEEDED; the
    /// server is told too (`grpc-timeout`). Nil uses the client's default for
    /// unary calls and no limit for streams.
    public var timeout: Duration?
    /// Metadata sent with this call, after the client's own (the token).
    public var metadata: Metadata

    /// Makes options; the defaults change nothing.
    public init(timeout: Duration? = nil, metadata: Metadata = [:]) {
        self.timeout = timeout
        self.metadata = metadata
    }

    /// Options with only a timeout.
    public static func timeout(_ timeout: Duration) -> CallOptions {
        CallOptions(timeout: timeout)
    }
}
