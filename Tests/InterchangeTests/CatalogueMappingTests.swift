import Engine
import Interchange
import Messages
import Testing

/// An item message that must be refused, and what the refusal must say.
struct BadItem: Sendable, CustomTestStringConvertible {
    let item: Messages.Item
    let field: String
    let reason: String

    var testDescription: String { field + ": " + reason }
}

private func item(_ change: (inout Messages.Item) -> Void) -> Messages.Item {
    var item = Messages.Item(
        code: "I1", name: "Food business licence", departmentCode: "D1", kind: .licensing,
        legalLimitDays: 20)
    change(&item)
    return item
}

private let badItems: [BadItem] = [
    BadItem(
        item: item { $0.code = "" }, field: "code",
        reason: "is empty; expected 1 to 64 characters"),
    BadItem(
        item: item { $0.departmentCode = "D9" }, field: "department_code",
        reason: "\"D9\" is not a department of the catalogue; expected the code of one of its "
            + "departments"),
    BadItem(
        item: item { $0.kind = .unrecognized(8) }, field: "kind",
        reason: "is 8, which is not a known value; expected ITEM_KIND_LICENSING, "
            + "ITEM_KIND_NON_LICENSING or ITEM_KIND_PUBLIC_SERVICE"),
    BadItem(
        item: item { $0.legalLimitDays = 1001 }, field: "legal_limit_days",
        reason: "is 1001; expected 0 to 1000 working days"),
    BadItem(
        item: item { $0.promisedLimitDays = 25 }, field: "promised_limit_days",
        reason: "25 is greater than the legal limit 20"),
    BadItem(
        item: item { $0.stepLimits = StepLimits(reviewDays: 21) }, field: "step_limits.review_days",
        reason: "21 is greater than the legal limit 20"),
    BadItem(
        item: item { $0.legalExtensionDays = 5000 }, field: "legal_extension_days",
        reason: "is 5000; expected 0 to 1000 working days"),
    BadItem(
        item: item { $0.feeStandard = Messages.FeeStandard(maxFen: -1) },
        field: "fee_standard.max_fen", reason: "is -1; expected 0 or more fen"),
    BadItem(
        item: item { $0.allowedProcedures = [.hearing, .unspecified] },
        field: "allowed_procedures[1]",
        reason: "is SPECIAL_PROCEDURE_TYPE_UNSPECIFIED; expected SPECIAL_PROCEDURE_TYPE_HEARING"),
    BadItem(
        item: item { $0.intakeLimitDays = 2000 }, field: "intake_limit_days",
        reason: "is 2000; expected 0 to 1000 working days"),
    BadItem(
        item: item { $0.ruleOverrides = Messages.RuleSettings(caseWarningDays: 1001) },
        field: "rule_overrides.case_warning_days", reason: "is 1001; expected 0 to 1000"),
    BadItem(
        item: item {
            $0.ruleOverrides = Messages.RuleSettings(switches: [RuleSwitch(rule: .unspecified)])
        },
        field: "rule_overrides.switches[0].rule",
        reason: "is RULE_UNSPECIFIED; expected RULE_CASE_TIME, RULE_STEP_TIME"),
]

@Suite("The catalogue between the standard's messages and the engine")
struct CatalogueMappingTests {
    @Test func departmentsMapBothWays() throws {
        let message = Messages.Department(code: "330899-WJJ", name: "卫生健康局", regionCode: "330899")
        let department = try Engine.Department(message)
        #expect(
            department
                == Engine.Department(
                    code: "330899-WJJ", name: "卫生健康局", region: RegionCode("330899")!))
        #expect(Messages.Department(department) == message)
    }

    @Test(arguments: ["3308", "33089a", "", "3308991"])
    func regionCodesAreSixDigits(_ code: String) throws {
        let error = try #require(throws: ValidationError.self) {
            try Engine.Department(Messages.Department(code: "D1", regionCode: code))
        }
        #expect(error.field == "region_code")
        #expect(
            error.reason
                == "\"\(code)\" is not a region code; expected six digits such as 330106")
    }

    @Test func itemDefaultsFollowTheCatalogueRules() throws {
        let licensing = try Engine.Item(item { _ in }, departmentCodes: ["D1"])
        #expect(licensing.promisedLimit == 20)
        #expect(licensing.legalExtension == 10)
        #expect(licensing.intakeLimit == 5)
        #expect(licensing.feeStandard == .none)
        #expect(licensing.allowedProcedures == Set(Engine.SpecialProcedureType.allCases))
        #expect(licensing.stepLimits.isEmpty)

        let service = try Engine.Item(item { $0.kind = .publicService })
        #expect(service.kind == .publicService)
        #expect(service.legalExtension == 0)
        // Left at 0, the kind is the catalogue's default, licensing.
        #expect(try Engine.Item(item { $0.kind = .unspecified }).kind == .licensing)
    }

    @Test func aFullyGivenItemRoundTrips() throws {
        let message = item {
            $0.kind = .nonLicensing
            $0.promisedLimitDays = 7
            $0.stepLimits = StepLimits(undertakeDays: 3, approveDays: 0)
            $0.legalExtensionDays = 0
            $0.feeStandard = Messages.FeeStandard(maxFen: 8000)
            $0.allowedProcedures = [.inspection, .testing]
            $0.intakeLimitDays = 3
            $0.ruleOverrides = Messages.RuleSettings(
                caseWarningDays: 1, lateReportingHours: 48,
                switches: [RuleSwitch(rule: .lateReporting, enabled: false)])
        }
        let engine = try Engine.Item(message, departmentCodes: ["D1"])
        #expect(engine.promisedLimit == 7)
        #expect(engine.stepLimits == [.undertake: 3, .approve: 0])
        #expect(engine.feeStandard == .maximum(fen: 8000))
        #expect(engine.allowedProcedures == [.inspection, .testing])
        #expect(engine.rules.caseWarningDays == 1)
        #expect(engine.rules.reportingDelayMilliseconds == Int64(48 * 3_600_000))
        #expect(engine.rules.enabled == [.lateReporting: false])
        // The fee standard's basis is the server's record, not the engine's.
        var expected = message
        expected.feeStandard?.basis = ""
        #expect(Messages.Item(engine) == expected)
        #expect(try Engine.Item(Messages.Item(engine)) == engine)
    }

    @Test(arguments: badItems)
    func badItemNamesItsField(_ bad: BadItem) throws {
        let error = try #require(throws: ValidationError.self) {
            try Engine.Item(bad.item, departmentCodes: ["D1"])
        }
        #expect(error.problems.count == 1, "\(error)")
        #expect(error.field == bad.field)
        #expect(error.reason.hasPrefix(bad.reason), "\(error.reason)")
    }

    @Test func ruleSettingsMapBothWays() throws {
        let message = Messages.RuleSettings(
            caseWarningDays: 3, procedureWarningDays: 1, procedureRedDaysOver: 2,
            deliveryLimitDays: 15, lateReportingHours: 12, complaintAcceptDays: 4,
            complaintConcludeDays: 20, complaintWarningDays: 1, complaintYellowDaysOver: 2,
            complaintRedDaysOver: 4, feedbackDueDays: 5,
            switches: [
                RuleSwitch(rule: .fee, enabled: false),
                RuleSwitch(rule: .complaintTime, enabled: false),
                RuleSwitch(rule: .unknownItem, enabled: true),
            ])
        let overrides = try RuleOverrides(message)
        #expect(
            overrides
                == RuleOverrides(
                    enabled: [
                        .fee: false, .complaintAcceptance: false, .complaintConclusion: false,
                        .unknownItem: true,
                    ],
                    caseWarningDays: 3, procedureWarningDays: 1, procedureRedDaysOver: 2,
                    deliveryLimit: 15, reportingDelayMilliseconds: 12 * 3_600_000,
                    complaintAcceptanceLimit: 4, complaintConclusionLimit: 20,
                    complaintWarningDays: 1, complaintYellowDaysOver: 2, complaintRedDaysOver: 4,
                    feedbackLimit: 5))
        // Switches come back in the standard's rule order.
        var expected = message
        expected.switches.sort { $0.rule.rawValue < $1.rule.rawValue }
        #expect(Messages.RuleSettings(overrides) == expected)
        #expect(Messages.RuleSettings(RuleOverrides()) == Messages.RuleSettings())
    }

    @Test func ruleSettingsProblemsAreNamed() throws {
        let error = try #require(throws: ValidationError.self) {
            try RuleOverrides(
                Messages.RuleSettings(
                    lateReportingHours: 9000,
                    switches: [
                        RuleSwitch(rule: .fee), RuleSwitch(rule: .unrecognized(77)),
                        RuleSwitch(rule: .fee, enabled: true),
                    ]))
        }
        #expect(
            error.problems.map(\.description) == [
                "late_reporting_hours: is 9000; expected 0 to 8760 hours",
                "switches[1].rule: is 77, which is not a known value; expected "
                    + expectedRules,
                "switches[2].rule: RULE_FEE is switched twice (first at switches[0]); expected "
                    + "each rule at most once",
            ])
    }

    @Test func calendarMessagesMapBothWays() throws {
        let message = Messages.Calendar(
            regionCode: "330899", year: 2027, holidays: ["2027-01-01", "2027-02-06"],
            makeupWorkdays: ["2027-02-07"], source: "国办发明电〔2026〕1号")
        let entry = try RegionalCalendarYear(message)
        #expect(entry.region == RegionCode("330899"))
        #expect(entry.year.year == 2027)
        #expect(entry.year.holidays.map(\.iso8601).sorted() == ["2027-01-01", "2027-02-06"])
        #expect(entry.year.makeUpWorkingDays.map(\.iso8601) == ["2027-02-07"])
        #expect(Messages.Calendar(entry) == message)
    }

    @Test func calendarProblemsAreNamed() throws {
        let message = Messages.Calendar(
            regionCode: "33089", year: 2026,
            holidays: ["2026-10-01", "2026-13-01", "2025-12-31", "2026-10-02"],
            makeupWorkdays: ["2026-10-10", "2026-10-02", "2026-10-12"])
        let error = try #require(throws: ValidationError.self) {
            try RegionalCalendarYear(message)
        }
        let prefixed = error.prefixed(by: "calendar")
        #expect(
            prefixed.problems.map(\.description) == [
                "calendar.region_code: \"33089\" is not a region code; expected six digits, "
                    + "000000 for the national calendar",
                "calendar.holidays[1]: \"2026-13-01\" is not a date YYYY-MM-DD",
                "calendar.holidays[2]: \"2025-12-31\" is not in the year 2026",
                "calendar.makeup_workdays[1]: \"2026-10-02\" is also listed as a holiday",
                "calendar.makeup_workdays[2]: \"2026-10-12\" is a Monday; expected a Saturday or "
                    + "Sunday declared a working day",
            ])

        let badYear = try #require(throws: ValidationError.self) {
            try RegionalCalendarYear(Messages.Calendar(regionCode: "000000", year: 1999))
        }
        #expect(badYear.description == "year: is 1999; expected a year from 2000 to 2100")
    }

    /// Calendars laid over the official one replace their region's year and
    /// keep everything else; the result counts working days with them.
    @Test func calendarsAreLaidOverTheOfficialOne() throws {
        let county = RegionCode("330899")!
        // 2027 is not in the shipped data: a county declares its own year.
        let calendar = try WorkingCalendar(
            version: 2,
            messages: [
                Messages.Calendar(regionCode: "330899", year: 2027, holidays: ["2027-01-04"])
            ], over: official)
        #expect(calendar.isWorkingDay(LocalDate(iso8601: "2027-01-04")!, in: county).value == false)
        #expect(
            calendar.isWorkingDay(LocalDate(iso8601: "2027-01-04")!, in: county).isProvisional
                == false)
        // The national 2026 stays as shipped.
        #expect(calendar.isWorkingDay(LocalDate(iso8601: "2026-10-10")!, in: county).value == true)
        #expect(
            calendar.years[.national]?.keys.sorted() == official.years[.national]?.keys.sorted())

        let twice = try #require(throws: ValidationError.self) {
            try WorkingCalendar(
                version: 2,
                messages: [
                    Messages.Calendar(regionCode: "330899", year: 2027),
                    Messages.Calendar(regionCode: "330899", year: 2027),
                ], over: official)
        }
        #expect(
            twice.description
                == "calendars[1].year: region 330899 year 2027 is given twice (first at "
                + "calendars[0]); expected each region's year once")

        let messages = official.calendarMessages
        #expect(messages.map(\.year) == Array(2020...2026).map(Int32.init))
        let rebuilt = try WorkingCalendar(version: 1, messages: messages)
        #expect(rebuilt.years == official.years)
    }

    @Test func theDemoCatalogueLoads() throws {
        let document = try CatalogueDocument(jsonString: demoCatalogue())
        let engine = try document.catalogue()
        #expect(engine.departments.count == 8)
        #expect(engine.items.count == document.items.count)
        let item = try #require(engine.items["330899-ZRGH-004"])
        #expect(item.kind == .publicService)
        #expect(item.feeStandard == .maximum(fen: 8000))
        #expect(item.promisedLimit == 5)
        // Written back out, the document reads in to the same catalogue.
        let again = try CatalogueDocument(
            jsonString: CatalogueDocument(catalogue: engine).jsonString())
        let rebuilt = try again.catalogue()
        #expect(rebuilt.items == engine.items)
        #expect(rebuilt.departments == engine.departments)
    }

    @Test func catalogueDocumentProblemsNameTheirPlace() throws {
        let text = """
            {"departments": [{"code": "D1", "regionCode": "330899"},
                             {"code": "D1", "regionCode": "330899"},
                             {"code": "D2", "regionCode": "33"}],
             "items": [{"code": "I1", "departmentCode": "D1", "legalLimitDays": 20},
                       {"code": "I2", "departmentCode": "D9", "legalLimitDays": 20},
                       {"code": "I1", "departmentCode": "D1", "legalLimitDays": 20},
                       {"code": "I3", "departmentCode": "D1", "legalLimitDays": 20,
                        "promisedLimitDays": 25}],
             "rule_settings": {"switches": [{"rule": "RULE_UNSPECIFIED"}]}}
            """
        let document = try CatalogueDocument(jsonString: text)
        let error = try #require(throws: ValidationError.self) { try document.catalogue() }
        #expect(
            error.problems.map(\.description) == [
                "departments[1].code: \"D1\" is given twice (first at departments[0]); "
                    + "expected each department once",
                "departments[2].region_code: \"33\" is not a region code; expected six digits "
                    + "such as 330106",
                "items[1].department_code: \"D9\" is not a department of the catalogue; "
                    + "expected the code of one of its departments",
                "items[2].code: \"I1\" is given twice (first at items[0]); expected each item once",
                "items[3].promised_limit_days: 25 is greater than the legal limit 20",
                "rule_settings.switches[0].rule: is RULE_UNSPECIFIED; expected " + expectedRules,
            ])
    }

    @Test(arguments: [
        ("{\"departments\": [", "", "invalid JSON at line 1"),
        ("[]", "", "expected an object with departments, items, ruleSettings and calendars"),
        (
            "{\"items\": [{\"code\": \"I1\", \"legalLimitDays\": \"twenty\"}]}",
            "items[0].legal_limit_days", ""
        ),
        (
            "{\"items\": [{\"code\": \"I1\", \"stepLimits\": {\"reviewDay\": 2}}]}",
            "items[0].step_limits", "unknown field \"reviewDay\""
        ),
        ("{\"departments\": {}}", "departments", "expected an array of monitor.v1.Department"),
        ("{\"version\": 2}", "version", "is not a member of a catalogue"),
        (
            "{\"calendars\": [{\"regionCode\": \"000000\", \"year\": 2027, \"holidays\": [1]}]}",
            "calendars[0].holidays[0]", ""
        ),
    ])
    func catalogueFilesThatDoNotFitNameThePlace(text: String, field: String, reason: String) throws
    {
        let error = try #require(throws: ValidationError.self) {
            try CatalogueDocument(jsonString: text)
        }
        #expect(error.field == field, "\(error)")
        #expect(error.reason.hasPrefix(reason) || error.reason.contains(reason), "\(error)")
    }

    @Test func theStandardScoringSchemeIsValid() {
        #expect(ScoringScheme.standard.validationProblems == [])
        #expect(ScoringScheme.standard.baseScore == 100)
    }

    @Test func scoringSchemeProblemsAreNamed() {
        var scheme = ScoringScheme.standard
        scheme.effectiveFrom = "2026-13"
        scheme.baseScore = 0
        scheme.redCardPoints = -10
        scheme.warningsPerDeduction = 0
        scheme.earlyBonusThresholdPercent = 150
        scheme.goodFrom = 95
        #expect(
            scheme.validationProblems.map(\.description) == [
                "effective_from: \"2026-13\" is not a month YYYY-MM, e.g. 2026-01",
                "base_score: is 0.0; expected a positive score such as 100",
                "red_card_points: is -10.0; expected 0 or more points",
                "warnings_per_deduction: is 0; expected 1 or more warnings",
                "early_bonus_threshold_percent: is 150.0; expected a percentage from 0 to 100",
                "excellent_from: is 90.0; expected a score above good_from 95.0",
            ])
    }
}

private let expectedRules =
    "RULE_CASE_TIME, RULE_STEP_TIME, RULE_INTAKE_TIME, RULE_SPECIAL_PROCEDURE_TIME, "
    + "RULE_SPECIAL_PROCEDURE_TYPE, RULE_EXTENSION, RULE_FEE, RULE_MISSING_REASON, "
    + "RULE_OUT_OF_ORDER, RULE_DELIVERY_TIME, RULE_LATE_REPORTING, RULE_COMPLAINT_TIME, "
    + "RULE_FEEDBACK_OVERDUE, RULE_MANUAL, RULE_UNKNOWN_ITEM or RULE_CALENDAR_MISSING"
