import Testing
@testable import Transport

/// The per-stream state machines and the request checks, without sockets.
@Suite struct StateMachineTests {
    func request(
        method: String = "POST", contentType: String? = "application/grpc",
        path: String = "/test.Echo/Unary", te: String? = "trailers",
        extra: [HeaderField] = []
    ) -> [HeaderField] {
        var fields = [HeaderField(":method", method), HeaderField(":path", path)]
        if let contentType { fields.append(HeaderField("content-type", contentType)) }
        if let te { fields.append(HeaderField("te", te)) }
        return fields + extra
    }

    func check(_ fields: [HeaderField]) -> Result<RequestHead, RequestRejection> {
        RequestChecks.check(fields) { $0 == "/test.Echo/Unary" }
    }

    @Test func wellFormedRequestIsAccepted() throws {
        let head = try check(
            request(
                contentType: "application/grpc+proto",
                extra: [HeaderField("grpc-timeout", "5S"), HeaderField("x-source", "county"),
                        HeaderField("grpc-encoding", "identity")])
        ).get()
        #expect(head.path == "/test.Echo/Unary")
        #expect(head.timeout == .seconds(5))
        #expect(head.metadata["x-source"] == "county")
        #expect(head.metadata.count == 1)
    }

    @Test func checksRunInTheProtocolsOrder() {
        // Everything is wrong: the method is reported first.
        var all = request(method: "GET", contentType: "text/html", path: "bad", te: nil)
        all.append(HeaderField("grpc-encoding", "gzip"))
        guard case .failure(let byMethod) = check(all) else { Issue.record(); return }
        #expect(byMethod.httpStatus == 405)

        // Then the content type (HTTP 415) ...
        var rest = request(contentType: "text/html", path: "bad", te: nil)
        rest.append(HeaderField("grpc-encoding", "gzip"))
        guard case .failure(let byType) = check(rest) else { Issue.record(); return }
        #expect(byType.httpStatus == 415)

        // ... the path ...
        var pathAndLater = request(path: "bad", te: nil)
        pathAndLater.append(HeaderField("grpc-encoding", "gzip"))
        guard case .failure(let byPath) = check(pathAndLater) else { Issue.record(); return }
        #expect(byPath.error.code == .unimplemented)
        #expect(byPath.error.message.contains(":path"))

        // ... the encoding, answered with what we accept ...
        var encodingAndTE = request(te: nil)
        encodingAndTE.append(HeaderField("grpc-encoding", "gzip"))
        guard case .failure(let byEncoding) = check(encodingAndTE) else { Issue.record(); return }
        #expect(byEncoding.error.code == .unimplemented)
        #expect(byEncoding.extraHeaders.contains { $0 == ("grpc-accept-encoding", "identity") })

        // ... then te.
        guard case .failure(let byTE) = check(request(te: nil)) else { Issue.record(); return }
        #expect(byTE.error.message.contains("te"))

        // An unknown method is UNIMPLEMENTED, after every check.
        guard case .failure(let unknown) = check(request(path: "/test.Echo/Other")) else {
            Issue.record(); return
        }
        #expect(unknown.error.code == .unimplemented)
        #expect(unknown.httpStatus == 200)
    }

    @Test func malformedTimeoutAndBinaryMetadataAreRejected() {
        let timeout = check(request(extra: [HeaderField("grpc-timeout", "soon")]))
        guard case .failure(let badTimeout) = timeout else { Issue.record(); return }
        #expect(badTimeout.error.message.contains("soon"))

        let binary = check(request(extra: [HeaderField("x-key-bin", "***")]))
        guard case .failure(let badBinary) = binary else { Issue.record(); return }
        #expect(badBinary.error.message.contains("x-key-bin"))
    }

    @Test func contentTypeVariants() {
        #expect(RequestChecks.isGRPCContentType("application/grpc"))
        #expect(RequestChecks.isGRPCContentType("application/grpc+proto"))
        #expect(RequestChecks.isGRPCContentType("application/grpc;charset=utf-8"))
        #expect(!RequestChecks.isGRPCContentType("application/grpcx"))
        #expect(!RequestChecks.isGRPCContentType("application/json"))
    }

    // MARK: Server stream

    @Test func statusBeforeAnythingElseIsTrailersOnly() {
        var state = ServerStreamState()
        let accepted = state.receiveRequestHeaders(endStream: false)
        #expect(accepted)
        let shape = state.sendStatus()
        #expect(shape == .trailersOnly)
        #expect(state.needsResetAfterStatus)
        #expect(!state.isServerOpen)
    }

    @Test func statusAfterHeadersGoesInTrailers() {
        var state = ServerStreamState()
        let accepted = state.receiveRequestHeaders(endStream: true)
        let first = state.sendResponseHeaders()
        let second = state.sendResponseHeaders()
        #expect(accepted && first && !second)
        let shape = state.sendStatus()
        #expect(shape == .trailers)
        #expect(state.phase == .clientClosedServerClosed)
        #expect(!state.needsResetAfterStatus)
        let again = state.sendStatus()
        #expect(again == .none)
    }

    @Test func earlyStatusWhileTheClientStillSends() {
        var state = ServerStreamState()
        _ = state.receiveRequestHeaders(endStream: false)
        _ = state.sendResponseHeaders()
        let shape = state.sendStatus()
        #expect(shape == .trailers)
        #expect(state.phase == .clientOpenServerClosed)
        #expect(state.needsResetAfterStatus)
        state.receiveEndOfRequest()
        #expect(state.phase == .clientClosedServerClosed)
    }

    @Test func secondRequestHeadersAreRefusedAndResetEndsEverything() {
        var state = ServerStreamState()
        let first = state.receiveRequestHeaders(endStream: false)
        let second = state.receiveRequestHeaders(endStream: false)
        #expect(first && !second)
        state.reset()
        #expect(!state.isClientOpen && !state.isServerOpen)
        let shape = state.sendStatus()
        let headers = state.sendResponseHeaders()
        #expect(shape == .none && !headers)
        #expect(!state.receiveData())
    }

    // MARK: Client stream

    let okHeaders = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")]

    @Test func trailersOnlyResponseCarriesTheStatus() {
        var state = ClientStreamState()
        let outcome = state.receiveHeaders(
            okHeaders + [HeaderField("grpc-status", "5"), HeaderField("grpc-message", "no%20case"),
                         HeaderField("x-hint", "h")], endStream: true)
        let expected = CallStatus(code: .notFound, message: "no case")
        #expect(outcome == .status(expected, ["x-hint": "h"]))
        #expect(state.isClosed)
    }

    @Test func headersThenTrailers() {
        var state = ClientStreamState()
        #expect(state.receiveData() != nil)
        let head = state.receiveHeaders(okHeaders + [HeaderField("x-a", "1")], endStream: false)
        #expect(head == .initialMetadata(["x-a": "1"]))
        #expect(state.receiveData() == nil)
        state.finishSending()
        #expect(state.phase == .clientClosedServerOpen)
        let end = state.receiveHeaders([HeaderField("grpc-status", "0")], endStream: true)
        #expect(end == .status(.ok, [:]))
    }

    @Test func missingOrBrokenStatusIsReported() {
        var noStatus = ClientStreamState()
        _ = noStatus.receiveHeaders(okHeaders, endStream: false)
        guard case .status(let status, _) = noStatus.receiveHeaders([], endStream: true) else {
            Issue.record(); return
        }
        #expect(status.code == .unknown)

        var notANumber = ClientStreamState()
        guard case .status(let bad, _) = notANumber.receiveHeaders(
            okHeaders + [HeaderField("grpc-status", "x")], endStream: true)
        else { Issue.record(); return }
        #expect(bad.code == .unknown)

        var noTrailers = ClientStreamState()
        _ = noTrailers.receiveHeaders(okHeaders, endStream: false)
        #expect(noTrailers.receiveEndWithoutStatus().code == .internal)
    }

    @Test(arguments: [(400, StatusCode.internal), (401, .unauthenticated), (403, .permissionDenied),
                      (404, .unimplemented), (429, .unavailable), (502, .unavailable),
                      (503, .unavailable), (504, .unavailable), (500, .unknown)])
    func httpStatusesMapToGRPCCodes(http: Int, code: StatusCode) {
        var state = ClientStreamState()
        guard case .status(let status, _) = state.receiveHeaders(
            [HeaderField(":status", String(http))], endStream: true)
        else { Issue.record(); return }
        #expect(status.code == code)
    }

    @Test func wrongContentTypeAndNonTrailingSecondHeaders() {
        var wrongType = ClientStreamState()
        guard case .status(let typeStatus, _) = wrongType.receiveHeaders(
            [HeaderField(":status", "200"), HeaderField("content-type", "text/html")],
            endStream: false)
        else { Issue.record(); return }
        #expect(typeStatus.code == .unknown)

        var twice = ClientStreamState()
        _ = twice.receiveHeaders(okHeaders, endStream: false)
        guard case .status(let second, _) = twice.receiveHeaders(okHeaders, endStream: false)
        else { Issue.record(); return }
        #expect(second.code == .internal)
    }

    @Test func resetCodesMapAsTheProtocolSays() {
        #expect(ClientStreamState.status(forReset: 0x7).code == .unavailable)
        #expect(ClientStreamState.status(forReset: 0x8).code == .cancelled)
        #expect(ClientStreamState.status(forReset: 0xB).code == .resourceExhausted)
        #expect(ClientStreamState.status(forReset: 0xC).code == .permissionDenied)
        #expect(ClientStreamState.status(forReset: 0x2).code == .internal)
    }
}
