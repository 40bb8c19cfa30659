import Engine
import Messages
import Services
import Testing
import Transport

/// Case intake as a department's system sees it: one acknowledgement per
/// event, in order, each saying what the server did with it.
@Suite("Intake over RPC", .timeLimit(.minutes(2)))
struct IntakeTests {
    let script = CaseScript(department: Demo.health, caseID: "WJJ-2026-0100")

    private func timeline(_ server: TestServer, _ client: RPCClient) async throws
        -> [TimelineEntry]
    {
        try await client.unary(
            CaseService.getCase,
            GetCaseRequest(departmentCode: script.department, caseID: script.caseID)
        ).timeline
    }

    @Test func aResentEventIsADuplicateAndChangesNothing() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let events = [
                script.received("r1", at: local("2026-02-24T09:00"), item: Demo.healthItem),
                script.accepted("a1", at: local("2026-02-24T10:00")),
            ]
            let first = try await server.report(events, as: department)
            #expect(first.map(\.status) == [.accepted, .accepted])
            let timelineBefore = try await timeline(server, department)
            let logBefore = try await server.alertLog()
            #expect(!logBefore.isEmpty, "reported days late, the events raise alerts")

            // A lost acknowledgement: the system sends both again.
            let again = try await server.report(events, as: department)
            #expect(again.map(\.status) == [.duplicate, .duplicate])
            #expect(again.map(\.eventID) == ["r1", "a1"])
            #expect(try await timeline(server, department) == timelineBefore)
            #expect(try await server.alertLog().count == logBefore.count)
        }
    }

    @Test func aHigherRevisionCorrectsALowerOneIsSuperseded() async throws {
        try await withTestServer(at: local("2026-03-04T12:00")) { server in
            let department = try await server.department(Demo.health)
            _ = try await server.report(
                [
                    script.received("r1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    script.accepted("a1", at: local("2026-03-02T10:00")),
                ], as: department)

            // The acceptance really happened on 3 March (revision 2); a
            // delayed revision 1 arrives after it.
            let acks = try await server.report(
                [
                    script.accepted("a1", at: local("2026-03-03T10:00"), revision: 2),
                    script.accepted("a1", at: local("2026-03-02T11:00"), revision: 1),
                ], as: department)
            #expect(acks.map(\.status) == [.accepted, .superseded])
            #expect(acks[1].reason.contains("revision 2"))

            let view = try await department.unary(
                CaseService.getCase,
                GetCaseRequest(departmentCode: script.department, caseID: script.caseID))
            let acceptances = view.timeline.filter { $0.event?.eventID == "a1" }
            #expect(acceptances.count == 3, "every revision stays in the history")
            let current = acceptances.filter { !$0.superseded }
            #expect(current.map { $0.event?.revision } == [2])
            #expect(view.summary?.acceptedAt == Timestamp(local("2026-03-03T10:00")))
            // Counted from 3 March: 4, 5, 6, 9, 10 March.
            let promised = view.deadlines.first { $0.kind == .promised }
            #expect(promised?.dueDate == "2026-03-10")
        }
    }

    @Test func aBadEventIsRejectedAloneAndTheStreamGoesOn() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            var noID = script.accepted("", at: local("2026-03-02T10:00"))
            noID.eventID = ""
            var noKind = script.accepted("x2", at: local("2026-03-02T10:00"))
            noKind.kind = nil
            var step = StepCompleted()
            step.step = .unrecognized(42)
            step.handler = "Handler Wang"
            step.outcome = .pass
            let badEnum = script.event("x3", at: local("2026-03-02T11:00"), .stepCompleted(step))
            let otherDepartment = CaseScript(department: Demo.transport, caseID: "JTJ-1")
                .received("x4", at: local("2026-03-02T09:00"), item: Demo.transportItem)

            let acks = try await server.report(
                [
                    script.received("r1", at: local("2026-03-02T09:00"), item: Demo.healthItem),
                    noID, noKind, badEnum, otherDepartment,
                    script.accepted("a1", at: local("2026-03-02T10:00")),
                ], as: department)

            #expect(acks.map(\.index) == [1, 2, 3, 4, 5, 6])
            #expect(
                acks.map(\.status) == [
                    .accepted, .rejected, .rejected, .rejected, .rejected, .accepted,
                ])
            #expect(acks[1].field == "event_id")
            #expect(acks[2].field == "kind")
            #expect(acks[2].reason.contains("exactly one of"))
            #expect(acks[3].field == "step_completed.step")
            #expect(acks[3].reason.contains("42"))
            #expect(acks[4].field == "department_code")
            #expect(acks[4].reason.contains(Demo.health))
            #expect(acks[4].reason.contains(Demo.transport))
            for ack in acks where ack.status == .rejected {
                #expect(!ack.reason.isEmpty, "a rejection says why")
            }

            // Nothing of the rejected events was recorded.
            let view = try await department.unary(
                CaseService.getCase,
                GetCaseRequest(departmentCode: script.department, caseID: script.caseID))
            #expect(view.timeline.compactMap { $0.event?.eventID } == ["r1", "a1"])
            let supervisor = try await server.client(.supervisor).client
            await #expect(throws: RPCError.self) {
                _ = try await supervisor.unary(
                    CaseService.getCase,
                    GetCaseRequest(departmentCode: Demo.transport, caseID: "JTJ-1"))
            }
        }
    }

    @Test func anUnknownItemIsKeptWithANoticeAndADataAlert() async throws {
        try await withTestServer { server in
            let department = try await server.department(Demo.health)
            let acks = try await server.report(
                [script.received("r1", at: local("2026-03-02T09:00"), item: "330899-WJJ-999")],
                as: department)
            #expect(acks.map(\.status) == [.accepted])
            let notices = acks.first?.notices ?? []
            #expect(notices.contains { $0.contains("330899-WJJ-999") }, "\(notices)")

            let supervisor = try await server.client(.supervisor).client
            var request = ListAlertsRequest()
            var filter = Messages.AlertFilter()
            filter.rules = [.unknownItem]
            request.filter = filter
            let alerts = try await supervisor.unary(AlertService.listAlerts, request).alerts
            #expect(alerts.count == 1)
            #expect(alerts.first?.caseID == script.caseID)
            #expect(alerts.first?.description.contains("330899-WJJ-999") == true)
        }
    }
}
