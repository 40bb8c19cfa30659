import Engine
import Messages
import Services
import Testing
import Transport

/// Who may do what: tokens, roles, a department's own cases, masked
/// personal data, revocation and the audit record.
@Suite("Access control", .timeLimit(.minutes(2)))
struct AccessTests {
    static let readers: Set<Role> = [.department, .supervisor, .dashboard, .administrator]

    /// The roles that may call each method, written out from the interface
    /// standard's comments and the domain's rules (a department writes only
    /// its own cases, dashboards only read, only supervisors act on alerts,
    /// only administrators change the catalogue and tokens).
    static let expected: [String: Set<Role>] = {
        var table: [String: Set<Role>] = [:]
        func allow(_ method: MethodInfo, _ roles: Set<Role>) { table[method.path] = roles }
        allow(IntakeService.reportEvents.info, [.department])
        allow(IntakeService.reportEvent.info, [.department])
        for method in CaseService.descriptor.methods { table[method.path] = readers }
        allow(AlertService.watchAlerts.info, readers)
        allow(AlertService.listAlerts.info, readers)
        allow(AlertService.getAlert.info, readers)
        allow(AlertService.submitFeedback.info, [.department])
        allow(AlertService.appeal.info, [.department])
        for method in [
            AlertService.issueNotice.info, AlertService.closeNotice.info,
            AlertService.returnNotice.info, AlertService.escalate.info,
            AlertService.decideAppeal.info, AlertService.issueManualCard.info,
        ] {
            allow(method, [.supervisor])
        }
        for method in CatalogueService.descriptor.methods {
            table[method.path] = method.methodName.hasPrefix("Put") ? [.administrator] : readers
        }
        allow(AdminService.getServerInfo.info, readers.union([.forwarder]))
        allow(AdminService.createToken.info, [.administrator])
        allow(AdminService.listTokens.info, [.administrator])
        allow(AdminService.revokeToken.info, [.administrator])
        allow(AdminService.listAuditRecords.info, [.administrator, .supervisor])
        return table
    }()

    /// Calls `method` with an empty request and returns the status code and
    /// message it ended with (OK when it answered).
    private func call(_ method: MethodInfo, _ client: RPCClient) async -> (StatusCode, String) {
        do {
            let call = try await client.channel.makeCall(
                path: method.path, metadata: client.metadata, timeout: .seconds(10))
            // An empty request, but a watch asks for a heartbeat each second
            // so that an allowed one answers quickly.
            var request: [UInt8] = []
            if method == AlertService.watchAlerts.info {
                request = WatchAlertsRequest(heartbeatSeconds: 1).serializedBytes()
            }
            try await call.send(request)
            try await call.finishSending()
            // A watch streams forever: its first message is answer enough.
            for try await _ in call.responses where method.kind.serverStreams {
                call.cancel()
                return (.ok, "")
            }
            return (.ok, "")
        } catch let error as RPCError {
            return (error.code, error.message)
        } catch {
            return (.unknown, "\(error)")
        }
    }

    @Test func everyRoleAgainstEveryMethod() async throws {
        try await withTestServer { server in
            var clients: [(Role, RPCClient)] = []
            for role in [Role.department, .supervisor, .dashboard, .administrator, .forwarder] {
                let department = role == .department ? Demo.health : ""
                clients.append((role, try await server.client(role, department: department).client))
            }
            let services = [
                IntakeService.descriptor, CaseService.descriptor, AlertService.descriptor,
                CatalogueService.descriptor, AdminService.descriptor,
            ]
            let methods = services.flatMap(\.methods)
            #expect(Set(methods.map(\.path)) == Set(Self.expected.keys), "the table is complete")

            for method in methods {
                let (anonymous, _) = await call(method, server.anonymous)
                #expect(anonymous == .unauthenticated, "no token on \(method.path): \(anonymous)")
                let allowed = Self.expected[method.path] ?? []
                for (role, client) in clients {
                    let (code, message) = await call(method, client)
                    let name = role.protoName ?? "\(role)"
                    if allowed.contains(role) {
                        #expect(
                            code != .permissionDenied && code != .unauthenticated,
                            "\(name) may call \(method.path): \(code) \(message)")
                    } else {
                        #expect(code == .permissionDenied, "\(name) on \(method.path): \(code)")
                        #expect(message.contains(method.path), "\(message)")
                    }
                }
            }
        }
    }

    @Test func aCallWithoutAValidTokenIsUnauthenticated() async throws {
        try await withTestServer(catalogue: false) { server in
            let method = CaseService.listCases.info
            let (missing, missingMessage) = await call(method, server.anonymous)
            #expect(missing == .unauthenticated)
            #expect(missingMessage.contains("authorization: Bearer"))

            let (unknown, unknownMessage) = await call(method, server.client(secret: "mon_nope"))
            #expect(unknown == .unauthenticated)
            #expect(unknownMessage.contains("unknown or revoked"))

            var basic = server.anonymous
            basic.metadata = ["authorization": "Basic YWRtaW46YWRtaW4="]
            let (malformed, malformedMessage) = await call(method, basic)
            #expect(malformed == .unauthenticated)
            #expect(malformedMessage.contains("Bearer <token>"))

            // Health and reflection are open to anyone.
            let (health, _) = await call(GRPCHealthV1.Health.check.info, server.anonymous)
            #expect(health == .ok)
        }
    }

    /// Reports one case, received and accepted a week before the server's
    /// clock, so that it has alerts already.
    private func reportOverdueCase(
        _ server: TestServer, department: String, item: String, caseID: String
    ) async throws {
        let client = try await server.department(department)
        let script = CaseScript(department: department, caseID: caseID)
        let acks = try await server.report(
            [
                script.received("\(caseID)-r", at: local("2026-02-24T09:00"), item: item),
                script.accepted("\(caseID)-a", at: local("2026-02-24T10:00")),
            ], as: client)
        #expect(acks.allSatisfy { $0.status == .accepted })
    }

    @Test func aDepartmentSeesOnlyItsOwnCasesAndAlerts() async throws {
        try await withTestServer { server in
            try await reportOverdueCase(
                server, department: Demo.health, item: Demo.healthItem, caseID: "H-1")
            try await reportOverdueCase(
                server, department: Demo.transport, item: Demo.transportItem, caseID: "T-1")
            let health = try await server.department(Demo.health)

            let own = try await health.unary(
                CaseService.getCase, GetCaseRequest(departmentCode: Demo.health, caseID: "H-1"))
            #expect(own.summary?.caseID == "H-1")
            await #expect {
                _ = try await health.unary(
                    CaseService.getCase,
                    GetCaseRequest(departmentCode: Demo.transport, caseID: "T-1"))
            } throws: { ($0 as? RPCError)?.code == .permissionDenied }

            let cases = try await health.unary(CaseService.listCases, ListCasesRequest())
            #expect(cases.cases.map(\.caseID) == ["H-1"])
            var others = ListCasesRequest()
            others.departmentCodes = [Demo.transport]
            await #expect {
                _ = try await health.unary(CaseService.listCases, others)
            } throws: { ($0 as? RPCError)?.code == .permissionDenied }

            let alerts = try await health.unary(AlertService.listAlerts, ListAlertsRequest())
            #expect(!alerts.alerts.isEmpty)
            #expect(alerts.alerts.allSatisfy { $0.departmentCode == Demo.health })
            var otherAlerts = ListAlertsRequest()
            otherAlerts.filter = Messages.AlertFilter(departmentCodes: [Demo.transport])
            await #expect {
                _ = try await health.unary(AlertService.listAlerts, otherAlerts)
            } throws: { ($0 as? RPCError)?.code == .permissionDenied }

            let supervisor = try await server.client(.supervisor).client
            let everything = try await supervisor.unary(
                AlertService.listAlerts, ListAlertsRequest())
            let transportAlert = try #require(
                everything.alerts.first { $0.departmentCode == Demo.transport })
            await #expect {
                _ = try await health.unary(
                    AlertService.getAlert, GetAlertRequest(alertID: transportAlert.alertID))
            } throws: { ($0 as? RPCError)?.code == .notFound }

            // A watch of everything, as the department, shows only its own.
            let feed = try await AlertFeed(health)
            defer { feed.cancel() }
            _ = try await feed.waitForNextHeartbeat()
            #expect(feed.transitions.count == alerts.alerts.count)
            #expect(feed.transitions.allSatisfy { $0.alert?.departmentCode == Demo.health })

            let counts = try await health.unary(CaseService.getCaseCounts, GetCaseCountsRequest())
            #expect(counts.departments.map(\.departmentCode) == [Demo.health])
        }
    }

    @Test func aDashboardSeesPersonalDataMaskedAndFullReadsAreAudited() async throws {
        try await withTestServer { server in
            try await reportOverdueCase(
                server, department: Demo.health, item: Demo.healthItem, caseID: "H-1")
            let dashboard = try await server.client(.dashboard, name: "Big screen").client
            let supervisor = try await server.client(.supervisor, name: "Supervisor Li").client
            let request = GetCaseRequest(departmentCode: Demo.health, caseID: "H-1")

            let masked = try await dashboard.unary(CaseService.getCase, request)
            #expect(masked.applicant?.name == "张**")
            #expect(masked.applicant?.idNumber == "330*************34")
            #expect(masked.applicant?.phone == "139****0001")
            let receipt = masked.timeline.compactMap { entry -> CaseReceived? in
                if case .received(let receipt) = entry.event?.kind { return receipt }
                return nil
            }.first
            #expect(receipt?.applicant?.name == "张**", "the timeline is masked too")
            #expect(receipt?.applicant?.idNumber == "330*************34")

            let full = try await supervisor.unary(CaseService.getCase, request)
            #expect(full.applicant?.name == "张三丰")
            #expect(full.applicant?.idNumber == "330824199001011234")

            let audit = try await server.admin.unary(
                AdminService.listAuditRecords, ListAuditRecordsRequest())
            let reads = audit.records.filter { $0.action == CaseService.getCase.path }
            #expect(reads.count == 1, "only the full read is personal data: \(reads)")
            #expect(reads.first?.actor == "Supervisor Li")
            #expect(reads.first?.role == .supervisor)
            #expect(reads.first?.target.contains("H-1") == true)
        }
    }

    @Test func aRevokedTokenIsRefusedAtOnceAndEveryWriteIsAudited() async throws {
        try await withTestServer(catalogue: false) { server in
            try await server.loadDemoCatalogue()
            let (dashboard, tokenID) = try await server.client(.dashboard, name: "Lobby screen")
            _ = try await dashboard.unary(CaseService.listCases, ListCasesRequest())

            let revoked = try await server.admin.unary(
                AdminService.revokeToken, RevokeTokenRequest(tokenID: tokenID))
            #expect(revoked.revokedAt != nil)
            await #expect {
                _ = try await dashboard.unary(CaseService.listCases, ListCasesRequest())
            } throws: { error in
                let error = error as? RPCError
                return error?.code == .unauthenticated
                    && error?.message.contains("revoked") == true
            }

            let audit = try await server.admin.unary(
                AdminService.listAuditRecords, ListAuditRecordsRequest())
            let actions = audit.records.map(\.action)
            #expect(actions.filter { $0 == CatalogueService.putDepartments.path }.count == 1)
            #expect(actions.filter { $0 == CatalogueService.putItems.path }.count == 1)
            #expect(actions.filter { $0 == AdminService.createToken.path }.count == 1)
            let revocation = audit.records.first { $0.action == AdminService.revokeToken.path }
            #expect(revocation?.target.contains(tokenID) == true)
            #expect(revocation?.actor == "first administrator")
            #expect(revocation?.outcome == "ok")
        }
    }
}
