import Glibc
import Testing

@testable import Server

@Suite("Metrics")
struct MetricsTests {
    @Test func rendersTheTextExpositionFormat() {
        let registry = MetricsRegistry()
        let events = registry.counter("monitor_events_ingested_total", help: "Events.")
        let alerts = registry.counter(
            "monitor_alerts_raised_total", help: "Alerts.", labels: ["rule", "level"])
        let latency = registry.histogram(
            "monitor_ack_seconds", help: "Latency.", buckets: [0.001, 0.01, 0.1])
        events.increment(by: 3)
        alerts.increment("case_time", "red")
        alerts.increment("fee", "red")
        alerts.increment("case_time", "red")
        latency.observe(0.0005)
        latency.observe(0.05)
        latency.observe(7)

        let text = registry.render()
        #expect(text.contains("# TYPE monitor_events_ingested_total counter\n"))
        #expect(text.contains("monitor_events_ingested_total 3\n"))
        #expect(text.contains("monitor_alerts_raised_total{rule=\"case_time\",level=\"red\"} 2\n"))
        #expect(text.contains("monitor_ack_seconds_bucket{le=\"0.001\"} 1\n"))
        #expect(text.contains("monitor_ack_seconds_bucket{le=\"0.1\"} 2\n"))
        #expect(text.contains("monitor_ack_seconds_bucket{le=\"+Inf\"} 3\n"))
        #expect(text.contains("monitor_ack_seconds_count 3\n"))
    }

    @Test func endpointServesMetricsOverHTTP() throws {
        let registry = MetricsRegistry()
        registry.gauge("monitor_open_cases", help: "Open cases.").set(42)
        let endpoint = try MetricsEndpoint(host: "127.0.0.1", port: 0) { registry.render() }
        defer { endpoint.close() }

        let ok = try httpGet(port: endpoint.port, path: "/metrics")
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.contains("monitor_open_cases 42\n"))
        let missing = try httpGet(port: endpoint.port, path: "/nothing")
        #expect(missing.hasPrefix("HTTP/1.1 404"))
    }

    private func httpGet(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: response, as: UTF8.self)
    }
}
