import Foundation
import Testing
import Transport

/// Peers that break the protocol: each gets the answer the protocol prescribes, and a
/// healthy call on another connection carries on meanwhile.
@Suite struct HostileInputTests {
    /// Runs `attack` while a healthy streaming call is open on another connection, and
    /// checks that the healthy call and a new one both complete.
    func whileHealthyCallRuns(
        probe: Probe = Probe(),
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ attack: (GRPCServer) async throws -> Void
    ) async throws {
        let server = try startTestServer(probe: probe, configure: configure)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let healthy = try await channel.makeCall(path: "/test.Echo/Bidi")
        var replies = healthy.responses.makeAsyncIterator()
        try await healthy.send(bytes("before"))
        #expect(try await replies.next().map(text) == "before")

        try await attack(server)

        try await healthy.send(bytes("after"))
        #expect(try await replies.next().map(text) == "after")
        try await healthy.finishSending()
        #expect(try await replies.next() == nil)
        let fresh = try await channel.unary(path: "/test.Echo/Unary", request: bytes("new"))
        #expect(text(fresh.message) == "new")
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func garbageInsteadOfPrefaceClosesThatConnectionOnly() async throws {
        try await whileHealthyCallRuns { server in
            let raw = try RawHTTP2(port: server.port)
            raw.write(Array("GET / HTTP/1.1\r\nHost: monitor\r\n\r\n".utf8))
            let frames = try #require(raw.readUntilClosed(), "server kept the connection open")
            // If anything came back, it ends with GOAWAY(PROTOCOL_ERROR).
            if let last = frames.last {
                #expect(last.type == 7)
                #expect(last.errorCode == 1)
            }
        }
    }

    @Test func truncatedFrameThenDisconnect() async throws {
        try await whileHealthyCallRuns { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            // Nine-byte header announcing a 100-byte HEADERS frame, then 3 bytes of it.
            raw.write([0, 0, 100, 1, 4, 0, 0, 0, 1, 0x00, 0x05, 0x3A])
            raw.closeWriting()
            #expect(raw.readUntilClosed() != nil, "server kept the connection open")
        }
    }

    @Test func malformedFrameIsAConnectionError() async throws {
        try await whileHealthyCallRuns { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            // A PING must be 8 bytes long; this one has 3: FRAME_SIZE_ERROR.
            raw.write(RawHTTP2.frame(type: 6, flags: 0, stream: 0, payload: [1, 2, 3]))
            let frames = try #require(raw.readUntilClosed(), "server kept the connection open")
            let goaway = try #require(frames.last { $0.type == 7 })
            #expect(goaway.errorCode == 6)
        }
    }

    @Test func disconnectMidCallCancelsTheHandler() async throws {
        let probe = Probe()
        try await whileHealthyCallRuns(probe: probe) { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            raw.write(RawHTTP2.grpcRequest(stream: 1, path: "/test.Echo/Sleep"))
            await probe.wait(for: "sleep.started")
            withExtendedLifetime(raw) {}
            // Dropping the socket without a word.
            _ = consume raw
            await probe.wait(for: "sleep.cancelled")
            #expect(probe.value("sleep.cancelled") == 1)
        }
    }

    @Test func messageAnnouncingFourGibibytesIsRefusedFromItsPrefix() async throws {
        try await whileHealthyCallRuns { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            raw.write(RawHTTP2.grpcRequest(stream: 1, path: "/test.Echo/ClientStream"))
            raw.write(RawHTTP2.data(stream: 1, [0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]))
            // The status arrives (HEADERS with END_STREAM), then RST_STREAM(NO_ERROR)
            // tells the client to stop sending the rest.
            let end = raw.readUntil { $0.stream == 1 && $0.type == 1 && $0.flags & 1 != 0 }
            #expect(end != nil)
            let reset = raw.readUntil { $0.stream == 1 && $0.type == 3 }
            #expect(reset?.errorCode == 0)
            #expect(server.counters.streamsOpen <= 1)
        }
    }

    @Test func tooManyStreamsAreRefused() async throws {
        let probe = Probe()
        try await whileHealthyCallRuns(probe: probe, configure: {
            $0.maxConcurrentStreamsPerConnection = 2
        }) { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            // Three calls at once, before our SETTINGS could be acknowledged.
            for stream: UInt32 in [1, 3, 5] {
                raw.write(RawHTTP2.grpcRequest(stream: stream, path: "/test.Echo/Sleep"))
            }
            let reset = raw.readUntil { $0.type == 3 }
            #expect(reset?.stream == 5)
            #expect(reset?.errorCode == 7)  // REFUSED_STREAM
            await probe.wait(for: "sleep.started", toReach: 2)
        }
    }

    @Test func clientPingingTooOftenIsToldToCalmDown() async throws {
        try await whileHealthyCallRuns(configure: {
            $0.keepalive.minimumClientPingInterval = .seconds(60)
            $0.keepalive.maxPingStrikes = 2
        }) { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            for index: UInt8 in 0..<5 {
                raw.write(RawHTTP2.frame(type: 6, flags: 0, stream: 0,
                                         payload: [UInt8](repeating: index, count: 8)))
            }
            let frames = try #require(raw.readUntilClosed(), "server kept the connection open")
            let goaway = try #require(frames.last { $0.type == 7 })
            #expect(goaway.errorCode == 0xB)  // ENHANCE_YOUR_CALM
            #expect(text(Array(goaway.payload.dropFirst(8))) == "too_many_pings")
        }
    }

    @Test func silentPeerIsPingedThenDropped() async throws {
        try await whileHealthyCallRuns(configure: {
            // The healthy connection answers pings too, from a loop shared with every
            // other test of the run: the timeout leaves it room.
            $0.keepalive.interval = .milliseconds(300)
            $0.keepalive.timeout = .seconds(2)
        }) { server in
            let raw = try RawHTTP2(port: server.port)
            raw.handshake()
            // Never answer the server's PING.
            let frames = try #require(raw.readUntilClosed(), "server kept the connection open")
            #expect(frames.contains { $0.type == 6 && $0.flags & 1 == 0 })
        }
    }
}

/// gRPC-level misbehaviour sent by nghttp2's own client (`nghttp`): answers are read
/// from its decoded trace.
@Suite struct NghttpClientTests {
    static let nghttp = "/usr/bin/nghttp"

    func request(
        port: Int, path: String, body: [UInt8], headers: [String] = []
    ) async throws -> String {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("nghttp-body-\(UInt64.random(in: 0...UInt64.max))")
        try Data(body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = ["-v", "-d", file.path]
        let defaults = ["content-type: application/grpc", "te: trailers"]
        for header in headers.isEmpty ? defaults : headers { arguments += ["-H", header] }
        arguments.append("http://127.0.0.1:\(port)\(path)")
        let (_, output) = try await runCommand(Self.nghttp, arguments)
        return output
    }

    func withServer(_ body: (GRPCServer) async throws -> Void) async throws {
        let server = try startTestServer(probe: Probe())
        try await body(server)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test
    func wellFormedCallSucceeds() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/Unary", body: [0, 0, 0, 0, 2, 0x68, 0x69])
            #expect(trace.contains("grpc-status: 0"))
            #expect(trace.contains(":status: 200"))
        }
    }

    @Test
    func hugeAnnouncedMessageIsResourceExhausted() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/ClientStream",
                body: [0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2])
            #expect(trace.contains("grpc-status: 8"))
        }
    }

    @Test
    func compressedFlagIsInternal() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/ClientStream", body: [1, 0, 0, 0, 1, 0x41])
            #expect(trace.contains("grpc-status: 13"))
        }
    }

    @Test
    func truncatedMessageIsInternal() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/ClientStream", body: [0, 0, 0, 0, 16, 0x41])
            #expect(trace.contains("grpc-status: 13"))
            #expect(trace.contains("grpc-message: request ended inside a message"))
        }
    }

    @Test
    func wrongContentTypeIs415() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/Unary", body: [0, 0, 0, 0, 0],
                headers: ["content-type: text/plain", "te: trailers"])
            #expect(trace.contains(":status: 415"))
        }
    }

    @Test
    func unsupportedCompressionIsUnimplementedWithAcceptEncoding() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/Unary", body: [0, 0, 0, 0, 0],
                headers: ["content-type: application/grpc", "te: trailers",
                          "grpc-encoding: gzip"])
            #expect(trace.contains("grpc-status: 12"))
            #expect(trace.contains("grpc-accept-encoding: identity"))
        }
    }

    @Test
    func serverEnforcesTheTimeoutOfAClientThatDoesNot() async throws {
        // nghttp sends grpc-timeout as a plain header and never enforces it itself.
        let probe = Probe()
        let server = try startTestServer(probe: probe)
        let trace = try await request(
            port: server.port, path: "/test.Echo/Sleep", body: [0, 0, 0, 0, 0],
            headers: ["content-type: application/grpc", "te: trailers", "grpc-timeout: 300m"])
        #expect(trace.contains("grpc-status: 4"))
        await probe.wait(for: "sleep.cancelled")
        await server.shutdown(gracePeriod: .seconds(1))
    }

    @Test
    func unknownMethodIsUnimplemented() async throws {
        try await withServer { server in
            let trace = try await request(
                port: server.port, path: "/test.Echo/Missing", body: [0, 0, 0, 0, 0])
            #expect(trace.contains("grpc-status: 12"))
            #expect(trace.contains("grpc-message: unknown method /test.Echo/Missing"))
        }
    }
}
