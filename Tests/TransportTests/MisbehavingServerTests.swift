import Foundation
import Glibc
import Testing
import Transport

/// A server that answers one call with scripted frames, to see what our client makes
/// of responses no correct gRPC server sends.
final class ScriptedServer: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `listener` is set in init; the serving thread
    // is the only other user of the sockets.
    let port: Int
    private let listener: Int32

    /// Listens on 127.0.0.1 and answers the first call's stream with `response`.
    init(response: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                Glibc.bind(fd, pointer, length) == 0 && listen(fd, 4) == 0
                    && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw PeerError("cannot listen: \(errno)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            let accepted = accept(fd, nil, nil)
            guard accepted >= 0 else { return }
            let connection = RawHTTP2(adopting: accepted)
            guard connection.skipPreface() else { return }
            // The server's SETTINGS must come first; then wait for the call's headers.
            connection.write(RawHTTP2.frame(type: 4, flags: 0, stream: 0, payload: []))
            _ = connection.readUntil { $0.type == 1 && $0.stream == 1 }
            connection.write(response)
            // Hold the connection until the client closes it.
            while connection.readFrame() != nil {}
        }
    }

    deinit { close(listener) }

    static func headers(_ fields: [(String, String)], endStream: Bool) -> [UInt8] {
        RawHTTP2.headers(stream: 1, fields, endStream: endStream)
    }

    static let okHead = headers(
        [(":status", "200"), ("content-type", "application/grpc")], endStream: false)
}

@Suite struct MisbehavingServerTests {
    func call(_ response: [UInt8]) async throws -> (messages: [String], error: RPCError?) {
        let server = try ScriptedServer(response: response)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        defer { withExtendedLifetime(server) {} }
        let call = try await channel.makeCall(path: "/test.Echo/Unary", timeout: .seconds(10))
        // The script answers as soon as the call's headers arrive, so the call
        // may have ended before the request goes out; sending then throws the
        // call's status, and the responses still tell what came and how it ended.
        do {
            try await call.send(bytes("x"))
            try await call.finishSending()
        } catch is RPCError {}
        var messages: [String] = []
        do {
            for try await message in call.responses { messages.append(text(message)) }
            await channel.close()
            return (messages, nil)
        } catch let error as RPCError {
            await channel.close()
            return (messages, error)
        }
    }

    @Test func streamEndingWithoutTrailersIsInternal() async throws {
        let response = ScriptedServer.okHead
            + RawHTTP2.data(stream: 1, MessageBytes.framed("hello"), endStream: true)
        let (messages, error) = try await call(response)
        #expect(messages == ["hello"])
        #expect(error?.code == .internal)
    }

    @Test func trailersWithoutStatusAreUnknown() async throws {
        let response = ScriptedServer.okHead
            + RawHTTP2.data(stream: 1, MessageBytes.framed("hello"))
            + ScriptedServer.headers([("x-note", "no status")], endStream: true)
        let (messages, error) = try await call(response)
        #expect(messages == ["hello"])
        #expect(error?.code == .unknown)
        #expect(error?.metadata["x-note"] == "no status")
    }

    @Test func httpErrorStatusMapsToGRPCCode() async throws {
        let response = ScriptedServer.headers([(":status", "503")], endStream: true)
        let (_, error) = try await call(response)
        #expect(error?.code == .unavailable)
    }

    @Test func nonGRPCContentTypeIsUnknown() async throws {
        let response = ScriptedServer.headers(
            [(":status", "200"), ("content-type", "text/html")], endStream: false)
        let (_, error) = try await call(response)
        #expect(error?.code == .unknown)
    }

    @Test func serverResetMapsToCancelledOrUnavailable() async throws {
        let cancel = ScriptedServer.okHead
            + RawHTTP2.frame(type: 3, flags: 0, stream: 1, payload: be32Bytes(0x8))
        #expect(try await call(cancel).error?.code == .cancelled)
        let refused = RawHTTP2.frame(type: 3, flags: 0, stream: 1, payload: be32Bytes(0x7))
        #expect(try await call(refused).error?.code == .unavailable)
    }

    @Test func trailersOnlyWithPercentEncodedMessage() async throws {
        let response = ScriptedServer.headers(
            [(":status", "200"), ("content-type", "application/grpc"),
             ("grpc-status", "9"), ("grpc-message", "%E6%A1%88%E4%BB%B6 closed")],
            endStream: true)
        let (_, error) = try await call(response)
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message == "案件 closed")
    }
}

enum MessageBytes {
    static func framed(_ message: String) -> [UInt8] {
        let body = Array(message.utf8)
        return [0] + be32Bytes(UInt32(body.count)) + body
    }
}
