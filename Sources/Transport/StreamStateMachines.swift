/// The server's view of one HTTP/2 stream, named by both peers' states: whether the
/// client's request is still open and whether the server's response has started.
///
/// The connection asks it what each event means (a second HEADERS is trailers, DATA
/// after the request ended is a protocol error, a status before any header is a
/// Trailers-Only response, a status while the client still sends is followed by
/// RST_STREAM(NO_ERROR)), so those rules live in one place that the tests drive
/// without sockets.
struct ServerStreamState: Equatable {
    /// Both peers' states.
    enum Phase: Equatable {
        /// No request headers yet.
        case clientIdleServerIdle
        /// Request headers received; no response yet.
        case clientOpenServerIdle
        /// Request open; response headers sent.
        case clientOpenServerOpen
        /// Request complete (END_STREAM); no response yet.
        case clientClosedServerIdle
        /// Request complete; response headers sent.
        case clientClosedServerOpen
        /// Status sent while the client may still send.
        case clientOpenServerClosed
        /// Both done.
        case clientClosedServerClosed
        /// A peer reset the stream; nothing more moves.
        case reset
    }

    /// How the status leaves the server.
    enum StatusShape: Equatable {
        /// In the only HEADERS frame, with END_STREAM: nothing was sent before.
        case trailersOnly
        /// In trailers after the response headers and messages.
        case trailers
        /// The stream is already closed or reset: send nothing.
        case none
    }

    private(set) var phase: Phase = .clientIdleServerIdle

    /// Whether the client may still send request messages.
    var isClientOpen: Bool {
        switch phase {
        case .clientOpenServerIdle, .clientOpenServerOpen, .clientOpenServerClosed: return true
        default: return false
        }
    }

    /// Whether the server may still send (headers, messages or the status).
    var isServerOpen: Bool {
        switch phase {
        case .clientIdleServerIdle, .clientOpenServerIdle, .clientOpenServerOpen,
            .clientClosedServerIdle, .clientClosedServerOpen:
            return true
        default: return false
        }
    }

    /// Whether the response headers went out.
    var hasSentHeaders: Bool {
        phase == .clientOpenServerOpen || phase == .clientClosedServerOpen
    }

    /// The first HEADERS of the stream; returns false if this is not the first.
    mutating func receiveRequestHeaders(endStream: Bool) -> Bool {
        guard phase == .clientIdleServerIdle else { return false }
        phase = endStream ? .clientClosedServerIdle : .clientOpenServerIdle
        return true
    }

    /// DATA on the stream; false when the request had already ended (a protocol error
    /// nghttp2 normally catches first).
    func receiveData() -> Bool {
        isClientOpen
    }

    /// END_STREAM from the client, on DATA or on trailers.
    mutating func receiveEndOfRequest() {
        switch phase {
        case .clientOpenServerIdle: phase = .clientClosedServerIdle
        case .clientOpenServerOpen: phase = .clientClosedServerOpen
        case .clientOpenServerClosed: phase = .clientClosedServerClosed
        default: break
        }
    }

    /// The response headers are about to go out; returns false if they already did or
    /// the stream can no longer carry them.
    mutating func sendResponseHeaders() -> Bool {
        switch phase {
        case .clientOpenServerIdle:
            phase = .clientOpenServerOpen
            return true
        case .clientClosedServerIdle:
            phase = .clientClosedServerOpen
            return true
        default:
            return false
        }
    }

    /// The status is about to go out; says in which shape.
    mutating func sendStatus() -> StatusShape {
        switch phase {
        case .clientOpenServerIdle:
            phase = .clientOpenServerClosed
            return .trailersOnly
        case .clientClosedServerIdle:
            phase = .clientClosedServerClosed
            return .trailersOnly
        case .clientOpenServerOpen:
            phase = .clientOpenServerClosed
            return .trailers
        case .clientClosedServerOpen:
            phase = .clientClosedServerClosed
            return .trailers
        default:
            return .none
        }
    }

    /// After the status went out: whether the client still sends and should be told to
    /// stop with RST_STREAM(NO_ERROR).
    var needsResetAfterStatus: Bool {
        phase == .clientOpenServerClosed
    }

    /// RST_STREAM in either direction, or the connection's end.
    mutating func reset() {
        phase = .reset
    }
}

/// The client's view of one HTTP/2 stream: whether it still sends, and how far the
/// server's response has come.
struct ClientStreamState: Equatable {
    /// Both peers' states.
    enum Phase: Equatable {
        case clientOpenServerIdle
        case clientOpenServerOpen
        case clientClosedServerIdle
        case clientClosedServerOpen
        /// The server's status arrived (or the call failed); nothing more is accepted.
        case serverClosed
    }

    /// What a received HEADERS frame means.
    enum HeadersOutcome: Equatable {
        /// The response headers, with the server's initial metadata.
        case initialMetadata(Metadata)
        /// The call's end: its status and trailing metadata (also for Trailers-Only).
        case status(CallStatus, Metadata)
    }

    private(set) var phase: Phase = .clientOpenServerIdle

    /// The client half-closed its side.
    mutating func finishSending() {
        switch phase {
        case .clientOpenServerIdle: phase = .clientClosedServerIdle
        case .clientOpenServerOpen: phase = .clientClosedServerOpen
        default: break
        }
    }

    /// Whether the server's response headers arrived.
    var hasReceivedHeaders: Bool {
        phase == .clientOpenServerOpen || phase == .clientClosedServerOpen
    }

    /// Interprets a HEADERS frame from the server.
    mutating func receiveHeaders(_ fields: [HeaderField], endStream: Bool) -> HeadersOutcome {
        switch phase {
        case .clientOpenServerIdle, .clientClosedServerIdle:
            return receiveFirstHeaders(fields, endStream: endStream)
        case .clientOpenServerOpen, .clientClosedServerOpen:
            phase = .serverClosed
            guard endStream else {
                return .status(
                    CallStatus(
                        code: .internal,
                        message: "server sent a second HEADERS frame that does not end "
                            + "the stream"), [:])
            }
            return Self.parseStatus(fields)
        case .serverClosed:
            return .status(
                CallStatus(code: .internal, message: "server sent HEADERS after its status"),
                [:])
        }
    }

    private mutating func receiveFirstHeaders(
        _ fields: [HeaderField], endStream: Bool
    ) -> HeadersOutcome {
        let statusText = fields.first { $0.name == ":status" }?.text
        guard let statusText, let httpStatus = Int(statusText) else {
            phase = .serverClosed
            return .status(
                CallStatus(code: .internal, message: "response has no valid :status"), [:])
        }
        if httpStatus != 200 {
            phase = .serverClosed
            return .status(
                CallStatus(
                    code: StatusCode.fromHTTPStatus(httpStatus),
                    message: "server answered with HTTP status \(httpStatus)"), [:])
        }
        if endStream {
            phase = .serverClosed
            return Self.parseStatus(fields)
        }
        let contentType = fields.first { $0.name == "content-type" }?.text
        guard let contentType, RequestChecks.isGRPCContentType(contentType) else {
            phase = .serverClosed
            return .status(
                CallStatus(
                    code: .unknown,
                    message: "response content-type is '\(contentType ?? "none")', "
                        + "not application/grpc"), [:])
        }
        var metadata = Metadata()
        for field in fields {
            do {
                try metadata.appendFromWire(name: field.name, value: field.value)
            } catch {
                phase = .serverClosed
                return .status(CallStatus(error), [:])
            }
        }
        phase = phase == .clientOpenServerIdle ? .clientOpenServerOpen : .clientClosedServerOpen
        return .initialMetadata(metadata)
    }

    /// DATA from the server: an error when no response headers came first.
    func receiveData() -> CallStatus? {
        hasReceivedHeaders
            ? nil
            : CallStatus(code: .internal, message: "server sent DATA before response headers")
    }

    /// The stream ended (END_STREAM on DATA, or closed) without the server's status.
    mutating func receiveEndWithoutStatus() -> CallStatus {
        phase = .serverClosed
        return CallStatus(code: .internal, message: "server closed the stream without a status")
    }

    /// The call ended locally (cancelled, deadline, limit, lost connection).
    mutating func close() {
        phase = .serverClosed
    }

    /// Whether the server's status or a local end has closed the call.
    var isClosed: Bool { phase == .serverClosed }

    /// Reads `grpc-status`, `grpc-message` and the trailing metadata.
    static func parseStatus(_ fields: [HeaderField]) -> HeadersOutcome {
        var metadata = Metadata()
        for field in fields {
            do {
                try metadata.appendFromWire(name: field.name, value: field.value)
            } catch {
                return .status(CallStatus(error), [:])
            }
        }
        guard let codeText = fields.first(where: { $0.name == "grpc-status" })?.text else {
            return .status(
                CallStatus(code: .unknown, message: "server's trailers carry no grpc-status"),
                metadata)
        }
        guard let code = Int(codeText), code >= 0 else {
            return .status(
                CallStatus(code: .unknown, message: "grpc-status '\(codeText)' is not a number"),
                metadata)
        }
        let message = fields.first { $0.name == "grpc-message" }.map {
            PercentEncoding.decode($0.value)
        }
        return .status(CallStatus(code: StatusCode(rawValue: code), message: message ?? ""),
            metadata)
    }

    /// The status for an RST_STREAM that ends a call before its status, as the gRPC
    /// HTTP/2 protocol maps the HTTP/2 error codes.
    static func status(forReset errorCode: UInt32) -> CallStatus {
        switch errorCode {
        case 0x7:  // REFUSED_STREAM: the server did not process it; safe to retry.
            return CallStatus(code: .unavailable, message: "server refused the stream")
        case 0x8:
            return CallStatus(code: .cancelled, message: "server cancelled the call")
        case 0xB:
            return CallStatus(
                code: .resourceExhausted, message: "server says: enhance your calm")
        case 0xC:
            return CallStatus(code: .permissionDenied, message: "inadequate security")
        default:
            return CallStatus(
                code: .internal, message: "server reset the stream (HTTP/2 error \(errorCode))")
        }
    }
}
