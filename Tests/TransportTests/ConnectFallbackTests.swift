import Testing

@testable import Transport

/// A host with several addresses: the client tries them in turn.
@Suite struct ConnectFallbackTests {
    /// A loopback port with nobody listening, so connecting to it is refused:
    /// one a test server had, after it stopped.
    func closedPort() async throws -> Int {
        let server = try startTestServer(probe: Probe())
        let port = server.port
        await server.shutdown(gracePeriod: .zero)
        return port
    }

    @Test func aRefusedFirstAddressFallsThroughToTheNext() async throws {
        let server = try startTestServer(probe: Probe())
        let closed = try await closedPort()
        let refused = try Sockets.resolve(host: "127.0.0.1", port: closed)
        let listening = try Sockets.resolve(host: "127.0.0.1", port: server.port)
        let channel = GRPCChannel(
            host: "127.0.0.1", port: server.port, addresses: refused + listening)
        let reply = try await channel.unary(
            path: "/test.Echo/Unary", request: Array("受理".utf8), timeout: .seconds(5))
        #expect(String(decoding: reply.message, as: UTF8.self) == "受理")
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func whenEveryAddressFailsTheErrorNamesEachOne() async throws {
        let first = try await closedPort()
        let second = try await closedPort()
        let addresses = try Sockets.resolve(host: "127.0.0.1", port: first)
            + Sockets.resolve(host: "127.0.0.1", port: second)
        let channel = GRPCChannel(host: "127.0.0.1", port: first, addresses: addresses)
        await #expect {
            _ = try await channel.unary(
                path: "/test.Echo/Unary", request: [], timeout: .seconds(5))
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unavailable && error.message.contains(":\(first)")
                && error.message.contains(":\(second)")
        }
        await channel.close()
    }
}
