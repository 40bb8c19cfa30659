/// The identity of a case (办件): the reporting department and its serial
/// number for the case (申办流水号), unique per department.
public struct CaseKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The reporting department's code.
    public var departmentCode: String
    /// The department's case serial number.
    public var caseID: String

    /// Creates a case key.
    public init(departmentCode: String, caseID: String) {
        self.departmentCode = departmentCode
        self.caseID = caseID
    }

    /// Orders keys by department, then case.
    public static func < (lhs: CaseKey, rhs: CaseKey) -> Bool {
        (lhs.departmentCode, lhs.caseID) < (rhs.departmentCode, rhs.caseID)
    }

    /// `department/case`.
    public var description: String { departmentCode + "/" + caseID }
}

/// One event a department reports about a case.
///
/// The event id makes a resend recognisable; a higher revision of the same
/// event id corrects it, and the engine always uses the highest revision.
/// Events are ordered by when they happened, never by when they arrived.
public struct CaseEvent: Hashable, Sendable {
    /// The event's unique id, chosen by the reporting system.
    public var eventID: String
    /// The case the event belongs to.
    public var caseKey: CaseKey
    /// When the event happened.
    public var occurredAt: Instant
    /// When the event reached the supervision system.
    public var reportedAt: Instant
    /// The revision of this event; 1 for the first report.
    public var revision: Int
    /// What happened.
    public var kind: CaseEventKind

    /// Creates an event; `reportedAt` defaults to `occurredAt`.
    public init(
        eventID: String, caseKey: CaseKey, occurredAt: Instant, reportedAt: Instant? = nil,
        revision: Int = 1, kind: CaseEventKind
    ) {
        self.eventID = eventID
        self.caseKey = caseKey
        self.occurredAt = occurredAt
        self.reportedAt = reportedAt ?? occurredAt
        self.revision = revision
        self.kind = kind
    }
}

/// What a case event says happened.
public enum CaseEventKind: Hashable, Sendable {
    /// The application was received (收件), for an item.
    case received(Receipt)
    /// The case was accepted (受理); the case clock starts.
    case accepted(handler: String)
    /// The application was refused at intake (不予受理), with a reason.
    case refusedAtIntake(reason: String)
    /// A correction notice (补正告知) listing everything missing; intake stops.
    case correctionRequested(missing: [String])
    /// The corrected materials arrived (补正收到); intake runs again.
    case correctionReceived
    /// A step (承办 / 审核 / 批准) was completed.
    case stepCompleted(StepCompletion)
    /// A special procedure (特别程序) started; the case clock pauses.
    case specialProcedureStarted(SpecialProcedureStart)
    /// A special procedure ended.
    case specialProcedureEnded(SpecialProcedureEnd)
    /// An extension (延期) was granted.
    case extensionGranted(ExtensionGrant)
    /// A fee was charged.
    case feeCharged(FeeCharge)
    /// The case was concluded (办结) with a decision.
    case concluded(Conclusion)
    /// The decision or certificate was delivered (送达 / 领取).
    case delivered(Delivery)

    /// A fixed rank in the order a case normally goes through, used only to
    /// order events that happened at the same instant.
    var naturalOrder: UInt8 {
        switch self {
        case .received: return 0
        case .correctionRequested: return 1
        case .correctionReceived: return 2
        case .refusedAtIntake: return 3
        case .accepted: return 4
        case .specialProcedureStarted: return 5
        case .specialProcedureEnded: return 6
        case .extensionGranted: return 7
        case .stepCompleted: return 8
        case .feeCharged: return 9
        case .concluded: return 10
        case .delivered: return 11
        }
    }

    /// A short English name for the event, used in alert explanations.
    public var name: String {
        switch self {
        case .received: return "received"
        case .accepted: return "accepted"
        case .refusedAtIntake: return "refused at intake"
        case .correctionRequested: return "correction requested"
        case .correctionReceived: return "correction received"
        case .stepCompleted(let step): return "\(step.step) step completed"
        case .specialProcedureStarted: return "special procedure started"
        case .specialProcedureEnded: return "special procedure ended"
        case .extensionGranted: return "extension granted"
        case .feeCharged: return "fee charged"
        case .concluded: return "concluded"
        case .delivered: return "delivered"
        }
    }
}

/// The applicant of a case. Personal data: the engine carries it and never
/// uses it.
public struct Applicant: Hashable, Sendable {
    /// Whether the applicant is a person or an organisation.
    public enum Kind: String, Hashable, Sendable {
        /// A natural person.
        case person
        /// A company or other organisation.
        case organisation
    }

    /// Person or organisation.
    public var kind: Kind
    /// The applicant's name.
    public var name: String
    /// The kind of identity document, e.g. resident identity card.
    public var idType: String
    /// The identity document's number.
    public var idNumber: String

    /// Creates an applicant.
    public init(kind: Kind, name: String, idType: String, idNumber: String) {
        self.kind = kind
        self.name = name
        self.idType = idType
        self.idNumber = idNumber
    }
}

/// How an application arrived.
public enum Channel: String, Hashable, Sendable {
    /// At the service counter (窗口).
    case counter
    /// Online (网上申报).
    case online
}

/// What the received event carries.
public struct Receipt: Hashable, Sendable {
    /// The item applied for.
    public var itemCode: String
    /// Who applied.
    public var applicant: Applicant?
    /// How the application arrived.
    public var channel: Channel

    /// Creates a receipt.
    public init(itemCode: String, applicant: Applicant? = nil, channel: Channel = .counter) {
        self.itemCode = itemCode
        self.applicant = applicant
        self.channel = channel
    }
}

/// What a completed step reports.
public struct StepCompletion: Hashable, Sendable {
    /// Whether the step passed the case on or returned it.
    public enum Outcome: String, Hashable, Sendable {
        /// Passed to the next step.
        case pass
        /// Returned to the step before (退回).
        case returned
    }

    /// The step completed.
    public var step: ApprovalStep
    /// Who completed it.
    public var handler: String
    /// The handler's opinion.
    public var opinion: String
    /// Pass or return.
    public var outcome: Outcome

    /// Creates a step completion.
    public init(step: ApprovalStep, handler: String, opinion: String = "", outcome: Outcome = .pass)
    {
        self.step = step
        self.handler = handler
        self.opinion = opinion
        self.outcome = outcome
    }
}

/// What the start of a special procedure reports.
public struct SpecialProcedureStart: Hashable, Sendable {
    /// The procedure's id, unique within the case; its end names it.
    public var procedureID: String
    /// The kind of procedure.
    public var type: SpecialProcedureType
    /// The working days the department granted it.
    public var grantedDays: Int
    /// Why it is needed.
    public var reason: String

    /// Creates a procedure start.
    public init(
        procedureID: String, type: SpecialProcedureType, grantedDays: Int, reason: String = ""
    ) {
        self.procedureID = procedureID
        self.type = type
        self.grantedDays = grantedDays
        self.reason = reason
    }
}

/// What the end of a special procedure reports.
public struct SpecialProcedureEnd: Hashable, Sendable {
    /// The procedure that ended.
    public var procedureID: String
    /// Its result, in words.
    public var result: String
    /// A fee charged for it, in fen, if any.
    public var feeFen: Int64?

    /// Creates a procedure end.
    public init(procedureID: String, result: String = "", feeFen: Int64? = nil) {
        self.procedureID = procedureID
        self.result = result
        self.feeFen = feeFen
    }
}

/// What an extension grant reports.
public struct ExtensionGrant: Hashable, Sendable {
    /// Working days added.
    public var days: Int
    /// Who approved it (the head of the department).
    public var approver: String
    /// Why.
    public var reason: String

    /// Creates an extension grant.
    public init(days: Int, approver: String, reason: String) {
        self.days = days
        self.approver = approver
        self.reason = reason
    }
}

/// What a fee charge reports.
public struct FeeCharge: Hashable, Sendable {
    /// The fee item charged.
    public var feeItem: String
    /// The amount in fen.
    public var amountFen: Int64

    /// Creates a fee charge.
    public init(feeItem: String, amountFen: Int64) {
        self.feeItem = feeItem
        self.amountFen = amountFen
    }
}

/// The decision that concluded a case.
public enum ConclusionResult: String, Hashable, Sendable, CaseIterable {
    /// Approved (准予); a certificate follows.
    case approved
    /// Denied (不予许可); needs a reason.
    case denied
    /// Withdrawn by the applicant (撤回).
    case withdrawn
    /// Voided (作废).
    case voided
    /// Forwarded to another authority (转报).
    case forwarded
}

/// What a conclusion reports.
public struct Conclusion: Hashable, Sendable {
    /// The decision.
    public var result: ConclusionResult
    /// The reason, required for a denial.
    public var reason: String
    /// The certificate's name, for an approval.
    public var certificateName: String
    /// The certificate's number, for an approval.
    public var certificateNumber: String

    /// Creates a conclusion.
    public init(
        result: ConclusionResult, reason: String = "", certificateName: String = "",
        certificateNumber: String = ""
    ) {
        self.result = result
        self.reason = reason
        self.certificateName = certificateName
        self.certificateNumber = certificateNumber
    }
}

/// What a delivery reports.
public struct Delivery: Hashable, Sendable {
    /// How it was delivered (in person, by post, online...).
    public var method: String
    /// To whom.
    public var recipient: String

    /// Creates a delivery.
    public init(method: String, recipient: String) {
        self.method = method
        self.recipient = recipient
    }
}
