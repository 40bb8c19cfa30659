import Foundation
import Synchronization
import Glibc

/// A hand-driven HTTP/2 client on a blocking socket, for sending what well-behaved
/// peers never send. It encodes headers as HPACK literals (no index, no Huffman) and
/// reads frames without decoding their header blocks.
final class RawHTTP2 {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]

        var errorCode: UInt32? {
            switch type {
            case 3 where payload.count >= 4: return be32(payload, 0)
            case 7 where payload.count >= 8: return be32(payload, 4)
            default: return nil
            }
        }
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw PeerError("connect failed: \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Wraps an accepted socket (the scripted server's side).
    init(adopting fd: Int32) {
        self.fd = fd
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    /// The client preface and an empty SETTINGS frame.
    func handshake() {
        write(Self.preface + Self.frame(type: 4, flags: 0, stream: 0, payload: []))
    }

    func closeWriting() { shutdown(fd, Int32(SHUT_WR)) }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
                type, flags] + be32Bytes(stream & 0x7FFF_FFFF) + payload
    }

    /// A HEADERS frame (END_HEADERS) carrying `fields` as HPACK literals.
    static func headers(stream: UInt32, _ fields: [(String, String)], endStream: Bool = false)
        -> [UInt8]
    {
        var block: [UInt8] = []
        for (name, value) in fields {
            block.append(0x00)
            block += hpackString(name)
            block += hpackString(value)
        }
        return frame(type: 1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, payload: block)
    }

    static func grpcRequest(stream: UInt32, path: String) -> [UInt8] {
        headers(stream: stream, [
            (":method", "POST"), (":scheme", "http"), (":path", path),
            (":authority", "localhost"), ("content-type", "application/grpc"),
            ("te", "trailers"),
        ])
    }

    static func data(stream: UInt32, _ payload: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(type: 0, flags: endStream ? 1 : 0, stream: stream, payload: payload)
    }

    private static func hpackString(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        // 7-bit prefix integer, Huffman bit clear.
        if bytes.count < 127 {
            out.append(UInt8(bytes.count))
        } else {
            out.append(127)
            var rest = bytes.count - 127
            while rest >= 128 {
                out.append(UInt8(rest & 0x7F | 0x80))
                rest >>= 7
            }
            out.append(UInt8(rest))
        }
        return out + bytes
    }

    private var buffer: [UInt8] = []

    /// Reads and drops the client's 24-byte connection preface (server side).
    func skipPreface() -> Bool {
        while buffer.count < Self.preface.count {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return false }
            buffer += chunk[0..<count]
        }
        guard Array(buffer.prefix(Self.preface.count)) == Self.preface else { return false }
        buffer.removeFirst(Self.preface.count)
        return true
    }

    /// The next frame; nil at end of stream or after the 5 s receive timeout.
    func readFrame() -> Frame? {
        while true {
            if buffer.count >= 9 {
                let length = Int(buffer[0]) << 16 | Int(buffer[1]) << 8 | Int(buffer[2])
                if buffer.count >= 9 + length {
                    let frame = Frame(
                        type: buffer[3], flags: buffer[4],
                        stream: be32(buffer, 5) & 0x7FFF_FFFF,
                        payload: Array(buffer[9..<9 + length]))
                    buffer.removeFirst(9 + length)
                    return frame
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer += chunk[0..<count]
        }
    }

    /// Reads frames until one matches; nil if the connection ends first.
    func readUntil(_ matches: (Frame) -> Bool) -> Frame? {
        while let frame = readFrame() {
            if matches(frame) { return frame }
        }
        return nil
    }

    /// Reads until the server closes the connection; returns the frames it sent.
    /// Fails (returns nil) if the connection is still open after the receive timeout.
    func readUntilClosed() -> [Frame]? {
        var frames: [Frame] = []
        while true {
            if let frame = readFrame() {
                frames.append(frame)
                continue
            }
            var probe: UInt8 = 0
            let count = recv(fd, &probe, 1, Int32(MSG_DONTWAIT))
            if count == 0 { return frames }
            if count < 0 && (errno == ECONNRESET) { return frames }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                // The 5 s timeout ran out with the socket still open.
                return nil
            }
        }
    }
}

func be32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
        | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

func be32Bytes(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// Runs a command to completion and returns its exit status and combined output.
func runCommand(_ path: String, _ arguments: [String]) async throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let collected = OutputCollector()
    try process.run()
    // Drained on a plain thread blocked in read(2) from the start, so that a
    // command with much to say never blocks on a full pipe (and see
    // PythonPeer for why not readabilityHandler).
    let handle = pipe.fileHandleForReading
    Thread.detachNewThread {
        while true {
            let data = handle.availableData
            if data.isEmpty { break }
            collected.append(data)
        }
        collected.finish()
    }
    let status = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            process.waitUntilExit()
            continuation.resume(returning: process.terminationStatus)
        }
    }
    await collected.waitUntilFinished()
    return (status, collected.text)
}

final class OutputCollector: Sendable {
    private typealias State = (
        data: Data, finished: Bool, waiter: CheckedContinuation<Void, Never>?
    )
    private let state = Mutex<State>((Data(), false, nil))

    func append(_ chunk: Data) { state.withLock { $0.data.append(chunk) } }

    /// Marks the output complete and wakes whoever waits for it.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.finished { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }
}
