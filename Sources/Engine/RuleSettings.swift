/// A supervision rule: what an alert is about.
public enum AlertRule: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Case time against the promised and legal deadlines (办理时限).
    case caseTime
    /// A step (承办 / 审核 / 批准) over its own limit.
    case stepTime
    /// Intake (受理) not decided within the intake limit.
    case intake
    /// A special procedure over its granted working days.
    case specialProcedureTime
    /// A special procedure of a type the item does not allow.
    case specialProcedureType
    /// An extension (延期) that breaks the law's conditions.
    case extensionGrant = "extension"
    /// A fee on an item without a fee standard, or above it.
    case fee
    /// A refusal at intake or a denial without a reason.
    case missingReason
    /// An event that cannot happen in the case's current state.
    case outOfOrder
    /// A certificate not delivered (送达) in time after approval.
    case delivery
    /// An event reported long after it happened.
    case lateReporting
    /// A complaint (投诉) not accepted or declined in time.
    case complaintAcceptance
    /// An accepted complaint not concluded in time.
    case complaintConclusion
    /// Feedback on a supervision notice overdue (督办超期).
    case feedbackOverdue
    /// A card issued by hand by a supervisor (人工发牌).
    case manual
    /// A data alert: the case names an item the catalogue does not have.
    case unknownItem
    /// An operational alert: a deadline fell in a year with no calendar data.
    case calendarMissing

    /// Whether the rule is about the system's data rather than a
    /// department's conduct; such alerts never count in scores.
    public var isOperational: Bool {
        self == .unknownItem || self == .calendarMissing
    }

    /// The rule's position in declaration order, for bit sets.
    var bit: Int {
        switch self {
        case .caseTime: return 0
        case .stepTime: return 1
        case .intake: return 2
        case .specialProcedureTime: return 3
        case .specialProcedureType: return 4
        case .extensionGrant: return 5
        case .fee: return 6
        case .missingReason: return 7
        case .outOfOrder: return 8
        case .delivery: return 9
        case .lateReporting: return 10
        case .complaintAcceptance: return 11
        case .complaintConclusion: return 12
        case .feedbackOverdue: return 13
        case .manual: return 14
        case .unknownItem: return 15
        case .calendarMissing: return 16
        }
    }

    /// Orders rules by declaration, for stable listings.
    public static func < (lhs: AlertRule, rhs: AlertRule) -> Bool {
        lhs.bit < rhs.bit
    }
}

/// Every threshold of the supervision rules, resolved for one item.
///
/// The defaults are the law's and the usual centre's; a centre overrides
/// them with ``RuleOverrides``, and an item overrides the centre.
public struct RuleSettings: Hashable, Sendable {
    /// Rules that raise nothing.
    public var disabledRules: Set<AlertRule>
    /// The case-time warning starts at 00:00 of the first of the last this
    /// many counted days before the promised deadline (default 2).
    public var caseWarningDays: Int
    /// The special procedure warning starts this many working days before
    /// its granted days run out (default 2).
    public var procedureWarningDays: Int
    /// The special procedure red card comes when it is over by more than this
    /// many working days (default 1).
    public var procedureRedDaysOver: Int
    /// Working days after an approving decision to deliver (default 10).
    public var deliveryLimit: Int
    /// How long after it happened an event may be reported (default 24 h).
    public var reportingDelayMilliseconds: Int64
    /// Working days after registration to accept or decline a complaint
    /// (default 5).
    public var complaintAcceptanceLimit: Int
    /// Working days after acceptance to conclude a complaint (default 15).
    public var complaintConclusionLimit: Int
    /// A complaint warning starts this many working days before it is due
    /// (default 2).
    public var complaintWarningDays: Int
    /// A complaint yellow card when over by this many working days
    /// (default 1).
    public var complaintYellowDaysOver: Int
    /// A complaint red card when over by this many working days (default 2).
    public var complaintRedDaysOver: Int
    /// Working days a department has to answer a supervision notice
    /// (default 3).
    public var feedbackLimit: Int

    /// The defaults.
    public static let defaults = RuleSettings(
        disabledRules: [], caseWarningDays: 2, procedureWarningDays: 2, procedureRedDaysOver: 1,
        deliveryLimit: 10, reportingDelayMilliseconds: 24 * 3_600_000,
        complaintAcceptanceLimit: 5, complaintConclusionLimit: 15, complaintWarningDays: 2,
        complaintYellowDaysOver: 1, complaintRedDaysOver: 2, feedbackLimit: 3)

    /// Whether `rule` raises alerts.
    public func isEnabled(_ rule: AlertRule) -> Bool {
        !disabledRules.contains(rule)
    }

    /// These settings with every value `overrides` sets replaced.
    public func applying(_ overrides: RuleOverrides) -> RuleSettings {
        var result = self
        for (rule, enabled) in overrides.enabled {
            if enabled {
                result.disabledRules.remove(rule)
            } else {
                result.disabledRules.insert(rule)
            }
        }
        result.caseWarningDays = overrides.caseWarningDays ?? caseWarningDays
        result.procedureWarningDays = overrides.procedureWarningDays ?? procedureWarningDays
        result.procedureRedDaysOver = overrides.procedureRedDaysOver ?? procedureRedDaysOver
        result.deliveryLimit = overrides.deliveryLimit ?? deliveryLimit
        result.reportingDelayMilliseconds =
            overrides.reportingDelayMilliseconds ?? reportingDelayMilliseconds
        result.complaintAcceptanceLimit =
            overrides.complaintAcceptanceLimit ?? complaintAcceptanceLimit
        result.complaintConclusionLimit =
            overrides.complaintConclusionLimit ?? complaintConclusionLimit
        result.complaintWarningDays = overrides.complaintWarningDays ?? complaintWarningDays
        result.complaintYellowDaysOver =
            overrides.complaintYellowDaysOver ?? complaintYellowDaysOver
        result.complaintRedDaysOver = overrides.complaintRedDaysOver ?? complaintRedDaysOver
        result.feedbackLimit = overrides.feedbackLimit ?? feedbackLimit
        return result
    }
}

/// Rule settings a centre or an item overrides; nil leaves the value below.
public struct RuleOverrides: Hashable, Sendable {
    /// Rules switched on (true) or off (false) at this level.
    public var enabled: [AlertRule: Bool]
    /// See ``RuleSettings/caseWarningDays``.
    public var caseWarningDays: Int?
    /// See ``RuleSettings/procedureWarningDays``.
    public var procedureWarningDays: Int?
    /// See ``RuleSettings/procedureRedDaysOver``.
    public var procedureRedDaysOver: Int?
    /// See ``RuleSettings/deliveryLimit``.
    public var deliveryLimit: Int?
    /// See ``RuleSettings/reportingDelayMilliseconds``.
    public var reportingDelayMilliseconds: Int64?
    /// See ``RuleSettings/complaintAcceptanceLimit``.
    public var complaintAcceptanceLimit: Int?
    /// See ``RuleSettings/complaintConclusionLimit``.
    public var complaintConclusionLimit: Int?
    /// See ``RuleSettings/complaintWarningDays``.
    public var complaintWarningDays: Int?
    /// See ``RuleSettings/complaintYellowDaysOver``.
    public var complaintYellowDaysOver: Int?
    /// See ``RuleSettings/complaintRedDaysOver``.
    public var complaintRedDaysOver: Int?
    /// See ``RuleSettings/feedbackLimit``.
    public var feedbackLimit: Int?

    /// Creates overrides; everything left out stays as below.
    public init(
        enabled: [AlertRule: Bool] = [:], caseWarningDays: Int? = nil,
        procedureWarningDays: Int? = nil, procedureRedDaysOver: Int? = nil,
        deliveryLimit: Int? = nil, reportingDelayMilliseconds: Int64? = nil,
        complaintAcceptanceLimit: Int? = nil, complaintConclusionLimit: Int? = nil,
        complaintWarningDays: Int? = nil, complaintYellowDaysOver: Int? = nil,
        complaintRedDaysOver: Int? = nil, feedbackLimit: Int? = nil
    ) {
        self.enabled = enabled
        self.caseWarningDays = caseWarningDays
        self.procedureWarningDays = procedureWarningDays
        self.procedureRedDaysOver = procedureRedDaysOver
        self.deliveryLimit = deliveryLimit
        self.reportingDelayMilliseconds = reportingDelayMilliseconds
        self.complaintAcceptanceLimit = complaintAcceptanceLimit
        self.complaintConclusionLimit = complaintConclusionLimit
        self.complaintWarningDays = complaintWarningDays
        self.complaintYellowDaysOver = complaintYellowDaysOver
        self.complaintRedDaysOver = complaintRedDaysOver
        self.feedbackLimit = feedbackLimit
    }
}
