import Engine
import Testing

@Suite("Recomputation, scheduling and compact state")
struct RecomputeTests {
    @Test func aLateEventWithdrawsTheCardsThatNoLongerHoldAndRaisesTheNewOnes() {
        var script = CaseScript()
        script.received("2026-09-21 09:00")
        script.accepted("2026-09-21 10:00")
        let now = at("2026-10-14 09:00")
        let before = script.evaluate(at: now).alerts
        #expect(before.map(\.subject).contains("promised"))

        // A hearing from Sep 24 to Oct 12, reported late: the promised deadline moves.
        script.add(
            "2026-09-24 10:00",
            .specialProcedureStarted(
                SpecialProcedureStart(
                    procedureID: "P1", type: .hearing, grantedDays: 12)), id: "p1",
            reported: "2026-10-14 08:00")
        script.add(
            "2026-10-12 16:00", .specialProcedureEnded(SpecialProcedureEnd(procedureID: "P1")),
            id: "p1-end", reported: "2026-10-14 08:00")
        let after = script.evaluate(at: now).alerts
        let transitions = Supervision.reconcile(
            previous: before, current: after, reason: .lateEvent(eventID: "p1"))

        let withdrawn = transitions.compactMap { t -> String? in
            if case .withdrawn(let alert, let reason) = t {
                #expect(reason == .lateEvent(eventID: "p1"))
                return "\(alert.rule.rawValue)|\(alert.subject)|\(alert.level.rawValue)"
            }
            return nil
        }
        let raised = transitions.compactMap { t -> String? in
            if case .raised(let alert) = t {
                return "\(alert.rule.rawValue)|\(alert.subject)|\(alert.level.rawValue)"
            }
            return nil
        }
        #expect(withdrawn == ["caseTime|promised|warning", "caseTime|promised|yellow"])
        #expect(raised == ["lateReporting|event-p1|warning", "lateReporting|event-p1-end|warning"])
        #expect(Supervision.reconcile(previous: after, current: after, reason: .other("x")).isEmpty)
    }

    @Test func aChangedFactKeepsTheIdAndIsAnAmendment() {
        let scope = AlertScope.caseOf(CaseKey(departmentCode: "D", caseID: "C"))
        let old = Alert(
            scope: scope, rule: .caseTime, subject: "legal", level: .red,
            raisedAt: at("2026-10-27 00:00"), explanation: "a")
        var new = old
        new.raisedAt = at("2026-10-28 00:00")
        let transitions = Supervision.reconcile(
            previous: [old], current: [new], reason: .calendarChanged(version: 2))
        #expect(transitions == [.amended(from: old, to: new)])
    }

    @Test func alertIDsEscapeTheirSeparators() {
        let id = AlertID(
            scope: .caseOf(CaseKey(departmentCode: "D|1", caseID: "2026/7%")),
            rule: .fee, subject: "fee", level: .red)
        #expect(id.rawValue == "case:D%7C1/2026%2F7%25|fee|fee|red")
    }

    @Test func theDueQueueAlwaysYieldsTheEarliestInstant() {
        var random = SeededGenerator(seed: 11)
        var queue = DueQueue<Int>()
        var model: [Int: Int64] = [:]
        for step in 0..<5000 {
            let key = Int.random(in: 0..<300, using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6:
                let instant = Int64.random(in: 0..<1_000_000, using: &random)
                queue.update(key, dueAt: Instant(millisecondsSinceEpoch: instant))
                model[key] = instant
            case 6..<8:
                queue.remove(key)
                model[key] = nil
            default:
                let now = Int64.random(in: 0..<1_000_000, using: &random)
                let due = queue.popDue(at: Instant(millisecondsSinceEpoch: now))
                let expected = model.filter { $0.value <= now }
                #expect(due.count == expected.count, "step \(step)")
                #expect(
                    due.map(\.instant.millisecondsSinceEpoch)
                        == due.map(\.instant.millisecondsSinceEpoch).sorted())
                #expect(Set(due.map(\.key)) == Set(expected.keys))
                for key in expected.keys { model[key] = nil }
            }
            #expect(queue.count == model.count)
            #expect(queue.earliest?.instant.millisecondsSinceEpoch == model.values.min())
        }
    }

    @Test func theSummaryAppliesInOrderEventsAndAsksForARefoldOtherwise() {
        var script = CaseScript()
        script.received("2026-09-21 09:00")
        script.accepted("2026-09-21 10:00")
        script.step("2026-09-23 10:00", .undertake)
        script.procedure("2026-09-24 10:00", id: "P1", days: 10)
        script.procedureEnded("2026-10-12 16:00", id: "P1")
        script.step("2026-10-14 10:00", .review)

        var summary = CaseSummary(caseKey: script.key, context: context)
        for event in script.events {
            let applied = summary.apply(event, context: context)
            #expect(applied)
        }
        let now = at("2026-10-16 12:00")
        let full = script.evaluate(at: now)
        #expect(summary.evaluation(at: now).alerts == full.alerts)
        #expect(summary.evaluation(at: now).deadlines == full.deadlines)
        #expect(summary.nextDue(after: now) == full.nextDueAt)
        #expect(summary.isOpen)

        // An event that happened earlier than the last one applied: refold.
        let late = CaseEvent(
            eventID: "fee", caseKey: script.key, occurredAt: at("2026-09-22 10:00"),
            kind: .feeCharged(FeeCharge(feeItem: "x", amountFen: 10)))
        let appliedLate = summary.apply(late, context: context)
        #expect(!appliedLate)
        // A revision: refold.
        var revised = script.events[2]
        revised.revision = 2
        let appliedRevision = summary.apply(revised, context: context)
        #expect(!appliedRevision)
        #expect(summary.evaluation(at: now).alerts == full.alerts)

        let refolded = CaseSummary(events: script.events + [late], context: context)
        #expect(
            refolded.alerts(at: now)
                == Supervision.evaluate(
                    events: script.events + [late], context: context, now: now
                ).alerts)
    }

    @Test func alertsHoldingAcrossCasesAreOrderedByInstant() {
        var first = CaseScript("A")
        first.received("2026-09-21 09:00")
        first.accepted("2026-09-21 10:00")
        var second = CaseScript("B")
        second.received("2026-09-14 09:00")
        let alerts = Supervision.alertsHolding(
            at: at("2026-09-25 12:00"), cases: [first.events, second.events], context: context)
        // B never decided intake: it counts as accepted on Sep 14, and its
        // promised deadline's warning follows at 00:00 of its 9th counted day.
        #expect(
            alerts.map(\.id.rawValue) == [
                "case:D1/B|intake|intake|yellow", "case:D1/B|caseTime|promised|warning",
                "case:D1/A|stepTime|undertake-1|yellow",
            ])
        #expect(
            alerts.map(\.raisedAt) == [
                at("2026-09-21 00:00"), at("2026-09-24 00:00"), at("2026-09-25 00:00"),
            ])
    }
}

@Suite("Complaints")
struct ComplaintTests {
    /// Registered Monday Sep 21: accept within 5 working days (Sep 22, 23, 24,
    /// 28, 29): warning from 00:00 of the 4th, Sep 28, due Sep 30 00:00, yellow one
    /// working day over (end of Sep 30), red two over (end of Oct 8).
    @Test(arguments: [
        (AlertLevel.warning, "2026-09-28 00:00"), (.yellow, "2026-10-01 00:00"),
        (.red, "2026-10-09 00:00"),
    ])
    func acceptanceThresholds(level: AlertLevel, threshold: String) {
        let complaint = Complaint(
            id: "T1", departmentCode: "D1", registeredAt: at("2026-09-21 09:00"))
        let t = at(threshold)
        let before = Supervision.evaluate(
            complaint: complaint, context: context, now: t.adding(seconds: -1))
        let after = Supervision.evaluate(
            complaint: complaint, context: context, now: t.adding(seconds: 1))
        #expect(!before.alerts.contains { $0.level == level })
        let alert = after.alerts.first { $0.level == level }
        #expect(alert?.rule == .complaintAcceptance)
        #expect(alert?.raisedAt == t)
        #expect(alert?.facts.deadline == at("2026-09-30 00:00"))
        #expect(
            alert?.id.rawValue == "complaint:D1/T1|complaintAcceptance|acceptance|\(level.rawValue)"
        )
    }

    @Test func concludingIsDueFifteenWorkingDaysAfterAcceptance() {
        var complaint = Complaint(
            id: "T1", departmentCode: "D1", registeredAt: at("2026-09-21 09:00"),
            acceptedAt: at("2026-09-22 09:00"))
        // From Sep 22: 23, 24, 28, 29, 30, Oct 8, 9, 10, 12, 13, 14, 15, 16, 19, 20 (15th).
        let evaluation = Supervision.evaluate(
            complaint: complaint, context: context, now: at("2026-10-21 09:00"))
        #expect(evaluation.alerts.map(\.level) == [.warning])
        #expect(evaluation.alerts[0].facts.deadline == at("2026-10-21 00:00"))
        #expect(evaluation.nextDueAt == at("2026-10-22 00:00"))
        complaint.concludedAt = at("2026-10-20 18:00")
        #expect(
            Supervision.evaluate(
                complaint: complaint, context: context, now: at("2026-12-01 00:00")
            )
            .alerts.map(\.level) == [.warning])
    }
}
