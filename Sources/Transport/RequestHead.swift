/// A header field as it arrived: the name lowercase (HTTP/2 requires it), the value raw.
struct HeaderField: Sendable, Equatable {
    var name: String
    var value: [UInt8]

    init(_ name: String, _ value: [UInt8]) {
        self.name = name
        self.value = value
    }

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = Array(value.utf8)
    }

    var text: String { String(decoding: value, as: UTF8.self) }
}

/// What the server learned from a request's headers once they passed every check.
struct RequestHead: Sendable, Equatable {
    /// `/package.Service/Method`.
    var path: String
    /// The caller's custom metadata.
    var metadata: Metadata
    /// The caller's `grpc-timeout`, if it sent one.
    var timeout: Duration?
}

/// How the server turns down a request before any handler runs: a Trailers-Only
/// response with this HTTP status, gRPC status and extra headers.
struct RequestRejection: Error, Equatable {
    var httpStatus: Int
    var error: RPCError
    var extraHeaders: [(String, String)]

    init(httpStatus: Int = 200, code: StatusCode, message: String,
         extraHeaders: [(String, String)] = []) {
        self.httpStatus = httpStatus
        self.error = RPCError(code: code, message: message)
        self.extraHeaders = extraHeaders
    }

    static func == (lhs: RequestRejection, rhs: RequestRejection) -> Bool {
        lhs.httpStatus == rhs.httpStatus && lhs.error == rhs.error
            && lhs.extraHeaders.elementsEqual(rhs.extraHeaders) { $0 == $1 }
    }
}

/// The server's checks of a request's headers, in the order the gRPC HTTP/2 protocol
/// lists them: method, content type, path, message encoding, `te`; then the timeout,
/// the metadata and finally whether a handler serves the path.
enum RequestChecks {
    /// The only message encoding this transport speaks.
    static let acceptEncoding = "identity"

    /// Checks `fields` and returns the request head, or the response that rejects it.
    static func check(
        _ fields: [HeaderField], isKnownPath: (String) -> Bool
    ) -> Result<RequestHead, RequestRejection> {
        func value(_ name: String) -> [UInt8]? {
            fields.first { $0.name == name }?.value
        }

        let method = value(":method").map { String(decoding: $0, as: UTF8.self) }
        guard method == "POST" else {
            return .failure(
                RequestRejection(
                    httpStatus: 405, code: .internal,
                    message: "gRPC requires :method POST, got \(method ?? "none")"))
        }

        let contentType = value("content-type").map { String(decoding: $0, as: UTF8.self) }
        guard let contentType, isGRPCContentType(contentType) else {
            return .failure(
                RequestRejection(
                    httpStatus: 415, code: .internal,
                    message: "content-type must be application/grpc, got "
                        + (contentType ?? "none")))
        }

        let path = value(":path").map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard isWellFormedPath(path) else {
            return .failure(
                RequestRejection(
                    code: .unimplemented,
                    message: ":path must be /service/method, got '\(path)'"))
        }

        if let encoding = value("grpc-encoding"), encoding != Array(acceptEncoding.utf8) {
            let name = String(decoding: encoding, as: UTF8.self)
            return .failure(
                RequestRejection(
                    code: .unimplemented,
                    message: "message encoding '\(name)' is not supported; "
                        + "this server accepts \(acceptEncoding)",
                    extraHeaders: [("grpc-accept-encoding", acceptEncoding)]))
        }

        guard value("te") == Array("trailers".utf8) else {
            return .failure(
                RequestRejection(
                    code: .internal,
                    message: "te must be 'trailers' (the client must accept trailers)"))
        }

        var timeout: Duration? = nil
        if let text = value("grpc-timeout") {
            guard let parsed = GRPCTimeout.parse(text) else {
                return .failure(
                    RequestRejection(
                        code: .internal,
                        message: "grpc-timeout '\(String(decoding: text, as: UTF8.self))' "
                            + "is not up to 8 digits and a unit (H, M, S, m, u, n)"))
            }
            timeout = parsed
        }

        var metadata = Metadata()
        for field in fields {
            do {
                try metadata.appendFromWire(name: field.name, value: field.value)
            } catch {
                return .failure(RequestRejection(code: error.code, message: error.message))
            }
        }

        guard isKnownPath(path) else {
            return .failure(
                RequestRejection(code: .unimplemented, message: "unknown method \(path)"))
        }
        return .success(RequestHead(path: path, metadata: metadata, timeout: timeout))
    }

    /// `application/grpc`, optionally `+codec` or `;parameters`.
    static func isGRPCContentType(_ value: String) -> Bool {
        let base = "application/grpc"
        guard value.hasPrefix(base) else { return false }
        let rest = value.utf8.dropFirst(base.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: ";")
    }

    /// `/service/method`: two non-empty segments.
    static func isWellFormedPath(_ path: String) -> Bool {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && !parts[1].isEmpty && !parts[2].isEmpty
    }
}
