import Testing
import Transport

/// Our client against Python grpcio's server: what we send must be what grpcio
/// accepts, and we must read what grpcio sends.
@Suite struct GrpcioServerTests {
    /// One grpcio server for the suite: starting Python with grpcio costs about a
    /// second of CPU, and the tests do not disturb each other's calls.
    static let sharedServer = Task { try await PythonServer() }

    func withPythonServer(
        client: ClientConfiguration = .init(),
        _ body: (PythonServer, GRPCChannel) async throws -> Void
    ) async throws {
        let server = try await Self.sharedServer.value
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port, configuration: client)
        try await body(server, channel)
        await channel.close()
    }

    @Test func unaryWithTextAndBinaryMetadata() async throws {
        try await withPythonServer { _, channel in
            var metadata: Metadata = ["x-echo-source": "county"]
            metadata.add("x-echo-key-bin", bytes: [0, 0xFF, 0x10])
            metadata.add("x-trailer-note", "done")
            let reply = try await channel.unary(
                path: "/test.Echo/Unary", request: bytes("受理"), metadata: metadata,
                timeout: .seconds(5))
            #expect(text(reply.message) == "受理")
            #expect(reply.initialMetadata["x-echo-source"] == "county")
            #expect(reply.initialMetadata.first(for: "x-echo-key-bin") == .binary([0, 0xFF, 0x10]))
            #expect(reply.trailingMetadata["x-trailer-note"] == "done")
        }
    }

    @Test func requestHeadersAreWhatGrpcioExpects() async throws {
        try await withPythonServer { _, channel in
            var metadata: Metadata = ["x-plain": "a b"]
            metadata.add("x-raw-bin", bytes: [1, 2, 3, 4, 5])
            let reply = try await channel.unary(
                path: "/test.Echo/Metadata", request: [], metadata: metadata)
            let lines = text(reply.message).split(separator: "\n").map(String.init)
            #expect(lines.contains("x-plain=a b"))
            #expect(lines.contains("x-raw-bin=0102030405"))
            #expect(lines.contains { $0.hasPrefix("user-agent=") })
        }
    }

    @Test func timeoutIsSentAsGrpcTimeout() async throws {
        try await withPythonServer { _, channel in
            let reply = try await channel.unary(
                path: "/test.Echo/TimeoutLeft", request: [], timeout: .seconds(7))
            let left = try #require(Double(text(reply.message)))
            #expect(left > 5 && left <= 7)
        }
    }

    @Test func everyStatusCodeWithPercentEncodedMessages() async throws {
        try await withPythonServer { _, channel in
            for code in 1...16 {
                let message = "审批超期 100% (code \(code))"
                let error = await #expect(throws: RPCError.self) {
                    _ = try await channel.unary(
                        path: "/test.Echo/Fail", request: bytes("\(code):\(message)"))
                }
                #expect(error?.code == StatusCode(rawValue: code))
                #expect(error?.message == message)
                #expect(error?.metadata.first(for: "x-detail-bin") == .binary([0, 1, 2, 0xFF]))
            }
            let unknown = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(path: "/test.Echo/Nope", request: [])
            }
            #expect(unknown?.code == .unimplemented)
        }
    }

    @Test func serverClientAndBidirectionalStreams() async throws {
        try await withPythonServer { _, channel in
            let server = try await channel.makeCall(path: "/test.Echo/ServerStream")
            try await server.send(bytes("300"))
            try await server.finishSending()
            var received: [String] = []
            for try await message in server.responses { received.append(text(message)) }
            #expect(received == (0..<300).map(String.init))

            let client = try await channel.makeCall(path: "/test.Echo/ClientStream")
            for index in 0..<200 { try await client.send([UInt8](repeating: 1, count: index)) }
            try await client.finishSending()
            var replies: [String] = []
            for try await message in client.responses { replies.append(text(message)) }
            #expect(replies == ["\((0..<200).reduce(0, +))/200"])

            let bidi = try await channel.makeCall(path: "/test.Echo/Bidi")
            var iterator = bidi.responses.makeAsyncIterator()
            for index in 0..<100 {
                try await bidi.send(bytes("m\(index)"))
                #expect(try await iterator.next().map(text) == "m\(index)")
            }
            try await bidi.finishSending()
            #expect(try await iterator.next() == nil)
        }
    }

    @Test func deadlineExceededAndTheServerSeesIt() async throws {
        try await withPythonServer { server, channel in
            let call = Task {
                try await channel.unary(
                    path: "/test.Echo/Sleep", request: bytes("deadline"), timeout: .seconds(2))
            }
            _ = try await server.peer.waitForLine(startingWith: "STARTED deadline")
            let result = await call.result
            let error = #expect(throws: RPCError.self) { try result.get() }
            #expect(error?.code == .deadlineExceeded)
            _ = try await server.peer.waitForLine(startingWith: "CANCELLED deadline")
        }
    }

    @Test func clientCancelReachesTheServer() async throws {
        try await withPythonServer { server, channel in
            let call = try await channel.makeCall(path: "/test.Echo/Sleep")
            try await call.send(bytes("client-cancel"))
            try await call.finishSending()
            _ = try await server.peer.waitForLine(startingWith: "STARTED client-cancel")
            call.cancel()
            let error = await #expect(throws: RPCError.self) {
                for try await _ in call.responses {}
            }
            #expect(error?.code == .cancelled)
            _ = try await server.peer.waitForLine(startingWith: "CANCELLED client-cancel")
        }
    }

    @Test func serverCancellationEndsTheCall() async throws {
        try await withPythonServer { _, channel in
            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(path: "/test.Echo/CancelMe", request: [])
            }
            #expect(error?.code == .cancelled || error?.code == .unavailable)
        }
    }

    @Test func fourMebibytesBothWaysAndOneByteMore() async throws {
        let limit = 4 * 1024 * 1024
        try await withPythonServer { _, channel in
            // grpcio's server refuses requests over its 4 MiB default.
            let atLimit = try await channel.unary(
                path: "/test.Echo/ClientStream", request: [UInt8](repeating: 7, count: limit))
            #expect(text(atLimit.message) == "\(limit)/1")
            let over = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(
                    path: "/test.Echo/ClientStream",
                    request: [UInt8](repeating: 7, count: limit + 1))
            }
            #expect(over?.code == .resourceExhausted)

            // Our client refuses responses over its 4 MiB default.
            let big = try await channel.unary(path: "/test.Echo/Size", request: bytes("\(limit)"))
            #expect(big.message.count == limit)
            let tooBig = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(
                    path: "/test.Echo/Size", request: bytes("\(limit + 1)"))
            }
            #expect(tooBig?.code == .resourceExhausted)

            let after = try await channel.unary(path: "/test.Echo/Unary", request: bytes("ok"))
            #expect(text(after.message) == "ok")
        }
    }

    @Test func lostConnectionIsUnavailableAndTheNextCallReconnects() async throws {
        let first = try await PythonServer()
        let channel = GRPCChannel(host: "127.0.0.1", port: first.port)
        let call = try await channel.makeCall(path: "/test.Echo/Sleep")
        try await call.send(bytes("lost"))
        try await call.finishSending()
        _ = try await first.peer.waitForLine(startingWith: "STARTED lost")
        first.stop()
        let error = await #expect(throws: RPCError.self) {
            for try await _ in call.responses {}
        }
        #expect(error?.code == .unavailable)

        // Nothing listens there now: the next call connects again and fails UNAVAILABLE.
        let refused = await #expect(throws: RPCError.self) {
            _ = try await channel.unary(path: "/test.Echo/Unary", request: [])
        }
        #expect(refused?.code == .unavailable)
        await channel.close()
    }
}
