import Engine
import Testing

private func acceptedCase() -> CaseScript {
    var script = CaseScript()
    script.received("2026-09-21 09:00")
    script.accepted("2026-09-21 10:00")
    return script
}

@Suite("Special procedures")
struct ProcedureTests {
    /// A hearing from Thursday Sep 24 to Monday Oct 12 pauses the working
    /// days Sep 28, 29, 30, Oct 8, 9, 10 and 12 (seven), across the holidays.
    @Test func aPauseAcrossTheHolidaysAddsItsWorkingDays() {
        var script = acceptedCase()
        script.procedure("2026-09-24 10:00", id: "P1", days: 10)
        script.procedureEnded("2026-10-12 16:00", id: "P1")
        let evaluation = script.evaluate(at: "2026-10-13 09:00")
        #expect(evaluation.deadlines.promised == .at(at("2026-10-22 00:00")))
        #expect(evaluation.deadlines.legal == .at(at("2026-11-05 00:00")))
        // Counted: Sep 22, 23, 24, then Oct 13, 14, 15, 16, 19, 20 (9th): the warning day.
        #expect(evaluation.deadlines.warning == .at(at("2026-10-20 00:00")))
    }

    @Test func anOpenProcedureHoldsEveryLaterThreshold() {
        var script = acceptedCase()
        script.procedure("2026-09-24 10:00", id: "P1", days: 30)
        // Long past the unpaused promised deadline (Oct 13): nothing about case time.
        let evaluation = script.evaluate(at: "2026-10-20 09:00")
        #expect(evaluation.deadlines.promised == .held(since: day("2026-09-24")))
        #expect(evaluation.deadlines.legal == .held(since: day("2026-09-24")))
        #expect(!evaluation.alerts.contains { $0.rule == .caseTime })
        // The undertake step's 3rd day was the procedure's start date itself,
        // which the pause does not cover: that card is not held.
        #expect(evaluation.alert(.stepTime, .yellow)?.raisedAt == at("2026-09-25 00:00"))
    }

    @Test func thresholdsBeforeTheProcedureStartAreNotHeld() {
        var script = acceptedCase()
        script.procedure("2026-10-14 10:00", id: "P1", days: 30)
        let evaluation = script.evaluate(at: "2026-10-20 09:00")
        // The promised deadline (Oct 13 24:00) passed before the pause began.
        #expect(evaluation.alert(.caseTime, .yellow)?.raisedAt == at("2026-10-13 00:00"))
        #expect(evaluation.deadlines.legal == .held(since: day("2026-10-14")))
    }

    /// Granted 10 working days from Sep 24: Sep 28 (1st) ... Oct 14 (9th),
    /// Oct 15 (10th), Oct 16 (11th).
    @Test(arguments: [
        (AlertLevel.warning, "2026-10-14 00:00"), (.yellow, "2026-10-16 00:00"),
        (.red, "2026-10-17 00:00"),
    ])
    func theProceduresOwnThresholdsCountPlainWorkingDays(level: AlertLevel, threshold: String) {
        var script = acceptedCase()
        script.procedure("2026-09-24 10:00", id: "P1", days: 10)
        let t = at(threshold)
        let before = script.evaluate(at: t.adding(seconds: -1))
        let after = script.evaluate(at: t.adding(seconds: 1))
        #expect(!before.has(.specialProcedureTime, level))
        #expect(after.alert(.specialProcedureTime, level)?.raisedAt == t)
        #expect(after.alert(.specialProcedureTime, level)?.subject == "procedure-P1")

        var ended = script
        ended.add(
            t.adding(seconds: -1).iso8601Local,
            .specialProcedureEnded(
                SpecialProcedureEnd(procedureID: "P1")))
        #expect(!ended.evaluate(at: "2026-12-01 00:00").has(.specialProcedureTime, level))
    }

    @Test func aTypeTheItemDoesNotAllowIsAYellowCard() {
        var script = acceptedCase()
        script.procedure("2026-09-24 10:00", id: "P1", .testing, days: 5)
        let evaluation = script.evaluate(at: "2026-09-24 10:00")
        #expect(evaluation.alertKeys == ["specialProcedureType|procedure-P1|yellow"])
        #expect(evaluation.alerts[0].raisedAt == at("2026-09-24 10:00"))
    }

    @Test func overlappingProceduresPauseTheirUnionOnce() {
        var script = acceptedCase()
        script.procedure("2026-09-24 10:00", id: "P1", days: 10)
        script.procedure("2026-09-29 10:00", id: "P2", .expertReview, days: 10)
        script.procedureEnded("2026-10-09 10:00", id: "P1")
        script.procedureEnded("2026-10-12 16:00", id: "P2")
        // Union Sep 24 (excl.) .. Oct 12: the same seven working days as one pause.
        let evaluation = script.evaluate(at: "2026-10-13 09:00")
        #expect(evaluation.deadlines.promised == .at(at("2026-10-22 00:00")))
    }

    @Test func endingAProcedureThatIsNotRunningIsOutOfOrder() {
        var script = acceptedCase()
        script.add(
            "2026-09-24 10:00", .specialProcedureEnded(SpecialProcedureEnd(procedureID: "X")),
            id: "stray")
        #expect(
            script.evaluate(at: "2026-09-24 11:00").alertKeys
                == ["outOfOrder|event-stray|yellow"])
    }
}

@Suite("Extensions")
struct ExtensionTests {
    @Test func aValidExtensionMovesThePromisedAndLegalDeadlines() {
        var script = acceptedCase()
        script.extended("2026-10-09 10:00", days: 10)
        let evaluation = script.evaluate(at: "2026-10-14 09:00")
        // Promised 20: Oct 26 -> Oct 27 00:00; legal 30: Nov 9 -> Nov 10 00:00.
        #expect(evaluation.deadlines.promised == .at(at("2026-10-27 00:00")))
        #expect(evaluation.deadlines.legal == .at(at("2026-11-10 00:00")))
        #expect(evaluation.deadlines.extensionDays == 10)
        #expect(evaluation.alerts.isEmpty == false)  // the undertake step, Sep 25
        #expect(!evaluation.alerts.contains { $0.rule == .caseTime || $0.rule == .extensionGrant })
    }

    @Test func anExtensionAfterThePromisedDeadlineLeavesItsCardInPlace() {
        var script = acceptedCase()
        script.extended("2026-10-20 10:00", days: 10)
        let evaluation = script.evaluate(at: "2026-10-28 09:00")
        #expect(evaluation.alert(.caseTime, .yellow)?.raisedAt == at("2026-10-13 00:00"))
        #expect(evaluation.deadlines.legal == .at(at("2026-11-10 00:00")))
        #expect(!evaluation.has(.caseTime, .red))
        #expect(!evaluation.has(.extensionGrant, .red))
    }

    @Test(arguments: [
        ("second", 5, "head", "complex", true, "a second extension"),
        ("too long", 11, "head", "complex", false, "11 working days where at most 10"),
        ("no approver", 5, " ", "complex", false, "no approver"),
        ("no reason", 5, "head", "", false, "no reason"),
        ("after the legal deadline", 5, "head", "complex", false, "after the legal deadline"),
    ])
    func anInvalidExtensionIsARedCardAndMovesNothing(
        name: String, days: Int, approver: String, reason: String, second: Bool, words: String
    ) {
        var script = acceptedCase()
        var expectedLegal = at("2026-10-27 00:00")
        if second {
            script.extended("2026-10-09 10:00", days: 3)
            // Legal 23: Oct 27, 28, 29 -> Oct 30 00:00.
            expectedLegal = at("2026-10-30 00:00")
        }
        let when = name == "after the legal deadline" ? "2026-10-27 00:00" : "2026-10-12 10:00"
        script.add(
            when,
            .extensionGranted(
                ExtensionGrant(
                    days: days, approver: approver,
                    reason: reason)), id: "ext")
        let evaluation = script.evaluate(at: "2026-10-27 09:00")
        let card = evaluation.alert(.extensionGrant, .red)
        #expect(card?.subject == "event-ext", "\(name)")
        #expect(card?.raisedAt == at(when))
        #expect(card?.explanation.contains(words) == true, "\(card?.explanation ?? "")")
        #expect(evaluation.deadlines.legal == .at(expectedLegal))
    }
}
