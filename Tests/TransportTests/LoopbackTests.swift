import Testing
import Transport

/// Our client against our server over 127.0.0.1: the four call kinds and the
/// behaviours that need both ends to be ours to observe (handler cancellation,
/// backpressure, shutdown).
@Suite struct LoopbackTests {
    @Test func unaryEchoesMessageAndMetadata() async throws {
        let probe = Probe()
        let server = try startTestServer(probe: probe)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
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
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
    }
}

extension LoopbackTests {
    /// Runs `body` against a fresh server and channel, and shuts both down after.
    func withServer(
        probe: Probe = Probe(), gate: Gate = Gate(),
        configure: (inout ServerConfiguration) -> Void = { _ in },
        client: ClientConfiguration = .init(),
        _ body: (GRPCServer, GRPCChannel) async throws -> Void
    ) async throws {
        let server = try startTestServer(probe: probe, gate: gate, configure: configure)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port, configuration: client)
        do {
            try await body(server, channel)
        } catch {
            await channel.close()
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func serverStreamingDeliversEveryMessageInOrder() async throws {
        try await withServer { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/ServerStream")
            try await call.send(bytes("500"))
            try await call.finishSending()
            var received: [String] = []
            for try await message in call.responses { received.append(text(message)) }
            #expect(received == (0..<500).map(String.init))
        }
    }

    @Test func clientStreamingCountsWhatWasSent() async throws {
        try await withServer { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/ClientStream")
            for index in 0..<300 {
                try await call.send([UInt8](repeating: 1, count: index))
            }
            try await call.finishSending()
            var replies: [String] = []
            for try await message in call.responses { replies.append(text(message)) }
            #expect(replies == ["\((0..<300).reduce(0, +))/300"])
        }
    }

    @Test func clientStreamingWithNoMessages() async throws {
        try await withServer { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/ClientStream")
            try await call.finishSending()
            var replies: [String] = []
            for try await message in call.responses { replies.append(text(message)) }
            #expect(replies == ["0/0"])
        }
    }

    @Test func bidirectionalEchoesInLockstep() async throws {
        try await withServer { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/Bidi")
            var iterator = call.responses.makeAsyncIterator()
            for index in 0..<200 {
                try await call.send(bytes("m\(index)"))
                let echoed = try await iterator.next()
                #expect(echoed.map(text) == "m\(index)")
            }
            try await call.finishSending()
            #expect(try await iterator.next() == nil)
        }
    }

    @Test func statusCodesAndMessagesSurviveTheTrip() async throws {
        try await withServer { _, channel in
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
        }
    }

    @Test func statusAfterMessagesArrivesInTrailers() async throws {
        try await withServer { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/FailAfterSend")
            try await call.finishSending()
            var received: [String] = []
            let error = await #expect(throws: RPCError.self) {
                for try await message in call.responses { received.append(text(message)) }
            }
            #expect(received == ["partial"])
            #expect(error?.code == .aborted)
            #expect(error?.message == "stopped after one message")
        }
    }

    @Test func nonRPCErrorBecomesUnknownWithoutDetail() async throws {
        try await withServer { _, channel in
            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(path: "/test.Echo/Throw", request: [])
            }
            #expect(error?.code == .unknown)
            #expect(error?.message.contains("Secret") == false)
        }
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        try await withServer { _, channel in
            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(path: "/test.Echo/Nope", request: [])
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("/test.Echo/Nope") == true)
        }
    }

    @Test func deadlineCancelsTheHandlerAndEndsTheCall() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { _, channel in
            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(
                    path: "/test.Echo/Sleep", request: [], timeout: .seconds(1))
            }
            #expect(error?.code == .deadlineExceeded)
            await probe.wait(for: "sleep.cancelled")
            #expect(probe.value("sleep.cancelled") == 1)
        }
    }

    @Test func clientCancelCancelsTheServerHandler() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { _, channel in
            let call = try await channel.makeCall(path: "/test.Echo/Sleep")
            try await call.finishSending()
            await probe.wait(for: "sleep.started")
            call.cancel()
            let error = await #expect(throws: RPCError.self) {
                for try await _ in call.responses {}
            }
            #expect(error?.code == .cancelled)
            await probe.wait(for: "sleep.cancelled")
            #expect(probe.value("sleep.cancelled") == 1)
        }
    }

    @Test func cancellingTheCallersTaskCancelsTheCall() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { _, channel in
            let task = Task {
                try await channel.unary(path: "/test.Echo/Sleep", request: [])
            }
            await probe.wait(for: "sleep.started")
            task.cancel()
            let result = await task.result
            #expect(throws: RPCError.self) { try result.get() }
            await probe.wait(for: "sleep.cancelled")
        }
    }

    @Test func messageAtTheLimitPassesAndOneByteMoreIsRefused() async throws {
        try await withServer { _, channel in
            let limit = 4 * 1024 * 1024
            let atLimit = try await channel.unary(
                path: "/test.Echo/ClientStream", request: [UInt8](repeating: 7, count: limit))
            #expect(text(atLimit.message) == "\(limit)/1")

            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(
                    path: "/test.Echo/ClientStream",
                    request: [UInt8](repeating: 7, count: limit + 1))
            }
            #expect(error?.code == .resourceExhausted)

            // The connection survives the refusal.
            let after = try await channel.unary(path: "/test.Echo/Unary", request: bytes("ok"))
            #expect(text(after.message) == "ok")
        }
    }

    @Test func clientRefusesResponsesOverItsLimit() async throws {
        var client = ClientConfiguration()
        client.maxReceiveMessageBytes = 1000
        try await withServer(client: client) { _, channel in
            let fits = try await channel.unary(path: "/test.Echo/Size", request: bytes("1000"))
            #expect(fits.message.count == 1000)
            let error = await #expect(throws: RPCError.self) {
                _ = try await channel.unary(path: "/test.Echo/Size", request: bytes("1001"))
            }
            #expect(error?.code == .resourceExhausted)
        }
    }

    @Test func manyConcurrentCallsShareOneConnection() async throws {
        try await withServer { server, channel in
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        text(try await channel.unary(
                            path: "/test.Echo/Unary", request: bytes("c\(index)")).message)
                    }
                }
                var replies = Set<String>()
                for try await reply in group { replies.insert(reply) }
                #expect(replies == Set((0..<200).map { "c\($0)" }))
            }
            #expect(server.counters.connectionsTotal == 1)
            #expect(channel.counters.connectionsTotal == 1)
        }
    }
}
