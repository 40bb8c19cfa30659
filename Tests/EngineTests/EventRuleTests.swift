import Engine
import Testing

private func acceptedCase(item: String = "LIC", department: String = "D1") -> CaseScript {
    var script = CaseScript("C1", department: department)
    script.received("2026-09-21 09:00", item: item)
    script.accepted("2026-09-21 10:00")
    return script
}

@Suite("Fees, reporting, order, revisions and data alerts")
struct EventRuleTests {
    @Test func theFeeThatTakesTheTotalOverTheStandardRaisesTheCard() {
        var script = acceptedCase(item: "FEE", department: "D2")
        script.add("2026-09-22 10:00", .feeCharged(FeeCharge(feeItem: "a", amountFen: 3000)))
        script.add("2026-09-23 10:00", .feeCharged(FeeCharge(feeItem: "b", amountFen: 2000)))
        #expect(!script.evaluate(at: "2026-09-24 00:00").has(.fee, .red))
        script.add(
            "2026-09-24 10:00", .feeCharged(FeeCharge(feeItem: "c", amountFen: 1)), id: "over")
        script.add("2026-09-25 10:00", .feeCharged(FeeCharge(feeItem: "d", amountFen: 100)))
        let card = script.evaluate(at: "2026-09-26 00:00").alerts.filter { $0.rule == .fee }
        #expect(card.count == 1)
        #expect(card.first?.raisedAt == at("2026-09-24 10:00"))
        #expect(card.first?.facts.amountFen == 5001)
        #expect(card.first?.facts.standardFen == 5000)
        #expect(card.first?.facts.eventID == "over")
        #expect(
            card.first?.explanation
                == "Fees on this case total 5001 fen against a standard of 5000 fen.")
    }

    @Test func anyFeeOnAnItemWithoutAStandardIsARedCard() {
        var script = acceptedCase()
        script.add("2026-09-22 10:00", .feeCharged(FeeCharge(feeItem: "a", amountFen: 1)))
        let card = script.evaluate(at: "2026-09-22 10:00").alert(.fee, .red)
        #expect(card?.facts.standardFen == 0)
        #expect(card?.explanation.contains("no fee standard") == true)
    }

    @Test(arguments: [(Int64(0), false), (1, true)])
    func anEventReportedMoreThan24HoursLateIsAWarning(extraSeconds: Int64, late: Bool) {
        var script = CaseScript()
        let occurred = at("2026-09-21 09:00")
        let reported = occurred.adding(seconds: 24 * 3600 + extraSeconds)
        script.add(
            "2026-09-21 09:00", .received(Receipt(itemCode: "LIC")), id: "r",
            reported: reported.iso8601Local)
        let evaluation = script.evaluate(at: reported)
        #expect(evaluation.has(.lateReporting, .warning) == late)
        if late {
            #expect(evaluation.alert(.lateReporting, .warning)?.facts.finishedAt == reported)
            #expect(
                evaluation.alert(.lateReporting, .warning)?.raisedAt
                    == occurred.adding(seconds: 24 * 3600))
        }
    }

    @Test(arguments: [
        ("step before acceptance", ["received", "step"]),
        ("anything but delivery after conclusion", ["received", "accepted", "concluded", "fee"]),
        ("delivery before conclusion", ["received", "accepted", "delivered"]),
        ("a second receipt", ["received", "accepted", "received"]),
        ("accepted twice", ["received", "accepted", "accepted"]),
        ("extension before acceptance", ["received", "extension"]),
        ("concluded twice", ["received", "accepted", "concluded", "concluded"]),
    ])
    func anEventImpossibleInTheCurrentStateIsOutOfOrder(name: String, kinds: [String]) {
        var script = CaseScript()
        var minute = 0
        for (index, kind) in kinds.enumerated() {
            minute += 1
            let when = "2026-09-21 10:\(minute < 10 ? "0" : "")\(minute)"
            let id = index == kinds.count - 1 ? "last" : nil
            switch kind {
            case "received": script.add(when, .received(Receipt(itemCode: "LIC")), id: id)
            case "accepted": script.add(when, .accepted(handler: "h"), id: id)
            case "step":
                script.add(
                    when, .stepCompleted(StepCompletion(step: .undertake, handler: "h")), id: id)
            case "concluded": script.add(when, .concluded(Conclusion(result: .approved)), id: id)
            case "fee": script.add(when, .feeCharged(FeeCharge(feeItem: "x", amountFen: 0)), id: id)
            case "delivered":
                script.add(when, .delivered(Delivery(method: "m", recipient: "r")), id: id)
            case "extension":
                script.add(
                    when, .extensionGranted(ExtensionGrant(days: 1, approver: "a", reason: "r")),
                    id: id)
            default: Issue.record("unknown kind \(kind)")
            }
        }
        let evaluation = script.evaluate(at: "2026-09-21 11:00")
        #expect(evaluation.alertKeys.contains("outOfOrder|event-last|yellow"), "\(name)")
        #expect(evaluation.alerts.filter { $0.rule == .outOfOrder }.count == 1, "\(name)")
    }

    @Test func aDenialWithoutAReasonIsAYellowCard() {
        var script = acceptedCase()
        script.add("2026-09-22 10:00", .concluded(Conclusion(result: .denied)), id: "deny")
        let evaluation = script.evaluate(at: "2026-09-23 00:00")
        #expect(evaluation.alertKeys.contains("missingReason|event-deny|yellow"))
    }

    @Test func anUnknownItemIsADataAlertAndNoTimeIsChecked() {
        var script = CaseScript()
        script.received("2026-09-21 09:00", item: "NOPE")
        script.accepted("2026-09-21 10:00")
        let evaluation = script.evaluate(at: "2026-12-01 00:00")
        #expect(evaluation.alertKeys == ["unknownItem|item-NOPE|warning"])
        #expect(evaluation.alerts[0].rule.isOperational)
        #expect(evaluation.deadlines.promised == nil)
    }

    @Test func aRevisionReplacesTheEventItCorrects() {
        var script = acceptedCase()
        script.add("2026-10-20 10:00", .concluded(Conclusion(result: .approved)), id: "end")
        #expect(script.evaluate(at: "2026-10-21 00:00").has(.caseTime, .yellow))
        // The department corrects the conclusion's time: it happened on Oct 9.
        script.add(
            "2026-10-09 10:00", .concluded(Conclusion(result: .approved)), id: "end",
            reported: "2026-10-21 09:00", revision: 2)
        let evaluation = script.evaluate(at: "2026-10-21 10:00")
        #expect(!evaluation.has(.caseTime, .yellow))
        #expect(!evaluation.alerts.contains { $0.rule == .outOfOrder })
        // Late reporting is judged by the first report (Oct 20) against when the
        // event happened as corrected (Oct 9): eleven days late.
        #expect(
            evaluation.alert(.lateReporting, .warning)?.facts.finishedAt
                == at("2026-10-20 10:00"))
    }

    @Test func aLateEventIsFoldedWhereItHappenedNotWhereItArrived() {
        var script = CaseScript()
        script.add("2026-09-21 10:00", .accepted(handler: "h"), reported: "2026-09-21 10:00")
        script.add(
            "2026-09-21 09:00", .received(Receipt(itemCode: "LIC")), reported: "2026-09-23 12:00")
        let evaluation = script.evaluate(at: "2026-09-23 12:00")
        #expect(!evaluation.alerts.contains { $0.rule == .outOfOrder })
        #expect(evaluation.alertKeys == ["lateReporting|event-E02|warning"])
    }

    @Test func aDeadlineInAYearWithoutCalendarIsProvisionalAndSaysSo() {
        var script = CaseScript()
        script.received("2026-12-21 09:00")
        script.accepted("2026-12-21 10:00")
        let evaluation = script.evaluate(at: "2026-12-21 10:00:01")
        #expect(evaluation.isProvisional)
        let alert = evaluation.alert(.calendarMissing, .warning)
        #expect(alert?.subject == "calendar-330106-2027")
        #expect(alert?.facts.year == 2027)
        #expect(alert?.raisedAt == at("2026-12-21 10:00"))
        #expect(alert?.rule.isOperational == true)
        // The promised deadline is the 10th working day, Monday to Friday in 2027.
        // Dec 22, 23, 24, 25, 28, 29, 30, 31, Jan 1, Jan 4.
        #expect(evaluation.deadlines.promised == .at(at("2027-01-05 00:00")))
        let upcoming = evaluation.upcoming.first { $0.rule == .caseTime && $0.level == .yellow }
        #expect(upcoming?.isProvisional == true)

        var inside = CaseScript()
        inside.received("2026-09-21 09:00")
        inside.accepted("2026-09-21 10:00")
        #expect(!inside.evaluate(at: "2026-09-21 11:00").isProvisional)
    }

    @Test func disabledRulesRaiseNothing() throws {
        let quiet = try Catalogue(
            version: 2, departments: Array(catalogue.departments.values),
            items: Array(catalogue.items.values),
            centreRules: RuleOverrides(enabled: [.caseTime: false, .stepTime: false]))
        let script = acceptedCase()
        let loud = script.evaluate(at: "2026-12-01 00:00")
        let silent = Supervision.evaluate(
            events: script.events, catalogue: quiet, calendar: official, now: at("2026-12-01 00:00")
        )
        #expect(loud.has(.caseTime, .red))
        #expect(silent.alerts.isEmpty)
        #expect(catalogue.changes(since: quiet).allItems)
    }

    @Test func itemSettingsOverrideTheCentreWhichOverridesTheDefaults() throws {
        var item = catalogue.items["LIC"]!
        item.rules = RuleOverrides(caseWarningDays: 3)
        let changed = try Catalogue(
            version: 2, departments: Array(catalogue.departments.values),
            items: Array(catalogue.items.values.filter { $0.code != "LIC" }) + [item],
            centreRules: RuleOverrides(caseWarningDays: 4, deliveryLimit: 5))
        #expect(changed.settings(forItem: "LIC").caseWarningDays == 3)
        #expect(changed.settings(forItem: "LIC").deliveryLimit == 5)
        #expect(changed.settings(forItem: "FEE").caseWarningDays == 4)
        #expect(changed.settings(forItem: nil).procedureWarningDays == 2)
        let evaluation = Supervision.evaluate(
            events: acceptedCase().events, catalogue: changed, calendar: official,
            now: at("2026-10-09 00:00:01"))
        // The last 3 counted days before Oct 12: from 00:00 of the 8th, Oct 9.
        #expect(evaluation.alert(.caseTime, .warning)?.raisedAt == at("2026-10-09 00:00"))
    }

    @Test func catalogueChangesNameTheItemsToRecompute() throws {
        var item = catalogue.items["QUICK"]!
        item.legalLimit = 6
        let changed = try Catalogue(
            version: 2, departments: Array(catalogue.departments.values),
            items: Array(catalogue.items.values.filter { $0.code != "QUICK" }) + [item])
        let change = changed.changes(since: catalogue)
        #expect(change.items == ["QUICK"])
        #expect(change.affects(itemCode: "QUICK"))
        #expect(!change.affects(itemCode: "LIC"))
        #expect(catalogue.changes(since: catalogue).isEmpty)
    }

    @Test func catalogueErrorsNameTheItemFieldAndValue() {
        let department = Department(code: "D", name: "d", region: .national)
        #expect(throws: CatalogueError.promisedOverLegal(item: "X", promised: 9, legal: 5)) {
            try Catalogue(
                version: 1, departments: [department],
                items: [
                    Item(code: "X", name: "x", departmentCode: "D", legalLimit: 5, promisedLimit: 9)
                ])
        }
        #expect(throws: CatalogueError.unknownDepartment(item: "X", department: "Q")) {
            try Catalogue(
                version: 1, departments: [department],
                items: [
                    Item(code: "X", name: "x", departmentCode: "Q", legalLimit: 5)
                ])
        }
        #expect(throws: CatalogueError.negativeLimit(item: "X", field: "intake limit", value: -1)) {
            try Catalogue(
                version: 1, departments: [department],
                items: [
                    Item(code: "X", name: "x", departmentCode: "D", legalLimit: 5, intakeLimit: -1)
                ])
        }
    }
}

@Suite("Alerts raised by an event hold from the event's instant")
struct EventInstantTests {
    /// Each case ends with the event `last` at 2026-09-22 10:00, which raises
    /// the named alert; one second before it nothing of the kind holds.
    @Test(arguments: [
        ("fee", AlertRule.fee, AlertLevel.red),
        ("denial without reason", .missingReason, .yellow),
        ("step before acceptance", .outOfOrder, .yellow),
        ("procedure type", .specialProcedureType, .yellow),
        ("extension without approver", .extensionGrant, .red),
        ("unknown item", .unknownItem, .warning),
    ])
    func boundary(name: String, rule: AlertRule, level: AlertLevel) {
        var script = CaseScript()
        let when = "2026-09-22 10:00"
        switch name {
        case "step before acceptance", "unknown item":
            script.received("2026-09-21 09:00", item: name == "unknown item" ? "NOPE" : "LIC")
        default:
            script.received("2026-09-21 09:00")
            script.accepted("2026-09-21 10:00")
        }
        switch name {
        case "fee":
            script.add(when, .feeCharged(FeeCharge(feeItem: "x", amountFen: 10)), id: "last")
        case "denial without reason":
            script.add(when, .concluded(Conclusion(result: .denied)), id: "last")
        case "step before acceptance":
            script.add(
                when, .stepCompleted(StepCompletion(step: .undertake, handler: "h")), id: "last")
        case "procedure type":
            script.add(
                when,
                .specialProcedureStarted(
                    SpecialProcedureStart(procedureID: "P", type: .auction, grantedDays: 5)),
                id: "last")
        case "extension without approver":
            script.add(
                when, .extensionGranted(ExtensionGrant(days: 2, approver: "", reason: "r")),
                id: "last")
        default:
            script.add(when, .accepted(handler: "h"), id: "last")
        }
        // The unknown item is noticed on the received event itself.
        let t = rule == .unknownItem ? at("2026-09-21 09:00") : at(when)
        let before = script.evaluate(at: t.adding(seconds: -1))
        let after = script.evaluate(at: t.adding(seconds: 1))
        #expect(!before.has(rule, level), "\(name)")
        #expect(after.alert(rule, level)?.raisedAt == t, "\(name)")
    }
}

@Suite("Catalogue and calendar changes")
struct ChangeTests {
    @Test func aShorterPromisedLimitRaisesTheCardsItImpliesAndNothingElse() throws {
        var script = CaseScript()
        script.received("2026-09-21 09:00")
        script.accepted("2026-09-21 10:00")
        script.step("2026-09-22 10:00", .undertake)
        script.step("2026-09-23 10:00", .review)
        script.step("2026-09-24 10:00", .approve)
        let now = at("2026-09-30 12:00")
        let before = script.evaluate(at: now).alerts
        #expect(before.isEmpty)

        var item = catalogue.items["LIC"]!
        item.promisedLimit = 3
        let changed = try Catalogue(
            version: 2, departments: Array(catalogue.departments.values),
            items: Array(catalogue.items.values.filter { $0.code != "LIC" }) + [item])
        #expect(changed.changes(since: catalogue).affects(itemCode: "LIC"))
        let after = Supervision.evaluate(
            events: script.events,
            context: EvaluationContext(catalogue: changed, calendar: official),
            now: now
        ).alerts
        let transitions = Supervision.reconcile(
            previous: before, current: after, reason: .catalogueChanged(version: 2))
        // Promised 3: Sep 22, 23, 24 -> due Sep 25 00:00; warning from 00:00 Sep 23.
        #expect(transitions == after.map { .raised($0) })
        #expect(after.map(\.raisedAt) == [at("2026-09-23 00:00"), at("2026-09-25 00:00")])
    }

    @Test func loadingANewYearMakesAProvisionalDeadlineFinal() throws {
        var script = CaseScript()
        script.received("2026-12-21 09:00")
        script.accepted("2026-12-21 10:00")
        let now = at("2027-01-20 00:00")
        let before = script.evaluate(at: now)
        #expect(before.isProvisional)

        // A made-up 2027 for the test: January 1 to 3 off, nothing else.
        let year2027 = CalendarYear(
            year: 2027, holidays: [day("2027-01-01"), day("2027-01-02"), day("2027-01-03")],
            makeUpWorkingDays: [])
        var years = Array(official.years[.national]!.values)
        years.append(year2027)
        let calendar = try WorkingCalendar(version: 2, years: years)
        #expect(calendar.changedYears(comparedTo: official) == [.national: [2027]])
        let after = Supervision.evaluate(
            events: script.events,
            context: EvaluationContext(catalogue: catalogue, calendar: calendar),
            now: now)
        #expect(!after.isProvisional)
        // Dec 22 ... 31 (8), then Jan 4 (9), Jan 5 (10): due Jan 6 00:00.
        #expect(after.deadlines.promised == .at(at("2027-01-06 00:00")))
        let transitions = Supervision.reconcile(
            previous: before.alerts, current: after.alerts, reason: .calendarChanged(version: 2))
        #expect(
            transitions.contains {
                if case .withdrawn(let alert, _) = $0 { return alert.rule == .calendarMissing }
                return false
            })
        #expect(
            transitions.contains {
                if case .amended(let old, let new) = $0 {
                    return old.rule == .caseTime && old.level == .yellow
                        && new.raisedAt == at("2027-01-06 00:00")
                }
                return false
            })
    }

    @Test func aCaseSummaryStaysUnderOneKibibyte() {
        #expect(MemoryLayout<CaseSummary>.size < 1024)
    }
}
