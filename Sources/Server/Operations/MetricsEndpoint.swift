import Glibc

/// A minimal HTTP/1.1 listener that serves `GET /metrics` in the Prometheus
/// text format, for scrapers that do not speak gRPC.
///
/// It runs on one thread of its own and answers one request per connection;
/// a scraper polls every few seconds, so that is all it needs. A client that
/// does not send its request within two seconds is dropped, so a stuck
/// scraper cannot hold the listener.
public final class MetricsEndpoint: Sendable {
    /// The port actually bound (useful when 0 was asked for).
    public let port: Int
    private let listener: Int32
    private let render: @Sendable () -> String

    /// Binds `host:port` and starts answering on a background thread.
    public init(host: String, port: Int, render: @escaping @Sendable () -> String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerError.bind("metrics socket: \(errnoText())") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw ServerError.bind("metrics address \(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let text = errnoText()
            Glibc.close(fd)
            throw ServerError.bind("metrics \(host):\(port): \(text)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.render = render

        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let endpoint = Unmanaged<MetricsEndpoint>.fromOpaque(raw!).takeRetainedValue()
            endpoint.acceptLoop()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }

    /// Stops accepting; the thread ends at its next wake-up.
    public func close() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                Glibc.close(listener)
                return
            }
            serve(client)
            Glibc.close(client)
        }
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        // Read until the end of the headers; a request line and a few headers
        // fit easily in 8 KiB, and anything larger is not a scraper.
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            request.append(contentsOf: chunk[0..<n])
            if request.count >= 4, request.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
            if let text = String(validating: request, as: UTF8.self), text.contains("\r\n\r\n") {
                break
            }
        }

        let firstLine = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = firstLine.split(separator: " ")
        let response: String
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" || parts[1] == "/" {
            let body = render()
            response = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        } else if parts.count >= 2, parts[0] != "GET" {
            response = "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n"
        } else {
            let body = "not found: this endpoint serves GET /metrics\n"
            response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        }
        var bytes = Array(response.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes {
                send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }
}

func errnoText() -> String {
    String(cString: strerror(errno))
}
