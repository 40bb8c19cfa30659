/// The catalogue and the calendar a case is evaluated against, prepared so
/// that evaluating a case costs no look-ups beyond its item.
///
/// Build one per catalogue or calendar version and share it: it is an
/// immutable value.
public struct EvaluationContext: Sendable {
    /// The catalogue version in force.
    public var catalogue: Catalogue { storage.catalogue }
    /// The calendar version in force.
    public var calendar: WorkingCalendar { storage.calendar }

    // One reference, so that passing the context around costs one retain.
    private let storage: Storage

    private final class Storage: Sendable {
        let catalogue: Catalogue
        let calendar: WorkingCalendar
        let byItem: [String: CaseRules]
        let byDepartment: [String: CaseRules]
        let fallback: CaseRules

        init(catalogue: Catalogue, calendar: WorkingCalendar) {
            self.catalogue = catalogue
            self.calendar = calendar
            var byItem: [String: CaseRules] = [:]
            for (code, item) in catalogue.items {
                byItem[code] = CaseRules(item: item, catalogue: catalogue, calendar: calendar)
            }
            var byDepartment: [String: CaseRules] = [:]
            for (code, department) in catalogue.departments {
                byDepartment[code] = CaseRules(
                    item: nil, region: department.region, catalogue: catalogue,
                    calendar: calendar)
            }
            self.byItem = byItem
            self.byDepartment = byDepartment
            self.fallback = CaseRules(
                item: nil, region: .national, catalogue: catalogue, calendar: calendar)
        }
    }

    /// Prepares the rules of every item of `catalogue` on `calendar`.
    public init(catalogue: Catalogue, calendar: WorkingCalendar) {
        storage = Storage(catalogue: catalogue, calendar: calendar)
    }

    /// The rules for a case of `itemCode` reported by `departmentCode`: the
    /// item's when the catalogue has it, otherwise the centre's settings on
    /// the department's (or the national) calendar.
    func rules(itemCode: String?, departmentCode: String) -> CaseRules {
        if let code = itemCode, let rules = storage.byItem[code] { return rules }
        return storage.byDepartment[departmentCode] ?? storage.fallback
    }

    /// Rules for one case without preparing the whole catalogue.
    static func rules(
        itemCode: String?, departmentCode: String, catalogue: Catalogue,
        calendar: WorkingCalendar
    ) -> CaseRules {
        if let code = itemCode, let item = catalogue.items[code] {
            return CaseRules(item: item, catalogue: catalogue, calendar: calendar)
        }
        let region = catalogue.departments[departmentCode]?.region ?? .national
        return CaseRules(item: nil, region: region, catalogue: catalogue, calendar: calendar)
    }
}

/// Where a case's rules come from: the whole prepared context, or one
/// catalogue and calendar for a single evaluation.
enum RulesSource {
    case prepared(EvaluationContext)
    case direct(Catalogue, WorkingCalendar)

    func rules(itemCode: String?, departmentCode: String) -> CaseRules {
        switch self {
        case .prepared(let context):
            return context.rules(itemCode: itemCode, departmentCode: departmentCode)
        case .direct(let catalogue, let calendar):
            return EvaluationContext.rules(
                itemCode: itemCode, departmentCode: departmentCode, catalogue: catalogue,
                calendar: calendar)
        }
    }
}

/// What one item's cases are checked against: the item, its settings and
/// its region's calendar. Immutable and shared by every case of the item.
final class CaseRules: Sendable {
    let item: Item?
    let region: RegionCode
    let calendar: RegionCalendar
    let settings: RuleSettings
    // Bit `rule.bit` set when the rule is enabled: a test without hashing.
    let enabledMask: UInt32
    // The item's numbers, copied out so that the hot path copies no Item.
    let limits: ItemLimits?

    convenience init(item: Item, catalogue: Catalogue, calendar: WorkingCalendar) {
        self.init(
            item: item, region: catalogue.departments[item.departmentCode]?.region ?? .national,
            catalogue: catalogue, calendar: calendar)
    }

    init(item: Item?, region: RegionCode, catalogue: Catalogue, calendar: WorkingCalendar) {
        self.item = item
        self.region = region
        self.calendar = calendar.regionCalendar(for: region)
        let settings = catalogue.settings(forItem: item?.code)
        self.settings = settings
        var mask: UInt32 = 0
        for rule in AlertRule.allCases where settings.isEnabled(rule) {
            mask |= 1 << UInt32(rule.bit)
        }
        self.enabledMask = mask
        self.limits = item.map(ItemLimits.init)
    }

    /// Whether `rule` raises alerts for this item.
    @inline(__always)
    func isEnabled(_ rule: AlertRule) -> Bool {
        enabledMask & (1 << UInt32(rule.bit)) != 0
    }

    /// The intake limit: the item's, or the law's 5 working days.
    var intakeLimit: Int { item?.intakeLimit ?? 5 }
}

/// The numbers of an item the case clock needs, as plain values.
struct ItemLimits: Sendable {
    let promised: Int
    let legal: Int
    let legalExtension: Int
    // Step limits by step (undertake, review, approve); -1 for none.
    let steps: (Int32, Int32, Int32)

    init(_ item: Item) {
        promised = item.promisedLimit
        legal = item.legalLimit
        legalExtension = item.legalExtension
        steps = (
            Int32(item.stepLimits[.undertake] ?? -1), Int32(item.stepLimits[.review] ?? -1),
            Int32(item.stepLimits[.approve] ?? -1)
        )
    }

    /// The step's own limit, if it has one.
    @inline(__always)
    func limit(of step: ApprovalStep) -> Int? {
        let value: Int32
        switch step {
        case .undertake: value = steps.0
        case .review: value = steps.1
        case .approve: value = steps.2
        }
        return value < 0 ? nil : Int(value)
    }
}
