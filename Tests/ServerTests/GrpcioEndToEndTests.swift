import Foundation
import Testing

/// The built `monitord` driven by Python grpcio: the interface standard
/// compiled by someone else's generator, spoken by someone else's HTTP/2.
@Suite("monitord with a grpcio client", .timeLimit(.minutes(3)))
struct GrpcioEndToEndTests {
    /// The project's Python with grpcio, made by scripts/setup.
    static var python: URL {
        get throws {
            let url = packageRoot.appendingPathComponent(".venv/bin/python")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw HarnessError("\(url.path) does not exist: run scripts/setup first")
            }
            return url
        }
    }

    @Test func aGrpcioClientRunsTheWholeFlow() async throws {
        let data = temporaryDirectory("e2e")
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try await Monitord(dataDirectory: data)
        defer { server.process.killNow() }

        let peer = try ChildProcess(
            try Self.python,
            [
                packageRoot.appendingPathComponent("Tests/Peers/server/end_to_end.py").path,
                String(server.port), try server.adminSecret,
                packageRoot.appendingPathComponent("demo/catalogue.json").path,
                packageRoot.appendingPathComponent("Protos").path,
            ])
        defer { peer.killNow() }
        let status = try await peer.waitForExit(timeout: .seconds(120))
        let stderr = peer.stderrLines.suffix(30).joined(separator: "\n")
        try #require(status == 0, "the grpcio peer failed:\n\(stderr)")
        let line = try #require(peer.stdoutLines.last, "the peer printed nothing")
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])

        #expect(result["health"] as? String == "SERVING")
        #expect(result["health_intake"] as? String == "SERVING")

        let offered = [
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection", "monitor.v1.AdminService",
            "monitor.v1.AlertService", "monitor.v1.CaseService", "monitor.v1.CatalogueService",
            "monitor.v1.IntakeService",
        ]
        #expect(result["reflection_v1alpha_services"] as? [String] == offered)
        #expect(result["reflection_v1_services"] as? [String] == offered)
        #expect(result["reflection_v1alpha_file"] as? String == "monitor/v1/intake.proto")
        #expect(
            result["reflection_v1alpha_methods"] as? [String] == ["ReportEvents", "ReportEvent"])
        let files = result["reflection_v1_files"] as? [String] ?? []
        #expect(files.contains("monitor/v1/cases.proto"))
        #expect(files.contains("google/protobuf/timestamp.proto"), "with its imports: \(files)")

        #expect(result["items_listed"] as? Int == 32)
        let acks = result["acks"] as? [[String: Any]] ?? []
        #expect(
            acks.map { $0["status"] as? String }
                == ["ACK_STATUS_ACCEPTED", "ACK_STATUS_ACCEPTED"])
        #expect(acks.map { $0["eventId"] as? String } == ["py-r1", "py-a1"])
        #expect(
            result["resent_statuses"] as? [String]
                == ["ACK_STATUS_DUPLICATE", "ACK_STATUS_DUPLICATE"])

        let view = result["case"] as? [String: Any] ?? [:]
        #expect(view["state"] as? String == "CASE_STATE_IN_PROGRESS")
        #expect(view["item"] as? String == "330899-WJJ-002")
        #expect(view["timeline"] as? [String] == ["py-r1", "py-a1"])
        #expect(view["applicant"] as? String == "李四", "a supervisor sees the applicant in full")
        let kinds = view["deadline_kinds"] as? [String] ?? []
        #expect(kinds.contains("DEADLINE_KIND_PROMISED"))
        #expect(kinds.contains("DEADLINE_KIND_LEGAL"))

        // Ten days after acceptance the promised limit of 5 working days has
        // passed: the case has alerts, and the watch delivered each of them.
        let alerts = view["alerts"] as? [String: String] ?? [:]
        #expect(alerts.values.contains("ALERT_STATUS_ACTIVE"))
        let watched = result["watched"] as? [[String: Any]] ?? []
        var latest: [String: String] = [:]
        for transition in watched {
            if let id = transition["alert_id"] as? String {
                latest[id] = transition["status"] as? String
            }
        }
        #expect(latest == alerts, "the watch ends where the case view stands")
        #expect(watched.allSatisfy { $0["case_id"] as? String == "WJJ-PY-1" })
        let sequences = watched.compactMap { $0["sequence"] as? Int }
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)

        let complaints = result["complaints"] as? [String: String] ?? [:]
        #expect(complaints["code"] == "UNIMPLEMENTED")
        #expect(complaints["message"]?.contains("monitor.v1.ComplaintService") == true)
        let anonymous = result["no_token"] as? [String: String] ?? [:]
        #expect(anonymous["code"] == "UNAUTHENTICATED")
        #expect(anonymous["message"]?.contains("authorization") == true)

        server.process.signal(SIGTERM)
        #expect(try await server.process.waitForExit(timeout: .seconds(20)) == 0)
    }
}
