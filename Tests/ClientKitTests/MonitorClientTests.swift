import ClientKit
import Foundation
import Services
import Testing

extension RealPeers {
    /// The generated clients against a grpcio server that answers any method:
    /// paths, the bearer token, timeouts, cancellation and error mapping.
    @Suite("MonitorClient", .timeLimit(.minutes(2)))
    struct MonitorClientTests {
        let peer: ChildProcess
        let port: Int

        init() async throws {
            peer = try ChildProcess.python("any_method_peer.py", [])
            let ready = try await peer.line(startingWith: "READY ")
            port = Int(ready.dropFirst("READY ".count))!
        }

        /// The unary methods of every service a MonitorClient covers.
        private var unaryPaths: Set<String> {
            var paths: Set<String> = []
            for service in InterfaceStandard.services
            where service.name.hasPrefix("monitor.v1.") || service.name == "grpc.health.v1.Health" {
                for method in service.methods where method.kind == .unary {
                    paths.insert(method.path)
                }
            }
            return paths
        }

        @Test func everyUnaryMethodReachesItsPathWithTheToken() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "mon_secret\n")
            defer { Task { await client.close() } }

            _ = try await client.admin.getServerInfo(.init())
            _ = try await client.admin.createToken(.init())
            _ = try await client.admin.listTokens(.init())
            _ = try await client.admin.revokeToken(.init())
            _ = try await client.admin.listAuditRecords(.init())
            _ = try await client.alerts.listAlerts(.init())
            _ = try await client.alerts.getAlert(.init())
            _ = try await client.alerts.issueNotice(.init())
            _ = try await client.alerts.submitFeedback(.init())
            _ = try await client.alerts.closeNotice(.init())
            _ = try await client.alerts.returnNotice(.init())
            _ = try await client.alerts.escalate(.init())
            _ = try await client.alerts.appeal(.init())
            _ = try await client.alerts.decideAppeal(.init())
            _ = try await client.alerts.issueManualCard(.init())
            _ = try await client.cases.getCase(.init())
            _ = try await client.cases.listCases(.init())
            _ = try await client.cases.getCaseCounts(.init())
            _ = try await client.catalogue.putDepartments(.init())
            _ = try await client.catalogue.listDepartments(.init())
            _ = try await client.catalogue.putItems(.init())
            _ = try await client.catalogue.listItems(.init())
            _ = try await client.catalogue.getItem(.init())
            _ = try await client.catalogue.getRuleSettings(.init())
            _ = try await client.catalogue.putRuleSettings(.init())
            _ = try await client.catalogue.putCalendar(.init())
            _ = try await client.catalogue.getCalendar(.init())
            _ = try await client.catalogue.listCalendars(.init())
            _ = try await client.catalogue.putScoringScheme(.init())
            _ = try await client.catalogue.listScoringSchemes(.init())
            _ = try await client.complaints.fileComplaint(.init())
            _ = try await client.complaints.acceptComplaint(.init())
            _ = try await client.complaints.declineComplaint(.init())
            _ = try await client.complaints.concludeComplaint(.init())
            _ = try await client.complaints.rateComplaint(.init())
            _ = try await client.complaints.getComplaint(.init())
            _ = try await client.complaints.listComplaints(.init())
            _ = try await client.evaluation.getEvaluation(.init())
            _ = try await client.evaluation.publishEvaluation(.init())
            _ = try await client.evaluation.listEvaluations(.init())
            _ = try await client.intake.reportEvent(.init())
            _ = try await client.upstream.getForwardPosition(.init())
            _ = try await client.health.check(.init())
            _ = try await client.health.list(.init())

            // The peer's output is read apart from the calls: wait for it.
            let expected = unaryPaths.count
            try await eventually("a CALL line for every call") {
                peer.lines.filter { $0.hasPrefix("CALL ") }.count >= expected
            }
            let calls = peer.lines.filter { $0.hasPrefix("CALL ") }
            let seen = Set(calls.map { String($0.split(separator: " ")[1]) })
            #expect(seen == unaryPaths)
            #expect(calls.count == unaryPaths.count)
            // The newline of a token file is not sent; unary calls get the
            // default timeout.
            #expect(calls.allSatisfy { $0.contains(" auth=Bearer mon_secret deadline=yes") })
        }

        @Test func streamingMethodsCarryMessagesBothWays() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "t")
            defer { Task { await client.close() } }

            var watched = 0
            for try await _ in try await client.health.watch(.init()) { watched += 1 }
            #expect(watched == 2)

            let call = try await client.intake.reportEvents()
            for n in 1...5 { try await call.send(testEvent(n)) }
            try await call.finishSending()
            var acks = 0
            for try await _ in call.responses { acks += 1 }
            #expect(acks == 5)

            // Streams get no default timeout: a watch may run for days.
            let isStream: @Sendable (String) -> Bool = {
                $0.hasPrefix("CALL /grpc.health.v1.Health/Watch")
                    || $0.hasPrefix("CALL /monitor.v1.IntakeService/ReportEvents")
            }
            try await eventually("the CALL lines of both streams") {
                peer.lines.filter(isStream).count >= 2
            }
            let streamCalls = peer.lines.filter(isStream)
            #expect(streamCalls.count == 2)
            #expect(streamCalls.allSatisfy { $0.hasSuffix("deadline=no") })
        }

        @Test func aFailedCallThrowsMonitorErrorWithCodeMessageMethodAndTrailers() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "t")
            defer { Task { await client.close() } }

            let refusal = "department 330101-LAND may not read cases of 330101-TAX"
            let options = CallOptions(metadata: ["x-want-status": .string("7:\(refusal)")])
            let error = await #expect(throws: MonitorError.self) {
                _ = try await client.cases.getCase(.init(), options: options)
            }
            #expect(error?.isPermissionDenied == true)
            #expect(error?.isRetryable == false)
            #expect(error?.message == refusal)
            #expect(error?.method == "monitor.v1.CaseService/GetCase")
            #expect(error?.metadata["x-detail"] == "detail")
            #expect(error?.description
                == "monitor.v1.CaseService/GetCase: PERMISSION_DENIED: \(refusal)")

            let busy = await #expect(throws: MonitorError.self) {
                _ = try await client.alerts.listAlerts(
                    .init(), options: CallOptions(metadata: ["x-want-status": "14:restarting"]))
            }
            #expect(busy?.isRetryable == true)
            #expect(busy?.code == .unavailable)
        }

        @Test func aCallWithoutTokenSendsNoAuthorization() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: port, token: nil)
            defer { Task { await client.close() } }
            _ = try await client.health.check(.init())
            let call = try await peer.line(startingWith: "CALL /grpc.health.v1.Health/Check")
            #expect(call.contains("auth=-"))
        }

        @Test func aCallThatTakesTooLongEndsWithDeadlineExceeded() async throws {
            var configuration = MonitorClient.Configuration()
            configuration.defaultTimeout = .milliseconds(300)
            let client = MonitorClient(
                host: "127.0.0.1", port: port, token: "t", configuration: configuration)
            defer { Task { await client.close() } }
            let sleepy = CallOptions(metadata: ["x-want-sleep": "10"])

            let started = ContinuousClock.now
            let error = await #expect(throws: MonitorError.self) {
                _ = try await client.cases.getCaseCounts(.init(), options: sleepy)
            }
            #expect(error?.isDeadlineExceeded == true)

            // A call's own timeout wins over the default.
            var own = sleepy
            own.timeout = .milliseconds(100)
            let second = await #expect(throws: MonitorError.self) {
                _ = try await client.cases.listCases(.init(), options: own)
            }
            #expect(second?.isDeadlineExceeded == true)
            #expect(ContinuousClock.now - started < .seconds(5))
        }

        @Test func cancellingTheTaskCancelsTheCallOnTheServer() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: port, token: "t")
            defer { Task { await client.close() } }
            let call = Task {
                try await client.evaluation.getEvaluation(
                    .init(), options: CallOptions(metadata: ["x-want-sleep": "20"]))
            }
            _ = try await peer.line(
                startingWith: "STARTED /monitor.v1.EvaluationService/GetEvaluation")
            call.cancel()
            let result = await call.result
            #expect(throws: MonitorError.self) { try result.get() }
            if case .failure(let error as MonitorError) = result {
                #expect(error.isCancelled)
            }
            _ = try await peer.line(
                startingWith: "CANCELLED /monitor.v1.EvaluationService/GetEvaluation",
                timeout: .seconds(10))
        }

        @Test func anUnreachableServerIsRetryable() async throws {
            let client = MonitorClient(host: "127.0.0.1", port: try unusedPort(), token: "t")
            defer { Task { await client.close() } }
            let error = await #expect(throws: MonitorError.self) {
                _ = try await client.admin.getServerInfo(.init())
            }
            #expect(error?.code == .unavailable)
            #expect(error?.isRetryable == true)
        }
    }
}
