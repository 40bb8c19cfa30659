import Engine
import Foundation
import Messages
import Services
import Testing
import Transport

/// `monitord` and its signals: SIGTERM drains the calls in flight and
/// exits 0; SIGHUP applies the reloadable settings of a changed file.
@Suite("monitord signals", .timeLimit(.minutes(2)))
struct ShutdownTests {
    /// Loads the demo catalogue and returns a department's and a
    /// supervisor's client on `channel`.
    private func prepare(_ server: Monitord, _ channel: GRPCChannel) async throws
        -> (department: RPCClient, supervisor: RPCClient)
    {
        let admin = RPCClient(
            channel: channel, metadata: bearer(try server.adminSecret),
            defaultTimeout: .seconds(30))
        try await admin.loadDemoCatalogue()
        func token(_ role: Role, _ department: String = "") async throws -> RPCClient {
            let secret = try await admin.tokenSecret("\(role)", role, department: department)
            return RPCClient(
                channel: channel, metadata: bearer(secret),
                defaultTimeout: .seconds(30))
        }
        return (try await token(.department, Demo.health), try await token(.supervisor))
    }

    private func events(_ range: Range<Int>) -> [Messages.CaseEvent] {
        let received = Instant(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 3_600)
        return range.map { number in
            CaseScript(department: Demo.health, caseID: "S-\(number)")
                .received("s\(number)", at: received, item: Demo.healthItem)
        }
    }

    @Test func sigtermLetsTheCallInFlightFinishAndRefusesNewOnes() async throws {
        let data = temporaryDirectory("sigterm")
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try await Monitord(dataDirectory: data, extra: ["--shutdown-grace", "8"])
        defer { server.process.killNow() }
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        let (department, supervisor) = try await prepare(server, channel)

        let watch = try await AlertFeed(supervisor)
        let call = try await department.streaming(IntakeService.reportEvents)
        let acknowledged = SharedCounter()
        let acks = Task {
            var received: [EventAck] = []
            for try await ack in call.responses {
                received.append(ack)
                acknowledged.increment()
            }
            return received
        }
        for event in events(0..<10) { try await call.send(event) }
        #expect(await eventually { acknowledged.value == 10 }, "the stream is under way")

        // The stream is mid-send when the server is told to stop.
        let linesBefore = server.process.stderrLines.count
        let stopAsked = ContinuousClock.now
        server.process.signal(SIGTERM)
        _ = try await server.process.waitForStderr(containing: ["msg=stopping"], from: linesBefore)

        // New calls are refused, on this connection and on a new one.
        let refusal: (any Error)? = await {
            do {
                _ = try await supervisor.unary(
                    AdminService.getServerInfo, GetServerInfoRequest(), timeout: .seconds(5))
                return nil
            } catch { return error }
        }()
        #expect((refusal as? RPCError)?.code == .unavailable, "\(String(describing: refusal))")
        let fresh = GRPCChannel(host: "127.0.0.1", port: server.port)
        let freshRefusal: (any Error)? = await {
            do {
                _ = try await fresh.unary(
                    path: AdminService.getServerInfo.path, request: [], timeout: .seconds(5))
                return nil
            } catch { return error }
        }()
        #expect((freshRefusal as? RPCError)?.code == .unavailable)
        await fresh.close()

        // The call in flight goes on and ends cleanly.
        for event in events(10..<20) { try await call.send(event) }
        try await call.finishSending()
        let answered = try await acks.value
        #expect(answered.count == 20)
        #expect(answered.allSatisfy { $0.status == .accepted })
        #expect(answered.map(\.index) == Array(1...20))

        // The watcher is told to go elsewhere rather than cut off.
        let watchEnding = try await watch.waitForEnd(timeout: .seconds(15))
        #expect(
            (watchEnding as? RPCError)?.code == .unavailable,
            "\(String(describing: watchEnding))")

        let status = try await server.process.waitForExit(timeout: .seconds(20))
        let took = ContinuousClock.now - stopAsked
        #expect(status == 0)
        #expect(!server.process.endedBySignal)
        #expect(took < .seconds(8), "exited within the grace period: \(took)")
        #expect(server.process.stderrLines.contains { $0.contains("msg=stopped") })
        await channel.close()

        // Every acknowledged event is there after a restart.
        let again = try await Monitord(dataDirectory: data)
        defer { again.process.killNow() }
        let reopened = GRPCChannel(host: "127.0.0.1", port: again.port)
        let admin = RPCClient(
            channel: reopened, metadata: bearer(try again.adminSecret))
        let info = try await admin.unary(AdminService.getServerInfo, GetServerInfoRequest())
        #expect(info.store?.eventsStored == 20)
        await reopened.close()
        again.process.signal(SIGTERM)
        _ = try await again.process.waitForExit()
    }

    @Test func sighupAppliesTheNewLogLevelWithoutARestart() async throws {
        let data = temporaryDirectory("sighup")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let config = data.appendingPathComponent("monitord.conf")
        try "# quiet at first\nlog-level = warning\n".write(
            to: config, atomically: true, encoding: .utf8)

        let server = try await Monitord(
            dataDirectory: data.appendingPathComponent("store"),
            extra: ["--config", config.path])
        defer { server.process.killNow() }
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        defer { Task { await channel.close() } }
        let admin = RPCClient(
            channel: channel, metadata: bearer(try server.adminSecret),
            defaultTimeout: .seconds(30))
        func change() async throws {
            _ = try await admin.unary(
                CatalogueService.putDepartments,
                PutDepartmentsRequest(departments: try demoCatalogue().departments))
        }

        try await change()
        // A later write proves the first one's log line would be out by now.
        _ = try await admin.unary(AdminService.getServerInfo, GetServerInfoRequest())
        #expect(!server.process.stderrLines.contains { $0.contains("msg=\"catalogue changed\"") })

        // A broken file is refused and the running settings stay.
        try "log-level = loud\n".write(to: config, atomically: true, encoding: .utf8)
        server.process.signal(SIGHUP)
        let refused = try await server.process.waitForStderr(containing: ["reload refused"])
        #expect(refused.contains("loud"))

        try "log-level = info\n".write(to: config, atomically: true, encoding: .utf8)
        server.process.signal(SIGHUP)
        let reloaded = try await server.process.waitForStderr(
            containing: ["configuration reloaded", "log_level=info"])
        #expect(reloaded.contains("level=info"))

        try await change()
        _ = try await server.process.waitForStderr(containing: ["msg=\"catalogue changed\""])
        #expect(server.process.isRunning)
        let info = try await admin.unary(AdminService.getServerInfo, GetServerInfoRequest())
        #expect(info.catalogueVersion == 2, "the same process, its state intact")

        server.process.signal(SIGTERM)
        #expect(try await server.process.waitForExit() == 0)
    }
}
