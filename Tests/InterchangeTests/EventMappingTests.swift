import Engine
import Interchange
import Messages
import Testing

private let reportedAt = at("2026-09-21 09:30")

/// Reads a message that must be well formed.
private func read(_ message: Messages.CaseEvent) throws -> Engine.CaseEvent {
    try Engine.CaseEvent(message, reportedAt: reportedAt)
}

@Suite("Case events between the standard's messages and the engine")
struct EventMappingTests {
    @Test func identityTimeAndRevisionAreCarried() throws {
        var message = event(.accepted(CaseAccepted(handler: "李四")), id: "0190a5b2-0004")
        message.revision = 1
        message.occurredAt = Timestamp(
            seconds: at("2026-09-21 09:00").millisecondsSinceEpoch / 1000, nanos: 250_999_999)
        let engine = try read(message)
        #expect(engine.eventID == "0190a5b2-0004")
        #expect(engine.caseKey == CaseKey(departmentCode: "D1", caseID: "C1"))
        // The engine counts revisions from 1, the standard from 0.
        #expect(engine.revision == 2)
        // The engine keeps whole milliseconds.
        #expect(engine.occurredAt == at("2026-09-21 09:00").adding(milliseconds: 250))
        #expect(engine.reportedAt == reportedAt)
        #expect(engine.kind == .accepted(handler: "李四"))
    }

    /// What each kind becomes in the engine.
    @Test func everyKindIsReadIntoTheEngine() throws {
        let expected: [CaseEventKind] = [
            .received(
                Receipt(
                    itemCode: "LIC",
                    applicant: Engine.Applicant(
                        kind: .person, name: "张三", idType: "ID_TYPE_RESIDENT_ID_CARD",
                        idNumber: "330101199001011234"),
                    channel: .online)),
            .accepted(handler: "李四"),
            .refusedAtIntake(reason: "不属于本机关职权范围"),
            .correctionRequested(missing: ["土地权属证明", "规划设计方案"]),
            .correctionReceived,
            .stepCompleted(
                StepCompletion(step: .review, handler: "王五", opinion: "同意", outcome: .returned)),
            .specialProcedureStarted(
                SpecialProcedureStart(
                    procedureID: "P1", type: .expertReview, grantedDays: 10, reason: "专家评审")),
            .specialProcedureEnded(
                SpecialProcedureEnd(procedureID: "P1", result: "通过", feeFen: 1500)),
            .extensionGranted(ExtensionGrant(days: 5, approver: "王局长", reason: "需现场踏勘")),
            .feeCharged(FeeCharge(feeItem: "工本费", amountFen: 1000)),
            .concluded(
                Conclusion(result: .approved, certificateName: "许可证", certificateNumber: "No.1")),
            .delivered(Delivery(method: "DELIVERY_METHOD_POST", recipient: "张三")),
        ]
        for (kind, engineKind) in zip(everyKind, expected) {
            #expect(try read(event(kind)).kind == engineKind)
        }
    }

    @Test(arguments: [
        (Messages.SpecialProcedureType.hearing, Engine.SpecialProcedureType.hearing),
        (.tender, .tendering), (.auction, .auction), (.inspection, .inspection),
        (.testing, .testing), (.quarantine, .quarantine), (.appraisal, .appraisal),
        (.expertReview, .expertReview),
    ])
    func procedureTypesCorrespond(
        message: Messages.SpecialProcedureType, engine: Engine.SpecialProcedureType
    ) {
        #expect(Engine.SpecialProcedureType(message) == engine)
        #expect(Messages.SpecialProcedureType(engine) == message)
    }

    /// Messages that hold only what the engine keeps come back unchanged.
    @Test(arguments: everyKind)
    func messageEngineMessageRoundTrip(_ kind: Messages.CaseEvent.Kind) throws {
        var message = event(engineShaped(kind))
        message.revision = 3
        let again = Messages.CaseEvent(try read(message))
        #expect(again == message)
    }

    /// What the engine does not keep is lost on the way back, and only that:
    /// the message itself must be kept where it matters.
    @Test func fieldsTheEngineDropsAreExactlyTheDocumentedOnes() throws {
        for kind in everyKind {
            let message = event(kind)
            let again = Messages.CaseEvent(try read(message))
            #expect(again == event(engineShaped(kind)))
        }
    }

    @Test func engineMessageEngineRoundTrip() throws {
        let key = CaseKey(departmentCode: "D1", caseID: "C1")
        let kinds: [CaseEventKind] = [
            .received(
                Receipt(
                    itemCode: "LIC",
                    applicant: Engine.Applicant(
                        kind: .organisation, name: "某公司", idType: "ID_TYPE_OTHER",
                        idNumber: "X1"),
                    channel: .counter)),
            .received(Receipt(itemCode: "LIC")),
            .accepted(handler: "h"), .refusedAtIntake(reason: "r"),
            .correctionRequested(missing: ["a", "b"]), .correctionReceived,
            .stepCompleted(StepCompletion(step: .approve, handler: "h", outcome: .pass)),
            .specialProcedureStarted(
                SpecialProcedureStart(procedureID: "P", type: .quarantine, grantedDays: 3)),
            .specialProcedureEnded(SpecialProcedureEnd(procedureID: "P")),
            .extensionGranted(ExtensionGrant(days: 2, approver: "a", reason: "r")),
            .feeCharged(FeeCharge(feeItem: "f", amountFen: 0)),
            .concluded(Conclusion(result: .denied, reason: "no")),
            .delivered(Delivery(method: "DELIVERY_METHOD_ELECTRONIC", recipient: "r")),
            .delivered(Delivery(method: "", recipient: "r")),
        ]
        for kind in kinds {
            let original = Engine.CaseEvent(
                eventID: "E9", caseKey: key, occurredAt: at("2026-09-21 09:00"),
                reportedAt: reportedAt, revision: 4, kind: kind)
            let again = try Engine.CaseEvent(Messages.CaseEvent(original), reportedAt: reportedAt)
            #expect(again == original)
        }
    }

    /// The recorded event keeps the message whole: phone, title, handlers,
    /// notes and nanoseconds, and its bytes read back to the same record.
    @Test func recordedEventKeepsTheMessageAsSent() throws {
        for kind in everyKind {
            var message = event(kind)
            message.occurredAt?.nanos = 123_456_789
            let recorded = try RecordedEvent(message, reportedAt: reportedAt)
            #expect(recorded.message == message)
            #expect(recorded.event == (try read(message)))
            let again = try RecordedEvent(
                serializedBytes: recorded.message.serializedBytes(), reportedAt: reportedAt)
            #expect(again == recorded)

            let entry = recorded.timelineEntry(reportedLate: true)
            #expect(entry.event == message)
            #expect(entry.reportedAt == Timestamp(reportedAt))
            #expect(entry.reportedLate && !entry.superseded)
        }
    }

    @Test func instantsConvertToTheMillisecondTowardThePast() {
        #expect(Instant(Timestamp(seconds: 1, nanos: 1_999_999)).millisecondsSinceEpoch == 1001)
        #expect(Instant(Timestamp(seconds: -2, nanos: 500_000_000)).millisecondsSinceEpoch == -1500)
        #expect(
            Timestamp(Instant(millisecondsSinceEpoch: -1500))
                == Timestamp(seconds: -2, nanos: 500_000_000))
        #expect(
            Timestamp(Instant(millisecondsSinceEpoch: 1001))
                == Timestamp(seconds: 1, nanos: 1_000_000))
        #expect(Instant(Timestamp(seconds: .max, nanos: 0)).millisecondsSinceEpoch == .max)
    }

    /// An unknown item and a refusal without a reason are accepted, and the
    /// engine raises their alerts.
    @Test func evidenceRaisesItsAlertsInTheEngine() throws {
        let messages = [
            event(.received(CaseReceived(itemCode: "NO-SUCH-ITEM")), id: "E1"),
            event(.intakeRefused(IntakeRefused()), id: "E2", at: "2026-09-22 10:00"),
        ]
        let events = try messages.map {
            try Engine.CaseEvent($0, reportedAt: Instant($0.occurredAt!))
        }
        let evaluation = Supervision.evaluate(
            events: events, context: context, now: at("2026-09-23 00:00"))
        let keys = evaluation.alerts.map {
            "\($0.rule.rawValue)|\($0.subject)|\($0.level.rawValue)"
        }
        #expect(keys == ["unknownItem|item-NO-SUCH-ITEM|warning", "missingReason|event-E2|yellow"])
    }
}

/// The kind with only what the engine keeps: no phone, title, intake
/// handlers or note; a person when the type is unspecified.
private func engineShaped(_ kind: Messages.CaseEvent.Kind) -> Messages.CaseEvent.Kind {
    switch kind {
    case .received(var received):
        received.title = ""
        received.applicant?.phone = ""
        return .received(received)
    case .intakeRefused(var refused):
        refused.handler = ""
        return .intakeRefused(refused)
    case .correctionRequested(var request):
        request.handler = ""
        return .correctionRequested(request)
    case .correctionReceived:
        return .correctionReceived(CorrectionReceived())
    default:
        return kind
    }
}
