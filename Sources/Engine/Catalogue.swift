/// A department that grants approvals (部门).
public struct Department: Hashable, Sendable {
    /// The department's code, unique in the catalogue; events name it.
    public var code: String
    /// The department's name.
    public var name: String
    /// The region whose working-day calendar its cases count on.
    public var region: RegionCode

    /// Creates a department.
    public init(code: String, name: String, region: RegionCode) {
        self.code = code
        self.name = name
        self.region = region
    }
}

/// What kind of approval an item is.
public enum ItemKind: String, Hashable, Sendable, CaseIterable {
    /// An administrative licence (行政许可), under the Administrative Licensing Law.
    case licensing
    /// A non-licensing approval (非行政许可审批).
    case nonLicensing
    /// A public service (公共服务事项).
    case publicService
}

/// A step inside the handling of a case, each with its own optional limit.
public enum ApprovalStep: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Undertaking (承办): the handler examines the case.
    case undertake
    /// Review (审核).
    case review
    /// Approval (批准): the decision is signed.
    case approve

    /// The step that follows this one when it passes; nil after approval.
    public var next: ApprovalStep? {
        switch self {
        case .undertake: return .review
        case .review: return .approve
        case .approve: return nil
        }
    }

    /// The step a case goes back to when this one returns it.
    public var previous: ApprovalStep {
        switch self {
        case .undertake, .review: return .undertake
        case .approve: return .review
        }
    }

    /// Orders steps as a case passes through them.
    public static func < (lhs: ApprovalStep, rhs: ApprovalStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A special procedure (特别程序, Art. 45) whose time does not count toward
/// the case limit.
public enum SpecialProcedureType: String, Hashable, Sendable, CaseIterable {
    /// Hearing (听证).
    case hearing
    /// Tendering (招标).
    case tendering
    /// Auction (拍卖).
    case auction
    /// Inspection (检验).
    case inspection
    /// Testing (检测).
    case testing
    /// Quarantine (检疫).
    case quarantine
    /// Appraisal (鉴定).
    case appraisal
    /// Expert review (专家评审).
    case expertReview
}

/// An item's fee standard (收费标准).
public enum FeeStandard: Hashable, Sendable {
    /// The item may charge nothing.
    case none
    /// The item may charge at most this many fen over a case.
    case maximum(fen: Int64)
}

/// An approval item (事项) in the catalogue, with its limits in working days.
public struct Item: Hashable, Sendable {
    /// The item's code, unique in the catalogue; the received event names it.
    public var code: String
    /// The item's name.
    public var name: String
    /// The code of the owning department.
    public var departmentCode: String
    /// The kind of approval.
    public var kind: ItemKind
    /// The legal limit (法定时限) in working days from acceptance.
    public var legalLimit: Int
    /// The promised limit (承诺时限) in working days; at most the legal limit.
    public var promisedLimit: Int
    /// Limits in working days of the steps that have one.
    public var stepLimits: [ApprovalStep: Int]
    /// The most working days one extension (延期) may add.
    public var legalExtension: Int
    /// What the item may charge.
    public var feeStandard: FeeStandard
    /// The special procedures the item may use.
    public var allowedProcedures: Set<SpecialProcedureType>
    /// The intake limit (受理时限) in working days from receipt.
    public var intakeLimit: Int
    /// Rule settings that apply to this item only, over the centre's.
    public var rules: RuleOverrides

    /// Creates an item; the promised limit defaults to the legal limit, the
    /// extension to 10 working days for licensing items and none otherwise,
    /// the intake limit to 5 working days, and every special procedure type
    /// is allowed unless a set is given.
    public init(
        code: String, name: String, departmentCode: String, kind: ItemKind = .licensing,
        legalLimit: Int, promisedLimit: Int? = nil, stepLimits: [ApprovalStep: Int] = [:],
        legalExtension: Int? = nil, feeStandard: FeeStandard = .none,
        allowedProcedures: Set<SpecialProcedureType> = Set(SpecialProcedureType.allCases),
        intakeLimit: Int = 5, rules: RuleOverrides = RuleOverrides()
    ) {
        self.code = code
        self.name = name
        self.departmentCode = departmentCode
        self.kind = kind
        self.legalLimit = legalLimit
        self.promisedLimit = promisedLimit ?? legalLimit
        self.stepLimits = stepLimits
        self.legalExtension = legalExtension ?? (kind == .licensing ? 10 : 0)
        self.feeStandard = feeStandard
        self.allowedProcedures = allowedProcedures
        self.intakeLimit = intakeLimit
        self.rules = rules
    }
}

/// Why a catalogue was refused.
public enum CatalogueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Two departments or two items share a code.
    case duplicateCode(kind: String, code: String)
    /// An item names a department the catalogue does not have.
    case unknownDepartment(item: String, department: String)
    /// A limit is negative.
    case negativeLimit(item: String, field: String, value: Int)
    /// The promised limit is longer than the legal limit.
    case promisedOverLegal(item: String, promised: Int, legal: Int)
    /// A fee standard's maximum is negative.
    case negativeFeeStandard(item: String, fen: Int64)

    /// A sentence naming the item, the field, the value and what was expected.
    public var description: String {
        switch self {
        case .duplicateCode(let kind, let code):
            return "\(kind) code \"\(code)\" appears twice"
        case .unknownDepartment(let item, let department):
            return "item \"\(item)\": department \"\(department)\" is not in the catalogue"
        case .negativeLimit(let item, let field, let value):
            return "item \"\(item)\": \(field) is \(value), expected 0 or more working days"
        case .promisedOverLegal(let item, let promised, let legal):
            return "item \"\(item)\": promised limit \(promised) is over the legal limit \(legal)"
        case .negativeFeeStandard(let item, let fen):
            return "item \"\(item)\": fee standard \(fen) fen is negative"
        }
    }
}

/// The catalogue of departments and items with the centre's rule settings,
/// at one version.
///
/// A case is always evaluated against the current version; when an
/// administrator changes the catalogue, ``changes(since:)`` tells which items
/// changed so that the caller recomputes their open cases.
public struct Catalogue: Sendable {
    /// The version of this catalogue; every change makes a new one.
    public let version: Int
    /// Departments by code.
    public let departments: [String: Department]
    /// Items by code.
    public let items: [String: Item]
    /// Settings for the whole centre, over the defaults and under an item's.
    public let centreRules: RuleOverrides

    /// Creates a checked catalogue.
    public init(
        version: Int, departments: [Department], items: [Item],
        centreRules: RuleOverrides = RuleOverrides()
    ) throws(CatalogueError) {
        var departmentsByCode: [String: Department] = [:]
        for department in departments {
            guard departmentsByCode.updateValue(department, forKey: department.code) == nil else {
                throw .duplicateCode(kind: "department", code: department.code)
            }
        }
        var itemsByCode: [String: Item] = [:]
        for item in items {
            guard departmentsByCode[item.departmentCode] != nil else {
                throw .unknownDepartment(item: item.code, department: item.departmentCode)
            }
            let limits: [(String, Int)] =
                [
                    ("legal limit", item.legalLimit), ("promised limit", item.promisedLimit),
                    ("legal extension", item.legalExtension), ("intake limit", item.intakeLimit),
                ] + item.stepLimits.sorted { $0.key < $1.key }.map { ("\($0.key) limit", $0.value) }
            for (field, value) in limits where value < 0 {
                throw .negativeLimit(item: item.code, field: field, value: value)
            }
            guard item.promisedLimit <= item.legalLimit else {
                throw .promisedOverLegal(
                    item: item.code, promised: item.promisedLimit, legal: item.legalLimit)
            }
            if case .maximum(let fen) = item.feeStandard, fen < 0 {
                throw .negativeFeeStandard(item: item.code, fen: fen)
            }
            guard itemsByCode.updateValue(item, forKey: item.code) == nil else {
                throw .duplicateCode(kind: "item", code: item.code)
            }
        }
        self.version = version
        self.departments = departmentsByCode
        self.items = itemsByCode
        self.centreRules = centreRules
    }

    /// The settings in force for an item: the item's own over the centre's
    /// over the defaults; the centre's alone for an unknown item.
    public func settings(forItem code: String?) -> RuleSettings {
        let item = code.flatMap { items[$0] }
        return RuleSettings.defaults.applying(centreRules).applying(item?.rules ?? RuleOverrides())
    }

    /// What changed from `older` to this catalogue: the items whose own
    /// definition, department or settings differ, or every item when the
    /// centre's settings changed.
    public func changes(since older: Catalogue) -> CatalogueChange {
        if centreRules != older.centreRules {
            return CatalogueChange(allItems: true, items: Set(items.keys).union(older.items.keys))
        }
        var changed: Set<String> = []
        for code in Set(items.keys).union(older.items.keys) {
            let new = items[code]
            let old = older.items[code]
            if new != old {
                changed.insert(code)
                continue
            }
            if let item = new,
                departments[item.departmentCode] != older.departments[item.departmentCode]
            {
                changed.insert(code)
            }
        }
        return CatalogueChange(allItems: false, items: changed)
    }
}

/// The items a catalogue change affects; their open cases need recomputing.
public struct CatalogueChange: Hashable, Sendable {
    /// Whether every item is affected (the centre's settings changed).
    public var allItems: Bool
    /// The codes of the affected items, added, removed or changed.
    public var items: Set<String>

    /// Creates a change set.
    public init(allItems: Bool, items: Set<String>) {
        self.allItems = allItems
        self.items = items
    }

    /// Whether a case of `itemCode` must be recomputed. A case with no known
    /// item is recomputed whenever anything changed, since its item may now
    /// exist.
    public func affects(itemCode: String?) -> Bool {
        guard let code = itemCode else { return allItems || !items.isEmpty }
        return allItems || items.contains(code)
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { !allItems && items.isEmpty }
}
