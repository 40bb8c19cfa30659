import ClientKit
import Foundation
import Synchronization

/// A real `monitord` started as a process on a free loopback port with a
/// temporary data directory; it can be SIGKILLed and started again on the
/// same port and directory.
final class ServerProcess: Sendable {
    /// The department the tests report for, and its one item.
    static let department = "330101-LAND"
    static let item = "330101-001"

    let dataDirectory: String
    private let state: Mutex<(process: ChildProcess?, port: Int)>

    var port: Int { state.withLock { $0.port } }

    private init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        state = Mutex((nil, 0))
    }

    /// Starts a server on a fresh data directory under `directory`.
    static func start(in directory: TemporaryDirectory) async throws -> ServerProcess {
        let server = ServerProcess(dataDirectory: directory.path("server"))
        try await server.restart()
        return server
    }

    /// Starts the server (again) on its directory and, after the first start,
    /// on the same port.
    func restart() async throws {
        let port = self.port
        let process = try ChildProcess(
            try productPath("monitord"),
            ["--data-dir", dataDirectory, "--region", "330101",
             "--listen", "127.0.0.1:\(port)", "--metrics-listen", "off",
             "--log-level", "warning"],
            name: "monitord")
        let line = try await process.line(startingWith: "monitord listening on ")
        guard let bound = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TestFailure("cannot read the port from '\(line)'")
        }
        state.withLock { $0 = (process, bound) }
    }

    /// SIGKILLs the server: no shutdown, no chance to finish anything.
    func kill() async {
        await state.withLock { $0.process }?.kill()
    }

    /// The administrator token the server wrote on its first start.
    var administratorToken: String {
        get throws {
            try String(contentsOfFile: dataDirectory + "/admin.token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Puts the test department and its item into the catalogue and returns a
    /// new token of `role` (for the department when it is a department token).
    func makeToken(_ role: Role, name: String) async throws -> String {
        let admin = MonitorClient(host: "127.0.0.1", port: port, token: try administratorToken)
        defer { Task { await admin.close() } }
        _ = try await admin.catalogue.putDepartments(PutDepartmentsRequest(departments: [
            Department(code: Self.department, name: "自然资源和规划局", regionCode: "330101"),
        ]))
        _ = try await admin.catalogue.putItems(PutItemsRequest(items: [
            Item(code: Self.item, name: "建设用地规划许可证核发",
                 departmentCode: Self.department, kind: .licensing, legalLimitDays: 20,
                 promisedLimitDays: 10),
        ]))
        let made = try await admin.admin.createToken(CreateTokenRequest(
            name: name, role: role,
            departmentCode: role == .department ? Self.department : ""))
        return made.secret
    }

    /// How many revisions of events the server holds for a case, by event id.
    func timeline(_ client: MonitorClient, caseID: String) async throws -> [String] {
        do {
            let view = try await client.cases.getCase(
                GetCaseRequest(departmentCode: Self.department, caseID: caseID))
            return view.timeline.compactMap { $0.event?.eventID }
        } catch let error as MonitorError where error.isNotFound {
            return []
        }
    }
}
