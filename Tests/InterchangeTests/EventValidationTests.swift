import Engine
import Interchange
import Messages
import Testing

/// A malformed event and what its rejection must say.
struct Malformed: Sendable, CustomTestStringConvertible {
    let event: Messages.CaseEvent
    let field: String
    let reason: String

    var testDescription: String { field + ": " + reason }
}

private let reportedAt = at("2026-09-21 10:00")
private let long65 = String(repeating: "x", count: 65)
private let text4001 = String(repeating: "字", count: 4001)

private func with(_ change: (inout Messages.CaseEvent) -> Void) -> Messages.CaseEvent {
    var message = event(.accepted(CaseAccepted(handler: "李四")))
    change(&message)
    return message
}

private let malformed: [Malformed] = [
    Malformed(
        event: with { $0.eventID = "" }, field: "event_id",
        reason: "is empty; expected 1 to 64 characters"),
    Malformed(
        event: with { $0.eventID = long65 }, field: "event_id",
        reason: "is 65 characters long; expected at most 64"),
    Malformed(
        event: with { $0.departmentCode = "" }, field: "department_code",
        reason: "is empty; expected 1 to 64 characters"),
    Malformed(
        event: with { $0.caseID = String(repeating: "办", count: 65) }, field: "case_id",
        reason: "is 65 characters long; expected at most 64"),
    Malformed(
        event: with { $0.occurredAt = nil }, field: "occurred_at",
        reason: "is not set; expected the instant the event happened"),
    Malformed(
        event: with { $0.occurredAt?.nanos = 1_000_000_000 }, field: "occurred_at.nanos",
        reason: "is 1000000000; expected 0 to 999999999"),
    Malformed(
        event: with { $0.occurredAt?.nanos = -1 }, field: "occurred_at.nanos",
        reason: "is -1; expected 0 to 999999999"),
    Malformed(
        event: with { $0.occurredAt = stamp("1999-12-31 23:59:59") }, field: "occurred_at",
        reason: "is 1999-12-31T15:59:59Z, before 2000-01-01 China Standard Time"),
    Malformed(
        event: with { $0.occurredAt = Timestamp(reportedAt.adding(seconds: 86_401)) },
        field: "occurred_at",
        reason: "is 2026-09-22T02:00:01Z, more than a day after the event was reported at "
            + "2026-09-21T02:00:00Z; expected the instant the event happened, at most "
            + "2026-09-22T02:00:00Z"),
    Malformed(
        event: with { $0.kind = nil }, field: "kind",
        reason: "is not set; expected exactly one of received, accepted"),
    Malformed(
        event: event(.received(CaseReceived(itemCode: ""))), field: "received.item_code",
        reason: "is empty; expected 1 to 64 characters"),
    Malformed(
        event: event(.received(CaseReceived(itemCode: long65))), field: "received.item_code",
        reason: "is 65 characters long"),
    Malformed(
        event: event(.received(CaseReceived(itemCode: "LIC", title: text4001))),
        field: "received.title", reason: "is 4001 characters long; expected at most 4000"),
    Malformed(
        event: event(
            .received(
                CaseReceived(itemCode: "LIC", applicant: Messages.Applicant(name: text4001)))),
        field: "received.applicant.name", reason: "is 4001 characters long"),
    Malformed(
        event: event(
            .received(
                CaseReceived(itemCode: "LIC", applicant: Messages.Applicant(idNumber: long65)))),
        field: "received.applicant.id_number", reason: "is 65 characters long"),
    Malformed(
        event: event(.accepted(CaseAccepted(handler: text4001))), field: "accepted.handler",
        reason: "is 4001 characters long"),
    Malformed(
        event: event(.intakeRefused(IntakeRefused(reason: text4001))),
        field: "intake_refused.reason", reason: "is 4001 characters long"),
    Malformed(
        event: event(
            .correctionRequested(CorrectionRequested(missingMaterials: ["证明", text4001]))),
        field: "correction_requested.missing_materials[1]", reason: "is 4001 characters long"),
    Malformed(
        event: event(
            .correctionRequested(
                CorrectionRequested(missingMaterials: Array(repeating: "证明", count: 1001)))),
        field: "correction_requested.missing_materials",
        reason: "has 1001 entries; expected at most 1000"),
    Malformed(
        event: event(.correctionReceived(CorrectionReceived(note: text4001))),
        field: "correction_received.note", reason: "is 4001 characters long"),
    Malformed(
        event: event(.stepCompleted(StepCompleted(step: .unspecified, outcome: .pass))),
        field: "step_completed.step",
        reason: "is STEP_UNSPECIFIED; expected STEP_UNDERTAKE, STEP_REVIEW or STEP_APPROVE"),
    Malformed(
        event: event(.stepCompleted(StepCompleted(step: .unrecognized(9), outcome: .pass))),
        field: "step_completed.step",
        reason: "is 9, which is not a known value; expected STEP_UNDERTAKE"),
    Malformed(
        event: event(.stepCompleted(StepCompleted(step: .review, outcome: .unspecified))),
        field: "step_completed.outcome",
        reason: "is STEP_OUTCOME_UNSPECIFIED; expected STEP_OUTCOME_PASS or STEP_OUTCOME_RETURN"),
    Malformed(
        event: event(
            .stepCompleted(StepCompleted(step: .review, opinion: text4001, outcome: .pass))),
        field: "step_completed.opinion", reason: "is 4001 characters long"),
    Malformed(
        event: event(
            .specialProcedureStarted(
                SpecialProcedureStarted(procedureID: "", type: .hearing, grantedDays: 5))),
        field: "special_procedure_started.procedure_id", reason: "is empty"),
    Malformed(
        event: event(
            .specialProcedureStarted(
                SpecialProcedureStarted(procedureID: "P1", type: .unspecified, grantedDays: 5))),
        field: "special_procedure_started.type",
        reason: "is SPECIAL_PROCEDURE_TYPE_UNSPECIFIED; expected SPECIAL_PROCEDURE_TYPE_HEARING"),
    Malformed(
        event: event(
            .specialProcedureStarted(
                SpecialProcedureStarted(
                    procedureID: "P1", type: .unrecognized(42), grantedDays: 5))),
        field: "special_procedure_started.type", reason: "is 42, which is not a known value"),
    Malformed(
        event: event(
            .specialProcedureStarted(
                SpecialProcedureStarted(procedureID: "P1", type: .hearing, grantedDays: 0))),
        field: "special_procedure_started.granted_days",
        reason: "is 0; expected 1 to 1000 working days"),
    Malformed(
        event: event(
            .specialProcedureStarted(
                SpecialProcedureStarted(procedureID: "P1", type: .hearing, grantedDays: 1001))),
        field: "special_procedure_started.granted_days",
        reason: "is 1001; expected 1 to 1000 working days"),
    Malformed(
        event: event(.specialProcedureEnded(SpecialProcedureEnded(procedureID: ""))),
        field: "special_procedure_ended.procedure_id", reason: "is empty"),
    Malformed(
        event: event(.specialProcedureEnded(SpecialProcedureEnded(procedureID: "P1", feeFen: -1))),
        field: "special_procedure_ended.fee_fen", reason: "is -1; expected 0 or more fen"),
    Malformed(
        event: event(.extensionGranted(ExtensionGranted(days: 0, approver: "局长", reason: "r"))),
        field: "extension_granted.days", reason: "is 0; expected 1 to 1000 working days"),
    Malformed(
        event: event(.extensionGranted(ExtensionGranted(days: 5, approver: text4001))),
        field: "extension_granted.approver", reason: "is 4001 characters long"),
    Malformed(
        event: event(.feeCharged(FeeCharged(feeItem: "工本费", amountFen: -100))),
        field: "fee_charged.amount_fen", reason: "is -100; expected 0 or more fen"),
    Malformed(
        event: event(.feeCharged(FeeCharged(feeItem: "工本费", amountFen: 1_000_000_000_001))),
        field: "fee_charged.amount_fen",
        reason: "is 1000000000001; expected at most 1000000000000 fen"),
    Malformed(
        event: event(.concluded(CaseConcluded(result: .unspecified))), field: "concluded.result",
        reason: "is CONCLUSION_RESULT_UNSPECIFIED; expected CONCLUSION_RESULT_APPROVED"),
    Malformed(
        event: event(.concluded(CaseConcluded(result: .unrecognized(6)))),
        field: "concluded.result", reason: "is 6, which is not a known value"),
    Malformed(
        event: event(.concluded(CaseConcluded(result: .approved, certificateNumber: text4001))),
        field: "concluded.certificate_number", reason: "is 4001 characters long"),
    Malformed(
        event: event(.delivered(CertificateDelivered(method: .post, recipient: text4001))),
        field: "delivered.recipient", reason: "is 4001 characters long"),
]

@Suite("Structural validation of reported events")
struct EventValidationTests {
    @Test(arguments: malformed)
    func malformedEventNamesItsField(_ case: Malformed) {
        let problems = `case`.event.validationProblems(reportedAt: reportedAt)
        #expect(problems.map(\.field) == [`case`.field])
        #expect(problems.first?.reason.hasPrefix(`case`.reason) == true, "\(problems)")

        // The engine never sees it: reading throws the same first problem.
        #expect(throws: ValidationError.self) {
            try Engine.CaseEvent(`case`.event, reportedAt: reportedAt)
        }
        do {
            _ = try RecordedEvent(`case`.event, reportedAt: reportedAt)
        } catch {
            #expect(error.field == `case`.field)
        }
    }

    @Test(arguments: everyKind)
    func wellFormedEventsOfEveryKindPass(_ kind: Messages.CaseEvent.Kind) {
        #expect(event(kind).validationProblems(reportedAt: reportedAt) == [])
    }

    /// Evidence is accepted: the engine's rules, not validation, judge it.
    @Test func questionableEventsAreAcceptedAsEvidence() {
        let evidence: [Messages.CaseEvent] = [
            event(.received(CaseReceived(itemCode: "NO-SUCH-ITEM"))),
            event(.intakeRefused(IntakeRefused(reason: ""))),
            event(.concluded(CaseConcluded(result: .denied, reason: ""))),
            event(.extensionGranted(ExtensionGranted(days: 30, approver: "", reason: ""))),
            event(.received(CaseReceived(itemCode: "LIC", channel: .unrecognized(7)))),
            event(.delivered(CertificateDelivered(method: .unrecognized(9)))),
            event(.feeCharged(FeeCharged(feeItem: "", amountFen: 0))),
            event(.correctionRequested(CorrectionRequested(missingMaterials: []))),
            with { $0.revision = 7 },
            with { $0.occurredAt = Timestamp(reportedAt.adding(seconds: 86_400)) },
            with { $0.caseID = String(repeating: "办", count: 64) },
            with { $0.eventID = String(repeating: "e", count: 64) },
        ]
        for message in evidence {
            #expect(message.validationProblems(reportedAt: reportedAt) == [], "\(message)")
        }
    }

    @Test func everyProblemIsCollectedInFieldOrder() {
        var message = event(.stepCompleted(StepCompleted(step: .unspecified, outcome: .pass)))
        message.eventID = ""
        message.occurredAt = nil
        message.caseID = long65
        let problems = message.validationProblems(reportedAt: reportedAt)
        #expect(
            problems.map(\.field) == ["event_id", "case_id", "occurred_at", "step_completed.step"])

        do {
            _ = try RecordedEvent(message, reportedAt: reportedAt)
            Issue.record("a malformed event was recorded")
        } catch {
            #expect(error.problems == problems)
            #expect(error.field == "event_id")
            #expect(error.reason == "is empty; expected 1 to 64 characters")
            #expect(
                error.description.hasPrefix("event_id: is empty; expected 1 to 64 characters; "))
        }
    }

    @Test func rejectionBecomesTheAcknowledgement() throws {
        var message = event(.received(CaseReceived(itemCode: "")), id: "0190a5b2-0001")
        message.revision = 2
        let error = try #require(throws: ValidationError.self) {
            try RecordedEvent(message, reportedAt: reportedAt)
        }
        let ack = EventAck(index: 7, rejecting: message, error: error)
        #expect(ack.index == 7)
        #expect(ack.eventID == "0190a5b2-0001")
        #expect(ack.revision == 2)
        #expect(ack.status == .rejected)
        #expect(ack.field == "received.item_code")
        #expect(ack.reason == "is empty; expected 1 to 64 characters")
    }

    @Test func bytesThatAreNoEventAreRejectedAsAWhole() throws {
        let error = try #require(throws: ValidationError.self) {
            try RecordedEvent(serializedBytes: [0x0A, 0xFF, 0xFF], reportedAt: reportedAt)
        }
        #expect(error.field == "")
        #expect(error.reason.contains("monitor.v1.CaseEvent"))
    }
}
