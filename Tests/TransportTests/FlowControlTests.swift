import Synchronization
import Testing
import Transport

/// Backpressure end to end, graceful shutdown and reconnection.
@Suite struct FlowControlTests {
    /// Waits until `value` stops changing for a few samples in a row; returns it.
    /// Used where the claim is "it stops growing": the samples observe a plateau, they
    /// do not order events.
    func plateau(of value: () -> Int) async throws -> Int {
        var last = value()
        var stableSamples = 0
        for _ in 0..<200 {
            try await Task.sleep(for: .milliseconds(25))
            let now = value()
            stableSamples = now == last ? stableSamples + 1 : 0
            last = now
            if stableSamples >= 8 { return now }
        }
        Issue.record("value kept changing: \(last)")
        return last
    }

    @Test func clientThatNeverReadsBoundsWhatTheServerBuffers() async throws {
        let probe = Probe()
        let server = try startTestServer(probe: probe) {
            $0.outboundBufferMark = 64 * 1024
        }
        var client = ClientConfiguration()
        client.initialWindowSize = 64 * 1024
        client.inboundBufferMark = 64 * 1024
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port, configuration: client)
        let call = try await channel.makeCall(path: "/test.Echo/Flood")
        try await call.finishSending()

        await probe.wait(for: "flood.sent", toReach: 64 * 1024)
        let accepted = try await plateau { probe.value("flood.sent") }
        // Server buffer (64 KiB + one message) + the stream window in flight (64 KiB)
        // + the client's queue (64 KiB + one message) + rounding.
        #expect(accepted <= 200 * 1024)
        #expect(server.counters.bytesSent <= 200 * 1024)

        // Reading lets the server go on, and nothing was lost or reordered.
        var iterator = call.responses.makeAsyncIterator()
        var received = 0
        while received < accepted + 256 * 1024 {
            guard let message = try await iterator.next() else { break }
            #expect(message.count == 1024)
            received += message.count
        }
        #expect(probe.value("flood.sent") > accepted)
        call.cancel()
        await probe.wait(for: "flood.ended")
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func serverThatNeverReadsSuspendsTheClientsSend() async throws {
        let probe = Probe()
        let gate = Gate()
        let server = try startTestServer(probe: probe, gate: gate) {
            $0.initialWindowSize = 64 * 1024
            $0.inboundBufferMark = 64 * 1024
        }
        var client = ClientConfiguration()
        client.outboundBufferMark = 64 * 1024
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port, configuration: client)
        let call = try await channel.makeCall(path: "/test.Echo/SlowReader")
        let sent = Atomic<Int>(0)
        let total = 8 * 1024 * 1024
        let sender = Task {
            let chunk = [UInt8](repeating: 0x63, count: 16 * 1024)
            for _ in 0..<(total / chunk.count) {
                try await call.send(chunk)
                sent.add(chunk.count, ordering: .relaxed)
            }
            try await call.finishSending()
        }
        await probe.wait(for: "slow.entered")
        let accepted = try await plateau { sent.load(ordering: .relaxed) }
        // Client buffer (64 KiB + one message) + server window (64 KiB) + server queue
        // (64 KiB + one message).
        #expect(accepted < 300 * 1024)

        gate.open()
        try await sender.value
        var replies: [String] = []
        for try await message in call.responses { replies.append(text(message)) }
        #expect(replies == [String(total)])
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func gracefulShutdownFinishesCallsInFlightAndRefusesNewOnes() async throws {
        let probe = Probe()
        let gate = Gate()
        let server = try startTestServer(probe: probe, gate: gate) { $0.eventLoops = 1 }
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let inFlight = Task {
            try await channel.unary(path: "/test.Echo/Gate", request: [])
        }
        await probe.wait(for: "gate.entered")

        let shutdown = Task { await server.shutdown(gracePeriod: .seconds(20)) }
        // GOAWAY reaches the client: the next call cannot use that connection, and no
        // new connection is accepted.
        var refused: RPCError? = nil
        for _ in 0..<100 {
            do {
                _ = try await channel.unary(path: "/test.Echo/Unary", request: [])
                try await Task.sleep(for: .milliseconds(20))
            } catch let error as RPCError {
                refused = error
                break
            }
        }
        #expect(refused?.code == .unavailable)

        gate.open()
        let reply = try await inFlight.value
        #expect(text(reply.message) == "done")
        await shutdown.value
        #expect(server.counters.connectionsOpen == 0)
        await channel.close()
    }

    @Test func shutdownGracePeriodCancelsWhatIsLeft() async throws {
        let probe = Probe()
        let server = try startTestServer(probe: probe)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let stuck = Task {
            try await channel.unary(path: "/test.Echo/Sleep", request: [])
        }
        await probe.wait(for: "sleep.started")
        await server.shutdown(gracePeriod: .milliseconds(100))
        await probe.wait(for: "sleep.cancelled")
        let result = await stuck.result
        #expect(throws: RPCError.self) { try result.get() }
        #expect(server.counters.connectionsOpen == 0)
        #expect(server.counters.streamsOpen == 0)
        await channel.close()
    }

    @Test func channelReconnectsAfterTheServerComesBack() async throws {
        let probe = Probe()
        let first = try startTestServer(probe: probe)
        let port = first.port
        let channel = GRPCChannel(host: "127.0.0.1", port: port)
        #expect(text(try await channel.unary(path: "/test.Echo/Unary", request: bytes("1"))
            .message) == "1")
        await first.shutdown(gracePeriod: .seconds(1))

        let down = await #expect(throws: RPCError.self) {
            _ = try await channel.unary(path: "/test.Echo/Unary", request: bytes("2"))
        }
        #expect(down?.code == .unavailable)

        let second = try startTestServer(probe: probe) { $0.port = port }
        #expect(text(try await channel.unary(path: "/test.Echo/Unary", request: bytes("3"))
            .message) == "3")
        #expect(channel.counters.connectionsTotal == 2)
        await channel.close()
        await second.shutdown(gracePeriod: .seconds(1))
    }

    @Test func countersTrackConnectionsStreamsAndBytes() async throws {
        let probe = Probe()
        let gate = Gate()
        let server = try startTestServer(probe: probe, gate: gate)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let call = Task { try await channel.unary(path: "/test.Echo/Gate", request: []) }
        await probe.wait(for: "gate.entered")
        let during = server.counters
        #expect(during.connectionsOpen == 1)
        #expect(during.streamsOpen == 1)
        #expect(during.bytesReceived > 0)
        gate.open()
        _ = try await call.value
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
        let after = server.counters
        #expect(after.connectionsOpen == 0)
        #expect(after.streamsOpen == 0)
        #expect(after.callsTotal == 1)
        #expect(after.bytesSent > 0)
    }
}
