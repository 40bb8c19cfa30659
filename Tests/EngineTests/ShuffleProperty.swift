import Engine
import Testing

/// Random but realistic case histories, for property tests and the benchmark's
/// sanity check.
struct CaseGenerator {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    private mutating func minutes(_ range: ClosedRange<Int64>) -> Int64 {
        Int64.random(in: range, using: &random) * 60
    }

    private mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &random) < percent
    }

    mutating func events(caseID: String) -> [CaseEvent] {
        let items = ["LIC", "LIC", "FEE", "QUICK", "NOW", "UNKNOWN"]
        let item = items[Int.random(in: 0..<items.count, using: &random)]
        let key = CaseKey(departmentCode: item == "FEE" ? "D2" : "D1", caseID: caseID)
        var t = at("2025-06-01 08:00").adding(seconds: minutes(0...(600 * 24 * 60)))
        var events: [CaseEvent] = []
        var counter = 0
        func emit(_ kind: CaseEventKind, _ gen: inout CaseGenerator) {
            counter += 1
            let delay = gen.chance(10) ? gen.minutes(0...(3 * 24 * 60)) : gen.minutes(0...30)
            events.append(
                CaseEvent(
                    eventID: "\(caseID)-\(counter)", caseKey: key, occurredAt: t,
                    reportedAt: t.adding(seconds: delay), kind: kind))
        }
        func advance(_ gen: inout CaseGenerator, days: Int64 = 3) {
            t = t.adding(seconds: gen.minutes(1...(days * 24 * 60)))
        }

        emit(.received(Receipt(itemCode: item, channel: chance(50) ? .online : .counter)), &self)
        if chance(20) {
            advance(&self)
            emit(.correctionRequested(missing: ["form"]), &self)
            advance(&self, days: 10)
            emit(.correctionReceived, &self)
        }
        advance(&self, days: chance(15) ? 12 : 4)
        if chance(8) {
            emit(.refusedAtIntake(reason: chance(70) ? "incomplete" : ""), &self)
            return finish(events)
        }
        emit(.accepted(handler: "clerk"), &self)
        var procedures = 0
        for step in ApprovalStep.allCases {
            advance(&self)
            if chance(12) {
                procedures += 1
                let types: [SpecialProcedureType] = [.hearing, .testing, .expertReview]
                emit(
                    .specialProcedureStarted(
                        SpecialProcedureStart(
                            procedureID: "P\(procedures)",
                            type: types[Int.random(in: 0..<3, using: &random)],
                            grantedDays: Int.random(in: 1...15, using: &random))), &self)
                if chance(85) {
                    advance(&self, days: 20)
                    emit(
                        .specialProcedureEnded(SpecialProcedureEnd(procedureID: "P\(procedures)")),
                        &self)
                }
            }
            if chance(8) {
                emit(
                    .extensionGranted(
                        ExtensionGrant(
                            days: Int.random(in: 1...12, using: &random),
                            approver: chance(90) ? "head" : "",
                            reason: "complex")), &self)
            }
            if chance(10) {
                emit(
                    .feeCharged(
                        FeeCharge(
                            feeItem: "f", amountFen: Int64.random(in: 1...4000, using: &random))),
                    &self)
            }
            emit(
                .stepCompleted(
                    StepCompletion(
                        step: step, handler: "h", outcome: chance(5) ? .returned : .pass)), &self)
        }
        if chance(85) {
            advance(&self, days: 6)
            let results: [ConclusionResult] = [
                .approved, .approved, .approved, .denied, .withdrawn,
            ]
            let result = results[Int.random(in: 0..<results.count, using: &random)]
            emit(.concluded(Conclusion(result: result, reason: chance(80) ? "because" : "")), &self)
            if result == .approved && chance(80) {
                advance(&self, days: 14)
                emit(.delivered(Delivery(method: "counter", recipient: "applicant")), &self)
            }
        }
        if chance(5) {
            // A stray event after the others: a step after conclusion, say.
            advance(&self)
            emit(.stepCompleted(StepCompletion(step: .review, handler: "h")), &self)
        }
        return finish(events)
    }

    /// Adds revisions to some events: a corrected instant, reported later.
    private mutating func finish(_ events: [CaseEvent]) -> [CaseEvent] {
        var all = events
        for event in events where chance(6) {
            var revised = event
            revised.revision = 2
            revised.occurredAt = event.occurredAt.adding(
                seconds: minutes(-(2 * 24 * 60)...(2 * 24 * 60)))
            revised.reportedAt = event.reportedAt.adding(seconds: minutes(1...(5 * 24 * 60)))
            all.append(revised)
        }
        return all
    }
}

@Suite("Arrival order never matters")
struct ShuffleProperty {
    @Test func shufflingArrivalNeverChangesStateOrAlerts() {
        var generator = CaseGenerator(seed: 20261203)
        var shuffler = SeededGenerator(seed: 99)
        let now = at("2027-06-01 00:00")
        var checkedAlerts = 0
        for index in 0..<400 {
            let events = generator.events(caseID: "C\(index)")
            let reference = Supervision.evaluate(events: events, context: context, now: now)
            checkedAlerts += reference.alerts.count
            for _ in 0..<6 {
                let shuffled = events.shuffled(using: &shuffler)
                let evaluation = Supervision.evaluate(events: shuffled, context: context, now: now)
                #expect(evaluation.alerts == reference.alerts, "case \(index)")
                #expect(evaluation.upcoming == reference.upcoming, "case \(index)")
                #expect(evaluation.deadlines == reference.deadlines, "case \(index)")
                #expect(evaluation.phase == reference.phase, "case \(index)")
                let summary = CaseSummary(events: shuffled, context: context)
                #expect(summary.alerts(at: now) == reference.alerts, "case \(index)")
            }
        }
        // The generator must exercise the rules, or the property says little.
        #expect(checkedAlerts > 400)
    }

    @Test func applyingInOrderEqualsFoldingEverything() {
        var generator = CaseGenerator(seed: 7)
        let now = at("2027-06-01 00:00")
        for index in 0..<300 {
            let ordered = Supervision.canonicalOrder(generator.events(caseID: "C\(index)"))
                .filter { $0.revision == 1 }
            guard let first = ordered.first else { continue }
            var summary = CaseSummary(caseKey: first.caseKey, context: context)
            for event in ordered {
                let applied = summary.apply(event, context: context)
                #expect(applied)
            }
            let full = Supervision.evaluate(events: ordered, context: context, now: now)
            #expect(summary.evaluation(at: now).alerts == full.alerts, "case \(index)")
            #expect(summary.nextDue(after: now) == full.nextDueAt, "case \(index)")
        }
    }

    @Test func everyRuleOfTheGeneratorShowsUp() {
        var generator = CaseGenerator(seed: 20261203)
        let now = at("2027-06-01 00:00")
        var rules: Set<AlertRule> = []
        for index in 0..<400 {
            let events = generator.events(caseID: "C\(index)")
            for alert in Supervision.evaluate(events: events, context: context, now: now).alerts {
                rules.insert(alert.rule)
            }
        }
        let expected: Set<AlertRule> = [
            .caseTime, .stepTime, .intake, .specialProcedureTime, .specialProcedureType,
            .extensionGrant, .fee, .missingReason, .outOfOrder, .delivery, .lateReporting,
            .unknownItem, .calendarMissing,
        ]
        #expect(expected.subtracting(rules).isEmpty, "missing: \(expected.subtracting(rules))")
    }
}
