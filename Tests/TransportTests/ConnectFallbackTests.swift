import Glibc
import Testing

@testable import Transport

/// A host with several addresses: the client tries them in turn.
@Suite struct ConnectFallbackTests {
    /// A loopback port with nobody listening: connecting to it is refused.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aRefusedFirstAddressFallsThroughToTheNext() async throws {
        let server = try startTestServer(probe: Probe())
        let refused = try Sockets.resolve(host: "127.0.0.1", port: try closedPort())
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
        let first = try closedPort()
        let second = try closedPort()
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
