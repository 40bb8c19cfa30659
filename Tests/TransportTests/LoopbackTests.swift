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
