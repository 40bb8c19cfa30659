import Glibc
import Synchronization
import Testing

@testable import Transport

/// A loopback port that refuses connections for as long as this value lives:
/// its socket is bound but never listens. Holding the port keeps a test
/// server of a test running alongside from being given the same number,
/// which a port merely released (or a stopped server's) does not.
final class RefusingPort {
    let port: Int
    private let socket: Int32

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RefusingPortError(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
            }
        }
        guard named else {
            let failure = RefusingPortError(call: "bind", errno: errno)
            close(socket)
            throw failure
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }
}

struct RefusingPortError: Error {
    let call: String
    let errno: Int32
}

/// A host with several addresses: the client tries them in turn.
@Suite struct ConnectFallbackTests {
    @Test func aRefusedFirstAddressFallsThroughToTheNext() async throws {
        let server = try startTestServer(probe: Probe())
        let closed = try RefusingPort()
        let refused = try Sockets.resolve(host: "127.0.0.1", port: closed.port)
        let listening = try Sockets.resolve(host: "127.0.0.1", port: server.port)
        let channel = GRPCChannel(
            host: "127.0.0.1", port: server.port, addresses: refused + listening)
        let reply = try await channel.unary(
            path: "/test.Echo/Unary", request: Array("受理".utf8), timeout: .seconds(5))
        #expect(String(decoding: reply.message, as: UTF8.self) == "受理")
        await channel.close()
        await server.shutdown(gracePeriod: .seconds(1))
        withExtendedLifetime(closed) {}
    }

    @Test func whenEveryAddressFailsTheErrorNamesEachOne() async throws {
        let first = try RefusingPort()
        let second = try RefusingPort()
        let addresses = try Sockets.resolve(host: "127.0.0.1", port: first.port)
            + Sockets.resolve(host: "127.0.0.1", port: second.port)
        let channel = GRPCChannel(host: "127.0.0.1", port: first.port, addresses: addresses)
        await #expect {
            _ = try await channel.unary(
                path: "/test.Echo/Unary", request: [], timeout: .seconds(5))
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unavailable && error.message.contains(":\(first.port)")
                && error.message.contains(":\(second.port)")
        }
        await channel.close()
        withExtendedLifetime((first, second)) {}
    }

    /// The channel hands a call to the connection it holds, and the loop may run
    /// that connection's connect, and see every address refuse, before the call
    /// reaches it. Such a call must still say why, address by address.
    @Test func aCallReachingAnAlreadyFailedConnectNamesEachAddress() async throws {
        let first = try RefusingPort()
        let second = try RefusingPort()
        let addresses = try Sockets.resolve(host: "127.0.0.1", port: first.port)
            + Sockets.resolve(host: "127.0.0.1", port: second.port)
        let loop = ClientLoop.shared
        let core = ClientCore(configuration: ClientConfiguration(), authority: "test")
        let retired = Atomic<Bool>(false)
        let connection = try ClientConnection(
            loop: loop, core: core, addresses: addresses,
            onRetired: { _ in retired.store(true, ordering: .relaxed) })
        loop.execute { connection.connect() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !retired.load(ordering: .relaxed) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let refusedInTime = retired.load(ordering: .relaxed)
        #expect(refusedInTime, "both addresses refused within 10 s")

        // What makeCall does with the connection it holds.
        let box = StreamBox()
        let channel = CallChannel(inboundMark: 1 << 16, outboundMark: 1 << 16, wake: {})
        let stream = ClientStream(
            number: 1, channel: channel, path: "/test.Echo/Unary", metadata: [:],
            deadline: nil, limit: 1 << 20)
        box.stream = stream
        loop.execute { connection.start(stream) }
        let call = ClientCall(channel: channel, keepAlive: box)
        await #expect {
            for try await _ in call.responses {}
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unavailable && error.message.contains(":\(first.port)")
                && error.message.contains(":\(second.port)")
        }
        withExtendedLifetime((first, second)) {}
    }
}
