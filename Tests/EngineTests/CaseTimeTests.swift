import Engine
import Foundation
import Testing

/// A case of item LIC (promised 10, legal 20 working days) accepted on
/// Monday 2026-09-21, just before the Mid-Autumn and National Day holidays.
/// Counted days: Sep 22, 23, 24, 28, 29, 30, Oct 8, 9, 10 (a make-up
/// Saturday), 12 (the 10th), ... Oct 26 (the 20th).
private func acceptedCase() -> CaseScript {
    var script = CaseScript()
    script.received("2026-09-21 09:00")
    script.accepted("2026-09-21 10:00")
    return script
}

@Suite("Case time, intake, steps and delivery at their boundaries")
struct CaseTimeTests {
    @Test func deadlinesCountWorkingDaysAfterAcceptance() {
        let evaluation = acceptedCase().evaluate(at: "2026-09-22 09:00")
        #expect(evaluation.phase == .processing)
        #expect(evaluation.deadlines.clockStart == day("2026-09-21"))
        #expect(evaluation.deadlines.warning == .at(at("2026-10-10 00:00")))
        #expect(evaluation.deadlines.promised == .at(at("2026-10-13 00:00")))
        #expect(evaluation.deadlines.legal == .at(at("2026-10-27 00:00")))
        #expect(evaluation.alerts.isEmpty)
        #expect(evaluation.nextDueAt == at("2026-09-25 00:00"))  // the undertake step's limit
    }

    /// (rule, level, subject, the threshold instant) for a case that never concludes.
    @Test(arguments: [
        (AlertRule.caseTime, AlertLevel.warning, "promised", "2026-10-10 00:00"),
        (.caseTime, .yellow, "promised", "2026-10-13 00:00"),
        (.caseTime, .red, "legal", "2026-10-27 00:00"),
        (.stepTime, .yellow, "undertake-1", "2026-09-25 00:00"),
    ])
    func thresholdHoldsFromItsInstantOn(
        rule: AlertRule, level: AlertLevel, subject: String, threshold: String
    ) {
        let script = acceptedCase()
        let t = at(threshold)
        let before = script.evaluate(at: t.adding(seconds: -1))
        let after = script.evaluate(at: t.adding(seconds: 1))
        #expect(!before.alerts.contains { $0.rule == rule && $0.level == level })
        let alert = after.alerts.first { $0.rule == rule && $0.level == level }
        #expect(alert?.raisedAt == t)
        #expect(alert?.subject == subject)
        #expect(alert?.id.rawValue == "case:D1/C1|\(rule.rawValue)|\(subject)|\(level.rawValue)")
    }

    /// Concluding one second before a threshold avoids it; concluding at the
    /// threshold or later does not (a threshold is crossed unless the case
    /// finished strictly before it).
    @Test(arguments: [
        ("2026-10-10 00:00", AlertLevel.warning), ("2026-10-13 00:00", .yellow),
        ("2026-10-27 00:00", .red),
    ])
    func concludingStrictlyBeforeTheThresholdAvoidsIt(threshold: String, level: AlertLevel) {
        let t = at(threshold)
        for (offset, expected) in [(-1, false), (0, true), (1, true)] as [(Int64, Bool)] {
            var script = acceptedCase()
            script.add(
                t.adding(seconds: offset).iso8601Local, .concluded(Conclusion(result: .approved)))
            let evaluation = script.evaluate(at: "2026-12-01 00:00")
            #expect(evaluation.has(.caseTime, level) == expected, "concluded at offset \(offset)")
        }
    }

    @Test func aCardStaysOnRecordAfterTheCaseConcludes() {
        var script = acceptedCase()
        script.concluded("2026-10-14 09:00")
        let evaluation = script.evaluate(at: "2026-12-01 00:00")
        let yellow = evaluation.alert(.caseTime, .yellow)
        #expect(yellow?.raisedAt == at("2026-10-13 00:00"))
        #expect(yellow?.facts.finishedAt == at("2026-10-14 09:00"))
        // Oct 13 is the first working day past the deadline, Oct 14 the second.
        #expect(yellow?.facts.workingDaysOver == 2)
        #expect(yellow?.facts.limitDays == 10)
        #expect(!evaluation.has(.caseTime, .red))
        #expect(evaluation.phase == .concluded)
        #expect(evaluation.conclusion == .approved)
        #expect(evaluation.receivedAt == at("2026-09-21 09:00"))
        #expect(evaluation.acceptedAt == at("2026-09-21 10:00"))
        #expect(evaluation.finishedAt == at("2026-10-14 09:00"))
        #expect(evaluation.deliveredAt == nil)
    }

    @Test func promisedUnderTwoDaysHasNoWarning() {
        var script = CaseScript()
        script.received("2026-09-21 09:00", item: "QUICK")
        script.accepted("2026-09-21 10:00")
        let evaluation = script.evaluate(at: "2026-12-01 00:00")
        #expect(!evaluation.has(.caseTime, .warning))
        #expect(evaluation.alert(.caseTime, .yellow)?.raisedAt == at("2026-09-23 00:00"))
        // Legal 5: Sep 22, 23, 24, 28, 29.
        #expect(evaluation.alert(.caseTime, .red)?.raisedAt == at("2026-09-30 00:00"))
    }

    @Test func promisedEqualToLegalRaisesOnlyTheRedCard() {
        var script = CaseScript("C2", department: "D2")
        script.received("2026-09-21 09:00", item: "FEE")
        script.accepted("2026-09-21 10:00")
        let evaluation = script.evaluate(at: "2026-12-01 00:00")
        #expect(!evaluation.has(.caseTime, .yellow))
        #expect(evaluation.alert(.caseTime, .red)?.raisedAt == at("2026-10-27 00:00"))
        // The warning still announces the promised deadline: 00:00 of the 19th counted day.
        #expect(evaluation.alert(.caseTime, .warning)?.raisedAt == at("2026-10-23 00:00"))
    }

    @Test func anImmediateItemEndsAtMidnightOfItsDay() {
        var script = CaseScript()
        script.received("2026-09-21 09:00", item: "NOW")
        script.accepted("2026-09-21 10:00")
        let t = at("2026-09-22 00:00")
        #expect(!script.evaluate(at: t.adding(seconds: -1)).has(.caseTime, .red))
        #expect(script.evaluate(at: t.adding(seconds: 1)).alertKeys == ["caseTime|legal|red"])
    }

    @Test func stepClocksStartWhenThePreviousStepCompletes() {
        var script = acceptedCase()
        script.step("2026-09-24 15:00", .undertake)
        // Review (2 days) from Sep 24: Sep 28, Sep 29 -> due Sep 30 00:00.
        let t = at("2026-09-30 00:00")
        #expect(!script.evaluate(at: t.adding(seconds: -1)).has(.stepTime, .yellow))
        let late = script.evaluate(at: t.adding(seconds: 1)).alert(.stepTime, .yellow)
        #expect(late?.subject == "review-1")
        #expect(late?.raisedAt == t)
    }

    @Test func aStepOverItsLimitIsACardEvenWhenTheCaseIsInTime() {
        var script = acceptedCase()
        script.step("2026-09-25 08:00", .undertake)  // due Sep 25 00:00
        script.step("2026-09-28 16:00", .review)
        script.step("2026-09-29 10:00", .approve)
        script.concluded("2026-09-29 11:00")
        let evaluation = script.evaluate(at: "2026-10-09 00:00")
        #expect(evaluation.alertKeys == ["stepTime|undertake-1|yellow"])
    }

    @Test func aReturnedStepRunsAgainUnderANewNumber() {
        var script = acceptedCase()
        script.step("2026-09-22 10:00", .undertake)
        script.step("2026-09-23 10:00", .review, .returned)
        // Undertake again from Sep 23, 3 days: Sep 24, 28, 29 -> due Sep 30 00:00.
        let evaluation = script.evaluate(at: "2026-09-30 00:01")
        #expect(evaluation.alert(.stepTime, .yellow)?.subject == "undertake-2")
        #expect(evaluation.alert(.stepTime, .yellow)?.raisedAt == at("2026-09-30 00:00"))
    }

    @Test func deliveryIsDueTenWorkingDaysAfterApproval() {
        var script = acceptedCase()
        script.concluded("2026-09-30 15:00")
        // Oct 8, 9, 10, 12, 13, 14, 15, 16, 19, 20 -> due Oct 21 00:00.
        let t = at("2026-10-21 00:00")
        #expect(script.evaluate(at: t.adding(seconds: -1)).deadlines.delivery == t)
        #expect(!script.evaluate(at: t.adding(seconds: -1)).has(.delivery, .yellow))
        #expect(script.evaluate(at: t.adding(seconds: 1)).has(.delivery, .yellow))

        var delivered = script
        delivered.add("2026-10-20 23:59:59", .delivered(Delivery(method: "post", recipient: "x")))
        #expect(!delivered.evaluate(at: "2026-12-01 00:00").has(.delivery, .yellow))

        var denied = acceptedCase()
        denied.concluded("2026-09-30 15:00", .denied, reason: "unsafe premises")
        #expect(!denied.evaluate(at: "2026-12-01 00:00").has(.delivery, .yellow))
    }
}

@Suite("Intake")
struct IntakeTests {
    @Test func acceptanceWithinTheIntakeLimitRaisesNothing() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        script.accepted("2026-09-20 17:00")  // a make-up Sunday, the 5th working day
        let evaluation = script.evaluate(at: "2026-09-23 12:00")
        #expect(evaluation.alerts.isEmpty)
        #expect(evaluation.deadlines.clockStart == day("2026-09-20"))
    }

    /// Received Monday Sep 14: the 5th working day after is the make-up
    /// Sunday Sep 20, so intake is due at Sep 21 00:00.
    @Test func undecidedIntakeIsACardFromItsDeadline() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        let t = at("2026-09-21 00:00")
        #expect(script.evaluate(at: t.adding(seconds: -1)).deadlines.intake == t)
        #expect(script.evaluate(at: t.adding(seconds: -1)).alerts.isEmpty)
        let late = script.evaluate(at: t.adding(seconds: 1))
        #expect(late.alertKeys == ["intake|intake|yellow"])
        // The case now counts as accepted from the day it was received.
        #expect(late.deadlines.clockStart == day("2026-09-14"))
    }

    @Test func lateAcceptanceStartsTheCaseClockOnTheDayIntakeBegan() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        script.accepted("2026-09-30 09:00")
        let evaluation = script.evaluate(at: "2026-09-30 10:00")
        // From Sep 14: 15, 16, 17, 18, 20, 21, 22, 23, 24 (9th), 28 (10th).
        #expect(evaluation.deadlines.clockStart == day("2026-09-14"))
        #expect(evaluation.deadlines.promised == .at(at("2026-09-29 00:00")))
        #expect(
            evaluation.alertKeys == [
                "intake|intake|yellow", "caseTime|promised|warning", "caseTime|promised|yellow",
            ])
        #expect(evaluation.alert(.intake, .yellow)?.facts.finishedAt == at("2026-09-30 09:00"))
    }

    @Test func aCorrectionNoticeStopsIntakeUntilTheMaterialsArrive() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        script.add("2026-09-17 09:00", .correctionRequested(missing: ["floor plan"]))
        #expect(script.evaluate(at: "2026-10-09 12:00").alerts.isEmpty)
        #expect(script.evaluate(at: "2026-10-09 12:00").deadlines.intake == nil)

        // Intake runs again from Friday Oct 9: Oct 10, 12, 13, 14, 15 -> Oct 16 00:00.
        script.add("2026-10-09 09:00", .correctionReceived)
        let t = at("2026-10-16 00:00")
        #expect(script.evaluate(at: t.adding(seconds: -1)).deadlines.intake == t)
        #expect(script.evaluate(at: t.adding(seconds: -1)).alerts.isEmpty)
        #expect(script.evaluate(at: t.adding(seconds: 1)).alertKeys == ["intake|intake-2|yellow"])

        var accepted = script
        accepted.accepted("2026-10-15 16:00")
        let evaluation = accepted.evaluate(at: "2026-10-16 12:00")
        #expect(evaluation.alerts.isEmpty)
        #expect(evaluation.deadlines.clockStart == day("2026-10-15"))
    }

    @Test func aSecondCorrectionNoticeIsOutOfOrderAndStopsNothing() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        script.add("2026-09-15 09:00", .correctionRequested(missing: ["a"]))
        script.add("2026-09-16 09:00", .correctionReceived)
        script.add("2026-09-17 09:00", .correctionRequested(missing: ["b"]), id: "second")
        let evaluation = script.evaluate(at: "2026-10-12 00:00")
        #expect(evaluation.alert(.outOfOrder, .yellow)?.subject == "event-second")
        // Intake from Sep 16: 17, 18, 20, 21, 22 -> due Sep 23 00:00.
        #expect(evaluation.alert(.intake, .yellow)?.raisedAt == at("2026-09-23 00:00"))
    }

    @Test func refusalNeedsAReason() {
        var script = CaseScript()
        script.received("2026-09-14 09:00")
        script.add("2026-09-15 09:00", .refusedAtIntake(reason: "  "), id: "refusal")
        let evaluation = script.evaluate(at: "2026-10-12 00:00")
        #expect(evaluation.phase == .refused)
        #expect(evaluation.alertKeys == ["missingReason|event-refusal|yellow"])
        #expect(evaluation.nextDueAt == nil)
    }
}

extension Instant {
    /// The local form the test scripts take: `YYYY-MM-DD hh:mm:ss`.
    var iso8601Local: String {
        let text = iso8601
        return String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
