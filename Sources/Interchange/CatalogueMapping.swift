import Engine
import Messages

// Departments, items and rule settings: the catalogue's messages and the
// engine's model, both ways. Field paths in errors are relative to the
// message given; ``CatalogueDocument`` places them under `items[3]` and so on.

extension Engine.Department {
    /// Reads a department (部门) for the engine.
    ///
    /// A retired department stays in the engine's catalogue, so that its
    /// cases are still evaluated; refusing its new cases is the server's
    /// part.
    ///
    /// - Throws: ``ValidationError``: a code empty or over 64 characters, a
    ///   name over 4,000, a region code that is not six digits.
    public init(_ message: Messages.Department) throws(ValidationError) {
        var list = ProblemList()
        list.identifier(message.code, at: "code")
        list.text(message.name, at: "name")
        let region = RegionCode(message.regionCode)
        if region == nil {
            list.add(
                "region_code",
                "\(quoted(message.regionCode)) is not a region code; expected six digits "
                    + "such as 330106")
        }
        try list.check()
        self.init(code: message.code, name: message.name, region: region!)
    }
}

extension Messages.Department {
    /// The message for an engine department.
    public init(_ department: Engine.Department) {
        self.init(
            code: department.code, name: department.name, regionCode: department.region.digits)
    }
}

extension Engine.Item {
    /// Reads an item (事项) for the engine, filling in the catalogue's
    /// defaults: the promised limit is the legal limit, the extension 10
    /// working days for licensing items and none for others, the intake
    /// limit 5, the kind licensing, and an empty list of special procedures
    /// allows every type (proto3 cannot tell an empty list from none given).
    ///
    /// - Parameter departmentCodes: the codes of the catalogue's
    ///   departments, to check that the item's department exists; nil to
    ///   skip that check.
    /// - Throws: ``ValidationError`` naming every field out of range, e.g.
    ///   `promised_limit_days: 25 is greater than the legal limit 20`.
    public init(_ message: Messages.Item, departmentCodes: Set<String>? = nil)
        throws(ValidationError)
    {
        var list = ProblemList()
        list.identifier(message.code, at: "code")
        list.text(message.name, at: "name")
        list.identifier(message.departmentCode, at: "department_code")
        if let codes = departmentCodes, !message.departmentCode.isEmpty,
            !codes.contains(message.departmentCode)
        {
            list.add(
                "department_code",
                "\(quoted(message.departmentCode)) is not a department of the catalogue; "
                    + "expected the code of one of its departments")
        }
        let kind = Engine.ItemKind(message.kind)
        list.known(message.kind, at: "kind")

        let legal = message.legalLimitDays
        list.days(legal, at: "legal_limit_days")
        if let promised = message.promisedLimitDays, promised > legal {
            list.add(
                "promised_limit_days", "\(promised) is greater than the legal limit \(legal)")
        }
        var steps: [ApprovalStep: Int] = [:]
        if let limits = message.stepLimits {
            let given: [(ApprovalStep, String, UInt32?)] = [
                (.undertake, "undertake_days", limits.undertakeDays),
                (.review, "review_days", limits.reviewDays),
                (.approve, "approve_days", limits.approveDays),
            ]
            for (step, name, days) in given {
                guard let days else { continue }
                if days > legal {
                    list.add(
                        "step_limits." + name, "\(days) is greater than the legal limit \(legal)")
                }
                steps[step] = Int(days)
            }
        }
        if let extensionDays = message.legalExtensionDays {
            list.days(extensionDays, at: "legal_extension_days")
        }
        var fee = FeeStandard.none
        if let standard = message.feeStandard {
            list.amount(standard.maxFen, at: "fee_standard.max_fen")
            list.text(standard.basis, at: "fee_standard.basis")
            fee = .maximum(fen: standard.maxFen)
        }
        var allowed: Set<Engine.SpecialProcedureType> = []
        for (index, type) in message.allowedProcedures.enumerated() {
            if let engineType = Engine.SpecialProcedureType(type) {
                allowed.insert(engineType)
            } else {
                list.required(type, at: FieldPath.index("allowed_procedures", index))
            }
        }
        if let intake = message.intakeLimitDays {
            list.days(intake, at: "intake_limit_days")
        }
        var overrides = RuleOverrides()
        if let settings = message.ruleOverrides {
            do {
                overrides = try RuleOverrides(settings)
            } catch {
                list.append(contentsOf: error.problems, under: "rule_overrides")
            }
        }
        try list.check()

        self.init(
            code: message.code, name: message.name, departmentCode: message.departmentCode,
            kind: kind!, legalLimit: Int(legal),
            promisedLimit: message.promisedLimitDays.map(Int.init),
            stepLimits: steps, legalExtension: message.legalExtensionDays.map(Int.init),
            feeStandard: fee,
            allowedProcedures: allowed.isEmpty
                ? Set(Engine.SpecialProcedureType.allCases) : allowed,
            intakeLimit: Int(message.intakeLimitDays ?? 5), rules: overrides)
    }
}

extension Messages.Item {
    /// The message for an engine item, every optional field given.
    ///
    /// An item that allows every special procedure type lists none (the
    /// standard's form for "all"). The retired flag and the version are the
    /// server's, not the engine's.
    public init(_ item: Engine.Item) {
        let all = item.allowedProcedures == Set(Engine.SpecialProcedureType.allCases)
        var steps: StepLimits?
        if !item.stepLimits.isEmpty {
            steps = StepLimits(
                undertakeDays: item.stepLimits[.undertake].map(days),
                reviewDays: item.stepLimits[.review].map(days),
                approveDays: item.stepLimits[.approve].map(days))
        }
        var fee: Messages.FeeStandard?
        if case .maximum(let fen) = item.feeStandard { fee = Messages.FeeStandard(maxFen: fen) }
        let overrides = Messages.RuleSettings(item.rules)
        self.init(
            code: item.code, name: item.name, departmentCode: item.departmentCode,
            kind: Messages.ItemKind(item.kind), legalLimitDays: days(item.legalLimit),
            promisedLimitDays: days(item.promisedLimit), stepLimits: steps,
            legalExtensionDays: days(item.legalExtension), feeStandard: fee,
            allowedProcedures: all
                ? []
                : Engine.SpecialProcedureType.allCases.filter(item.allowedProcedures.contains)
                    .map(Messages.SpecialProcedureType.init),
            intakeLimitDays: days(item.intakeLimit),
            ruleOverrides: overrides == Messages.RuleSettings() ? nil : overrides)
    }
}

extension RuleOverrides {
    /// Reads rule settings (the centre's, or an item's overrides) for the
    /// engine. A field left out inherits; `RULE_COMPLAINT_TIME` switches
    /// both of the engine's complaint clocks.
    ///
    /// - Throws: ``ValidationError``: a number of days over 1,000, a
    ///   reporting delay over a year, a switch of no known rule, or a rule
    ///   switched twice.
    public init(_ settings: Messages.RuleSettings) throws(ValidationError) {
        var list = ProblemList()
        func days(_ value: UInt32?, _ field: String) -> Int? {
            guard let value else { return nil }
            list.days(value, at: field)
            return Int(value)
        }
        var overrides = RuleOverrides()
        overrides.caseWarningDays = days(settings.caseWarningDays, "case_warning_days")
        overrides.procedureWarningDays = days(
            settings.procedureWarningDays, "procedure_warning_days")
        overrides.procedureRedDaysOver = days(
            settings.procedureRedDaysOver, "procedure_red_days_over")
        overrides.deliveryLimit = days(settings.deliveryLimitDays, "delivery_limit_days")
        if let hours = settings.lateReportingHours {
            list.days(
                hours, at: "late_reporting_hours", maximum: MessageBounds.reportingDelayHours,
                unit: "hours")
            overrides.reportingDelayMilliseconds = Int64(hours) * 3_600_000
        }
        overrides.complaintAcceptanceLimit = days(
            settings.complaintAcceptDays, "complaint_accept_days")
        overrides.complaintConclusionLimit = days(
            settings.complaintConcludeDays, "complaint_conclude_days")
        overrides.complaintWarningDays = days(
            settings.complaintWarningDays, "complaint_warning_days")
        overrides.complaintYellowDaysOver = days(
            settings.complaintYellowDaysOver, "complaint_yellow_days_over")
        overrides.complaintRedDaysOver = days(
            settings.complaintRedDaysOver, "complaint_red_days_over")
        overrides.feedbackLimit = days(settings.feedbackDueDays, "feedback_due_days")

        var switched: [Int32: Int] = [:]
        for (index, ruleSwitch) in settings.switches.enumerated() {
            let field = FieldPath.index("switches", index) + ".rule"
            let rules = ruleSwitch.rule.engineRules
            if rules.isEmpty {
                list.required(ruleSwitch.rule, at: field)
                continue
            }
            if let first = switched[ruleSwitch.rule.rawValue] {
                list.add(
                    field,
                    "\(ruleSwitch.rule.protoName!) is switched twice (first at "
                        + "switches[\(first)]); expected each rule at most once")
                continue
            }
            switched[ruleSwitch.rule.rawValue] = index
            for rule in rules { overrides.enabled[rule] = ruleSwitch.enabled }
        }
        try list.check()
        self = overrides
    }
}

extension Messages.RuleSettings {
    /// The message for engine overrides: every value set, and one switch
    /// per rule switched, in the standard's rule order.
    ///
    /// The reporting delay is given in whole hours. The engine's two
    /// complaint clocks are one rule in the standard; should only one of
    /// them be switched, that one's setting is given.
    public init(_ overrides: RuleOverrides) {
        self.init()
        caseWarningDays = overrides.caseWarningDays.map(days)
        procedureWarningDays = overrides.procedureWarningDays.map(days)
        procedureRedDaysOver = overrides.procedureRedDaysOver.map(days)
        deliveryLimitDays = overrides.deliveryLimit.map(days)
        lateReportingHours = overrides.reportingDelayMilliseconds.map {
            UInt32(clamping: $0 / 3_600_000)
        }
        complaintAcceptDays = overrides.complaintAcceptanceLimit.map(days)
        complaintConcludeDays = overrides.complaintConclusionLimit.map(days)
        complaintWarningDays = overrides.complaintWarningDays.map(days)
        complaintYellowDaysOver = overrides.complaintYellowDaysOver.map(days)
        complaintRedDaysOver = overrides.complaintRedDaysOver.map(days)
        feedbackDueDays = overrides.feedbackLimit.map(days)

        var byRule: [Int32: Bool] = [:]
        for rule in AlertRule.allCases.reversed() {
            if let enabled = overrides.enabled[rule] { byRule[Rule(rule).rawValue] = enabled }
        }
        switches = byRule.keys.sorted().map {
            RuleSwitch(rule: Rule(rawValue: $0), enabled: byRule[$0]!)
        }
    }
}

/// A count of days as the standard's unsigned field.
func days(_ value: Int) -> UInt32 {
    UInt32(clamping: value)
}

/// A value in double quotes, as errors show what was given.
func quoted(_ text: String) -> String {
    JSONValue.string(text).serialized()
}
