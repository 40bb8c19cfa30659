import Engine
import Interchange
import Messages
import Testing

private func complaint(_ change: (inout Messages.Complaint) -> Void = { _ in })
    -> Messages.Complaint
{
    var message = Messages.Complaint(
        complaintID: "TS-1", channel: .phone, departmentCode: "D1", caseID: "C1",
        complainant: Complainant(name: "李某", phone: "13900000000"), content: "办理超期",
        state: .registered, receivedAt: stamp("2026-09-21 09:00"))
    change(&message)
    return message
}

@Suite("Complaints between the standard's messages and the engine")
struct ComplaintMappingTests {
    @Test func theTimelineIsRead() throws {
        let registered = try Engine.Complaint(complaint())
        #expect(registered.id == "TS-1")
        #expect(registered.departmentCode == "D1")
        #expect(registered.caseKey == CaseKey(departmentCode: "D1", caseID: "C1"))
        #expect(registered.registeredAt == at("2026-09-21 09:00"))
        #expect(registered.acceptedAt == nil && registered.declinedAt == nil)

        let concluded = try Engine.Complaint(
            complaint {
                $0.state = .concluded
                $0.acceptedAt = stamp("2026-09-22 09:00")
                $0.concludedAt = stamp("2026-10-09 09:00")
                $0.caseID = ""
            })
        #expect(concluded.acceptedAt == at("2026-09-22 09:00"))
        #expect(concluded.concludedAt == at("2026-10-09 09:00"))
        #expect(concluded.caseKey == nil)

        // A decline's instant travels in concluded_at.
        let declined = try Engine.Complaint(
            complaint {
                $0.state = .declined
                $0.concludedAt = stamp("2026-09-23 09:00")
                $0.declineReason = "不属于受理范围"
            })
        #expect(declined.declinedAt == at("2026-09-23 09:00"))
        #expect(declined.concludedAt == nil)
    }

    @Test func problemsAreNamed() throws {
        let error = try #require(throws: ValidationError.self) {
            try Engine.Complaint(
                complaint {
                    $0.complaintID = ""
                    $0.state = .concluded
                    $0.acceptedAt = stamp("2026-09-20 09:00")
                })
        }
        #expect(
            error.problems.map(\.description) == [
                "complaint_id: is empty; expected 1 to 64 characters",
                "concluded_at: is not set; expected an instant",
                "accepted_at: is 2026-09-20T09:00:00+08:00, before the complaint was received at "
                    + "2026-09-21T09:00:00+08:00; expected an instant after it",
            ])

        let missing = try #require(throws: ValidationError.self) {
            try Engine.Complaint(
                complaint {
                    $0.receivedAt = nil
                    $0.state = .unrecognized(9)
                })
        }
        #expect(missing.problems.map(\.field) == ["state", "received_at"])
    }

    /// A complaint never accepted: acceptance was due at 24:00 of the 5th
    /// working day (Sep 29); its warning, yellow and red cards all hold.
    @Test func theTimelineAndAlertsComeBack() throws {
        let message = complaint()
        let engine = try Engine.Complaint(message)
        let evaluation = Supervision.evaluate(
            complaint: engine, context: context, now: at("2026-10-09 12:00"))
        let updated = message.updating(
            from: engine, evaluation: evaluation, context: context, regionCode: "330106")
        #expect(updated.state == .registered)
        #expect(updated.acceptDueAt == stamp("2026-09-30 00:00"))
        #expect(updated.concludeDueAt == nil)
        #expect(updated.complainant == message.complainant)
        #expect(updated.content == "办理超期")
        #expect(
            updated.alerts.map { "\($0.level.protoName!) \($0.dueAt!.rfc3339)" } == [
                "LEVEL_WARNING 2026-09-27T16:00:00Z", "LEVEL_YELLOW 2026-09-30T16:00:00Z",
                "LEVEL_RED 2026-10-08T16:00:00Z",
            ])
        #expect(
            updated.alerts.allSatisfy {
                $0.subject == "complaint:TS-1" && $0.rule == .complaintTime
            })

        let acceptedMessage = complaint {
            $0.state = .accepted
            $0.acceptedAt = stamp("2026-09-22 09:00")
        }
        let accepted = try Engine.Complaint(acceptedMessage)
        let acceptedUpdate = acceptedMessage.updating(
            from: accepted,
            evaluation: Supervision.evaluate(
                complaint: accepted, context: context, now: at("2026-09-23 12:00")),
            context: context)
        #expect(acceptedUpdate.state == .accepted)
        // 15 working days after Sep 22: Sep 23, 24, 28, 29, 30, Oct 8, 9, 10,
        // 12, 13, 14, 15, 16, 19, 20.
        #expect(acceptedUpdate.concludeDueAt == stamp("2026-10-21 00:00"))
        #expect(acceptedUpdate.alerts.isEmpty)
    }
}
