import Engine
import Messages

extension Engine.CaseEvent {
    /// Reads a reported event for the engine, after structural validation.
    ///
    /// The engine's revision counts from 1 where the standard's counts from
    /// 0; its instants are whole milliseconds. Fields the engine does not
    /// use (the applicant's phone, the title, handlers of intake events,
    /// notes) are left out: keep the message itself, as ``RecordedEvent``
    /// does, wherever the whole event matters.
    ///
    /// - Parameter reportedAt: when the server received the event.
    /// - Throws: ``ValidationError`` naming every malformed field.
    public init(_ message: Messages.CaseEvent, reportedAt: Instant) throws(ValidationError) {
        let problems = message.validationProblems(reportedAt: reportedAt)
        guard problems.isEmpty else { throw ValidationError(problems: problems) }
        self.init(validated: message, reportedAt: reportedAt)
    }

    /// Reads an event that passed ``Messages/CaseEvent/validationProblems(reportedAt:)``.
    init(validated message: Messages.CaseEvent, reportedAt: Instant) {
        self.init(
            eventID: message.eventID,
            caseKey: CaseKey(departmentCode: message.departmentCode, caseID: message.caseID),
            occurredAt: Instant(message.occurredAt ?? Timestamp()), reportedAt: reportedAt,
            revision: Int(message.revision) + 1, kind: CaseEventKind(validated: message.kind!))
    }
}

extension CaseEventKind {
    /// The engine's kind for a validated message kind; the enums it reads
    /// were checked to be known.
    init(validated kind: Messages.CaseEvent.Kind) {
        switch kind {
        case .received(let received):
            self = .received(
                Receipt(
                    itemCode: received.itemCode,
                    applicant: received.applicant.map(Engine.Applicant.init),
                    channel: received.channel == .online ? .online : .counter))
        case .accepted(let accepted):
            self = .accepted(handler: accepted.handler)
        case .intakeRefused(let refused):
            self = .refusedAtIntake(reason: refused.reason)
        case .correctionRequested(let request):
            self = .correctionRequested(missing: request.missingMaterials)
        case .correctionReceived:
            self = .correctionReceived
        case .stepCompleted(let step):
            self = .stepCompleted(
                StepCompletion(
                    step: ApprovalStep(step.step)!, handler: step.handler, opinion: step.opinion,
                    outcome: step.outcome == .return ? .returned : .pass))
        case .specialProcedureStarted(let start):
            self = .specialProcedureStarted(
                SpecialProcedureStart(
                    procedureID: start.procedureID, type: Engine.SpecialProcedureType(start.type)!,
                    grantedDays: Int(start.grantedDays), reason: start.reason))
        case .specialProcedureEnded(let end):
            self = .specialProcedureEnded(
                SpecialProcedureEnd(
                    procedureID: end.procedureID, result: end.result,
                    feeFen: end.feeFen == 0 ? nil : end.feeFen))
        case .extensionGranted(let grant):
            self = .extensionGranted(
                ExtensionGrant(
                    days: Int(grant.days), approver: grant.approver, reason: grant.reason))
        case .feeCharged(let fee):
            self = .feeCharged(FeeCharge(feeItem: fee.feeItem, amountFen: fee.amountFen))
        case .concluded(let conclusion):
            self = .concluded(
                Conclusion(
                    result: Engine.ConclusionResult(conclusion.result)!, reason: conclusion.reason,
                    certificateName: conclusion.certificateName,
                    certificateNumber: conclusion.certificateNumber))
        case .delivered(let delivery):
            self = .delivered(
                Delivery(method: enumText(delivery.method), recipient: delivery.recipient))
        }
    }
}

extension Engine.Applicant {
    /// The engine's applicant for a message's. The engine knows a person or
    /// an organisation; a type left at 0 (or unknown) is read as a person.
    /// The document kind is kept as its proto name (`ID_TYPE_PASSPORT`).
    public init(_ applicant: Messages.Applicant) {
        self.init(
            kind: applicant.type == .organisation ? .organisation : .person,
            name: applicant.name, idType: enumText(applicant.idType),
            idNumber: applicant.idNumber)
    }
}

extension Messages.Applicant {
    /// The message's applicant for the engine's; the engine keeps no phone.
    public init(_ applicant: Engine.Applicant) {
        self.init(
            type: applicant.kind == .organisation ? .organisation : .person,
            name: applicant.name, idType: IdType(text: applicant.idType),
            idNumber: applicant.idNumber)
    }
}

extension Messages.CaseEvent {
    /// The message for an engine event, for a case's timeline.
    ///
    /// Everything the engine holds is carried over; what the engine never
    /// held (the applicant's phone, the title, the handlers of intake
    /// events, a correction's note, the channel left unspecified) cannot
    /// come back from it. An event that arrived as a message is shown from
    /// that message (``RecordedEvent/message``); this is for events made by
    /// the engine's callers.
    public init(_ event: Engine.CaseEvent) {
        self.init(
            eventID: event.eventID, revision: UInt32(clamping: max(0, event.revision - 1)),
            departmentCode: event.caseKey.departmentCode, caseID: event.caseKey.caseID,
            occurredAt: Timestamp(event.occurredAt), kind: Kind(event.kind))
    }
}

extension Messages.CaseEvent.Kind {
    /// The message kind for an engine kind.
    public init(_ kind: CaseEventKind) {
        switch kind {
        case .received(let receipt):
            self = .received(
                CaseReceived(
                    itemCode: receipt.itemCode,
                    applicant: receipt.applicant.map(Messages.Applicant.init),
                    channel: receipt.channel == .online ? .online : .counter))
        case .accepted(let handler):
            self = .accepted(CaseAccepted(handler: handler))
        case .refusedAtIntake(let reason):
            self = .intakeRefused(IntakeRefused(reason: reason))
        case .correctionRequested(let missing):
            self = .correctionRequested(CorrectionRequested(missingMaterials: missing))
        case .correctionReceived:
            self = .correctionReceived(CorrectionReceived())
        case .stepCompleted(let completion):
            self = .stepCompleted(
                StepCompleted(
                    step: Step(completion.step), handler: completion.handler,
                    opinion: completion.opinion,
                    outcome: completion.outcome == .returned ? .return : .pass))
        case .specialProcedureStarted(let start):
            self = .specialProcedureStarted(
                SpecialProcedureStarted(
                    procedureID: start.procedureID, type: Messages.SpecialProcedureType(start.type),
                    grantedDays: UInt32(clamping: start.grantedDays), reason: start.reason))
        case .specialProcedureEnded(let end):
            self = .specialProcedureEnded(
                SpecialProcedureEnded(
                    procedureID: end.procedureID, result: end.result, feeFen: end.feeFen ?? 0))
        case .extensionGranted(let grant):
            self = .extensionGranted(
                ExtensionGranted(
                    days: UInt32(clamping: grant.days), approver: grant.approver,
                    reason: grant.reason))
        case .feeCharged(let fee):
            self = .feeCharged(FeeCharged(feeItem: fee.feeItem, amountFen: fee.amountFen))
        case .concluded(let conclusion):
            self = .concluded(
                CaseConcluded(
                    result: Messages.ConclusionResult(conclusion.result), reason: conclusion.reason,
                    certificateName: conclusion.certificateName,
                    certificateNumber: conclusion.certificateNumber))
        case .delivered(let delivery):
            self = .delivered(
                CertificateDelivered(
                    method: DeliveryMethod(text: delivery.method), recipient: delivery.recipient))
        }
    }
}

/// An open enum's value as text the engine keeps: its proto name, the
/// number for one this build does not know, or empty for 0.
func enumText<E: ProtoEnum>(_ value: E) -> String {
    if value.rawValue == 0 { return "" }
    return value.protoName ?? String(value.rawValue)
}

extension ProtoEnum {
    /// The value ``enumText(_:)`` wrote: a proto name or a number; 0 for
    /// anything else.
    init(text: String) {
        if let named = Self(protoName: text) {
            self = named
        } else {
            self = Self(rawValue: Int32(text) ?? 0)
        }
    }
}
