import Engine
import Foundation
import Interchange
import Messages
import Services
import Transport

@testable import Server

/// A supervision server running in the test's process on an ephemeral port,
/// with its store in a fresh temporary directory and a clock that moves only
/// when the test says so.
final class TestServer: Sendable {
    let server: MonitorServer
    let clock: ManualClock
    let directory: URL
    let channel: GRPCChannel
    /// A client holding the first administrator's token.
    let admin: RPCClient
    /// Every log line the server wrote.
    let log: MemorySink

    private init(
        server: MonitorServer, clock: ManualClock, directory: URL, channel: GRPCChannel,
        admin: RPCClient, log: MemorySink
    ) {
        self.server = server
        self.clock = clock
        self.directory = directory
        self.channel = channel
        self.admin = admin
        self.log = log
    }

    /// The instant every in-process scenario starts at: Monday 2 March 2026,
    /// noon, an ordinary working week.
    static let defaultStart = local("2026-03-02T12:00")

    /// Starts a server on a new data directory, or on `directory` when given.
    static func start(
        at start: Instant = defaultStart, directory: URL? = nil,
        _ configure: (inout Configuration) -> Void = { _ in }
    ) async throws -> TestServer {
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("servertests-\(UUID().uuidString)")
        var configuration = Configuration()
        configuration.listen = HostPort(host: "127.0.0.1", port: 0)
        configuration.metricsListen = nil
        configuration.dataDirectory = directory.path
        configuration.regionCode = "330899"
        configuration.shutdownGraceSeconds = 1
        configuration.eventLoops = 1
        configure(&configuration)

        let sink = MemorySink()
        let clock = ManualClock(start: start)
        let server = try await MonitorServer.start(
            configuration: configuration, clock: clock,
            logger: Logger(component: "test", level: .info, sink: sink))
        let secret = try String(
            contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let admin = RPCClient(
            channel: channel, metadata: bearer(secret),
            defaultTimeout: .seconds(30))
        return TestServer(
            server: server, clock: clock, directory: directory, channel: channel, admin: admin,
            log: sink)
    }

    /// Stops the server and deletes its data directory.
    func stop() async {
        await channel.close()
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the server and starts a new one on the same store, its clock
    /// reading what this one's read; the caller stops the new one.
    func restart() async throws -> TestServer {
        await channel.close()
        await server.shutdown()
        return try await TestServer.start(at: clock.now(), directory: directory)
    }

    /// A client on this server's channel with `secret` as its bearer token.
    func client(secret: String) -> RPCClient {
        RPCClient(
            channel: channel, metadata: bearer(secret),
            defaultTimeout: .seconds(30))
    }

    /// A client without any token.
    var anonymous: RPCClient {
        RPCClient(channel: channel, defaultTimeout: .seconds(30))
    }

    /// Creates a token for `role` and returns a client that uses it, with
    /// the token's id.
    func client(
        _ role: Role, department: String = "", name: String? = nil
    ) async throws -> (client: RPCClient, tokenID: String) {
        var request = CreateTokenRequest()
        request.name = name ?? "\(role.protoName ?? "role") \(department)"
        request.role = role
        request.departmentCode = department
        let created = try await admin.unary(AdminService.createToken, request)
        return (client(secret: created.secret), created.token?.tokenID ?? "")
    }

    /// A department's client (the department's approval system).
    func department(_ code: String) async throws -> RPCClient {
        try await client(.department, department: code, name: "system of \(code)").client
    }

    /// Loads the demo county's departments and items.
    func loadDemoCatalogue() async throws {
        try await admin.loadDemoCatalogue()
    }

    /// Reports events on one stream and returns their acknowledgements.
    func report(_ events: [Messages.CaseEvent], as client: RPCClient) async throws -> [EventAck]
    {
        let call = try await client.streaming(IntakeService.reportEvents)
        for event in events { try await call.send(event) }
        try await call.finishSending()
        var acks: [EventAck] = []
        for try await ack in call.responses { acks.append(ack) }
        return acks
    }

    /// Moves the clock and waits until the scheduler has evaluated
    /// everything that came due up to the new instant.
    func advance(to instant: Instant) async throws {
        clock.advance(to: instant)
        let settled = await eventually(timeout: .seconds(20)) {
            let next = server.runtime.core.published.withLock { $0.nextDueAt }
            return next.map { $0 > instant } ?? true
        }
        if !settled { throw HarnessError("the scheduler did not catch up with \(instant)") }
        // The tick that popped the queue commits before it publishes the
        // next instant; one more write through the same queue is ordered
        // after it, so its alerts are durable and published once this returns.
        _ = try await server.runtime.write { _ in () }
    }

    /// Every transition of the alert log, read from the store.
    func alertLog() async throws -> [Messages.AlertTransition] {
        var all: [Messages.AlertTransition] = []
        var position: UInt64 = 0
        while true {
            let start = position
            let page = try await server.runtime.read { try $0.alertLog(after: start, limit: 500) }
            for entry in page.entries {
                let response = try TransitionEncodings.response(entry)
                if case .transition(let transition) = response.message {
                    all.append(transition)
                }
            }
            if page.entries.isEmpty || page.position == position { break }
            position = page.position
        }
        return all
    }
}

/// Runs `body` with a started server and stops it on every path.
func withTestServer(
    at start: Instant = TestServer.defaultStart,
    configure: (inout Configuration) -> Void = { _ in },
    catalogue: Bool = true,
    _ body: (TestServer) async throws -> Void
) async throws {
    let server = try await TestServer.start(at: start, configure)
    do {
        if catalogue { try await server.loadDemoCatalogue() }
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
