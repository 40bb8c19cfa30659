import Glibc

/// What one read or write on a connection's byte stream did.
enum IOResult: Equatable {
    /// This many bytes moved (more than zero).
    case bytes(Int)
    /// Nothing can move now; wait for the descriptor to become ready.
    case wouldBlock
    /// The peer closed its side (reads only).
    case closed
    /// The stream failed with this errno.
    case failed(Int32)
}

/// The seam between a connection and its bytes: plain TCP today; a TLS layer wraps
/// the same calls (a TLS session reads and writes through the descriptor it owns).
///
/// Every method is non-blocking and is called only on the owning loop's thread.
protocol ByteStream: AnyObject {
    /// The descriptor the event loop waits on.
    var fileDescriptor: Int32 { get }
    /// Reads what is available into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult
    /// Writes as much of `bytes` as the kernel takes now.
    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult
    /// Closes the stream; later calls fail.
    func close()
}

/// A connected, non-blocking TCP socket.
final class TCPStream: ByteStream {
    private(set) var fileDescriptor: Int32

    /// Takes ownership of a connected socket and makes it non-blocking, without Nagle.
    init(adopting fd: Int32) {
        fileDescriptor = fd
        Self.prepare(fd)
    }

    /// Closes the socket and takes `fd` in its place: a client whose connect
    /// failed tries the host's next address on a new socket.
    func replace(with fd: Int32) {
        close()
        fileDescriptor = fd
        Self.prepare(fd)
    }

    private static func prepare(_ fd: Int32) {
        Sockets.setNonBlocking(fd)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case ECONNRESET: return .closed
            case let code: return .failed(code)
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = send(fileDescriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .bytes(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let code: return .failed(code)
            }
        }
    }

    func close() {
        if fileDescriptor >= 0 {
            Glibc.close(fileDescriptor)
            fileDescriptor = -1
        }
    }

    deinit {
        close()
    }
}

/// Socket set-up shared by the listener and the client's connector.
enum Sockets {
    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Resolves `host` and `port` to socket addresses, numeric hosts without a lookup.
    static func resolve(host: String, port: Int) throws(RPCError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let result = getaddrinfo(host, String(port), &hints, &list)
        guard result == 0, let first = list else {
            let reason = String(cString: gai_strerror(result))
            throw RPCError(
                code: .unavailable, message: "cannot resolve host '\(host)': \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            let info = entry.pointee
            if let address = SocketAddress(info.ai_addr, length: info.ai_addrlen) {
                addresses.append(address)
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

/// An IPv4 or IPv6 socket address, stored by value.
struct SocketAddress: Sendable, CustomStringConvertible {
    private var storage: sockaddr_storage
    let length: socklen_t

    init?(_ address: UnsafePointer<sockaddr>?, length: socklen_t) {
        guard let address, length <= socklen_t(MemoryLayout<sockaddr_storage>.size) else {
            return nil
        }
        storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(
                from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        self.length = length
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// Calls `body` with the address as the C API takes it.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The port in host order.
    var port: Int {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                let value = raw.load(as: sockaddr_in6.self)
                return Int(UInt16(bigEndian: value.sin6_port))
            }
            let value = raw.load(as: sockaddr_in.self)
            return Int(UInt16(bigEndian: value.sin_port))
        }
    }

    /// `ipv4:127.0.0.1:50051` or `ipv6:[::1]:50051`, as gRPC names peers.
    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                var value = raw.load(as: sockaddr_in6.self)
                inet_ntop(AF_INET6, &value.sin6_addr, &text, socklen_t(text.count))
            } else {
                var value = raw.load(as: sockaddr_in.self)
                inet_ntop(AF_INET, &value.sin_addr, &text, socklen_t(text.count))
            }
        }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
            as: UTF8.self)
        return family == AF_INET6 ? "ipv6:[\(host)]:\(port)" : "ipv4:\(host):\(port)"
    }

    /// The address a connected socket's peer has.
    static func peer(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getpeername(fd, $0, &length)
            }
        }
        guard result == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                SocketAddress($0, length: length)
            }
        }
    }

    /// The address a socket is bound to.
    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        guard result == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                SocketAddress($0, length: length)
            }
        }
    }
}
