import Engine
import Messages

// The small conversions every mapping uses: instants, dates and the enums
// that both the interface standard and the engine name.

extension Instant {
    /// The instant of a timestamp, to the millisecond the engine counts in
    /// (a finer part is dropped, rounding toward the past).
    ///
    /// Instants beyond what milliseconds in 64 bits hold (some 292 million
    /// years) are clamped; validation keeps every event far inside.
    public init(_ timestamp: Timestamp) {
        let (millis, overflow) = timestamp.seconds.multipliedReportingOverflow(by: 1000)
        if overflow {
            self.init(millisecondsSinceEpoch: timestamp.seconds < 0 ? .min : .max)
            return
        }
        let nanos = Int64(max(0, min(999_999_999, timestamp.nanos)))
        self.init(millisecondsSinceEpoch: millis.addingReportingOverflow(nanos / 1_000_000).0)
    }
}

extension Timestamp {
    /// The timestamp of an engine instant.
    public init(_ instant: Instant) {
        let millis = instant.millisecondsSinceEpoch
        var seconds = millis / 1000
        var remainder = millis % 1000
        if remainder < 0 {
            seconds -= 1
            remainder += 1000
        }
        self.init(seconds: seconds, nanos: Int32(remainder) * 1_000_000)
    }
}

extension Instant {
    /// The civil date (China Standard Time) of the last day a deadline at
    /// this instant covers: a deadline is 24:00 of its date, which is 00:00
    /// of the next, so the instant one millisecond before it names the day.
    var deadlineDate: LocalDate {
        LocalDate(containing: adding(milliseconds: -1))
    }
}

// MARK: Enums named by both sides

extension ApprovalStep {
    /// The engine's step for a message's, or nil for 0 and unknown numbers.
    public init?(_ step: Step) {
        switch step {
        case .undertake: self = .undertake
        case .review: self = .review
        case .approve: self = .approve
        case .unspecified, .unrecognized: return nil
        }
    }
}

extension Step {
    /// The message's step for the engine's.
    public init(_ step: ApprovalStep) {
        switch step {
        case .undertake: self = .undertake
        case .review: self = .review
        case .approve: self = .approve
        }
    }
}

extension Engine.SpecialProcedureType {
    /// The engine's procedure type for a message's, or nil for 0 and
    /// unknown numbers.
    public init?(_ type: Messages.SpecialProcedureType) {
        switch type {
        case .hearing: self = .hearing
        case .tender: self = .tendering
        case .auction: self = .auction
        case .inspection: self = .inspection
        case .testing: self = .testing
        case .quarantine: self = .quarantine
        case .appraisal: self = .appraisal
        case .expertReview: self = .expertReview
        case .unspecified, .unrecognized: return nil
        }
    }
}

extension Messages.SpecialProcedureType {
    /// The message's procedure type for the engine's.
    public init(_ type: Engine.SpecialProcedureType) {
        switch type {
        case .hearing: self = .hearing
        case .tendering: self = .tender
        case .auction: self = .auction
        case .inspection: self = .inspection
        case .testing: self = .testing
        case .quarantine: self = .quarantine
        case .appraisal: self = .appraisal
        case .expertReview: self = .expertReview
        }
    }
}

extension Engine.ConclusionResult {
    /// The engine's result for a message's, or nil for 0 and unknown numbers.
    public init?(_ result: Messages.ConclusionResult) {
        switch result {
        case .approved: self = .approved
        case .denied: self = .denied
        case .withdrawn: self = .withdrawn
        case .voided: self = .voided
        case .forwarded: self = .forwarded
        case .unspecified, .unrecognized: return nil
        }
    }
}

extension Messages.ConclusionResult {
    /// The message's result for the engine's.
    public init(_ result: Engine.ConclusionResult) {
        switch result {
        case .approved: self = .approved
        case .denied: self = .denied
        case .withdrawn: self = .withdrawn
        case .voided: self = .voided
        case .forwarded: self = .forwarded
        }
    }
}

extension Engine.ItemKind {
    /// The engine's item kind for a message's: 0 (left out) is licensing, the
    /// catalogue's default; nil for an unknown number.
    public init?(_ kind: Messages.ItemKind) {
        switch kind {
        case .licensing, .unspecified: self = .licensing
        case .nonLicensing: self = .nonLicensing
        case .publicService: self = .publicService
        case .unrecognized: return nil
        }
    }
}

extension Messages.ItemKind {
    /// The message's item kind for the engine's.
    public init(_ kind: Engine.ItemKind) {
        switch kind {
        case .licensing: self = .licensing
        case .nonLicensing: self = .nonLicensing
        case .publicService: self = .publicService
        }
    }
}

extension Level {
    /// The message's level for the engine's.
    public init(_ level: AlertLevel) {
        switch level {
        case .warning: self = .warning
        case .yellow: self = .yellow
        case .red: self = .red
        }
    }
}

extension AlertLevel {
    /// The engine's level for a message's, or nil for 0 and unknown numbers.
    public init?(_ level: Level) {
        switch level {
        case .warning: self = .warning
        case .yellow: self = .yellow
        case .red: self = .red
        case .unspecified, .unrecognized: return nil
        }
    }
}

extension Rule {
    /// The message's rule for the engine's. The engine's two complaint
    /// clocks (acceptance and conclusion) are one rule in the standard.
    public init(_ rule: AlertRule) {
        switch rule {
        case .caseTime: self = .caseTime
        case .stepTime: self = .stepTime
        case .intake: self = .intakeTime
        case .specialProcedureTime: self = .specialProcedureTime
        case .specialProcedureType: self = .specialProcedureType
        case .extensionGrant: self = .`extension`
        case .fee: self = .fee
        case .missingReason: self = .missingReason
        case .outOfOrder: self = .outOfOrder
        case .delivery: self = .deliveryTime
        case .lateReporting: self = .lateReporting
        case .complaintAcceptance, .complaintConclusion: self = .complaintTime
        case .feedbackOverdue: self = .feedbackOverdue
        case .manual: self = .manual
        case .unknownItem: self = .unknownItem
        case .calendarMissing: self = .calendarMissing
        }
    }

    /// The engine's rules this rule stands for: one, or both complaint
    /// clocks for `RULE_COMPLAINT_TIME`; empty for 0 and unknown numbers.
    public var engineRules: [AlertRule] {
        switch self {
        case .caseTime: return [.caseTime]
        case .stepTime: return [.stepTime]
        case .intakeTime: return [.intake]
        case .specialProcedureTime: return [.specialProcedureTime]
        case .specialProcedureType: return [.specialProcedureType]
        case .`extension`: return [.extensionGrant]
        case .fee: return [.fee]
        case .missingReason: return [.missingReason]
        case .outOfOrder: return [.outOfOrder]
        case .deliveryTime: return [.delivery]
        case .lateReporting: return [.lateReporting]
        case .complaintTime: return [.complaintAcceptance, .complaintConclusion]
        case .feedbackOverdue: return [.feedbackOverdue]
        case .manual: return [.manual]
        case .unknownItem: return [.unknownItem]
        case .calendarMissing: return [.calendarMissing]
        case .unspecified, .unrecognized: return []
        }
    }
}
