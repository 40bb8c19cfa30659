import Engine
import Interchange
import Messages
import Testing

/// Evaluates one case of item LIC (promised 10, legal 20; steps 3, 2, 1)
/// from messages, each reported when it happened.
private func evaluate(_ script: [(String, Messages.CaseEvent.Kind)], at now: String)
    throws -> CaseEvaluation
{
    var events: [Engine.CaseEvent] = []
    for (index, (time, kind)) in script.enumerated() {
        let message = event(kind, id: "E\(index + 1)", at: time)
        events.append(try Engine.CaseEvent(message, reportedAt: at(time)))
    }
    return Supervision.evaluate(events: events, context: context, now: at(now))
}

private let received = (
    "2026-09-21 09:00", Messages.CaseEvent.Kind.received(CaseReceived(itemCode: "LIC"))
)
private let accepted = (
    "2026-09-21 10:00", Messages.CaseEvent.Kind.accepted(CaseAccepted(handler: "h"))
)

/// Deadlines in one line each: kind, subject, limit, due date, flags.
private func lines(_ deadlines: [Messages.Deadline]) -> [String] {
    deadlines.map { deadline in
        var text = "\(deadline.kind.protoName!.dropFirst("DEADLINE_KIND_".count))"
        if !deadline.subject.isEmpty { text += " " + deadline.subject }
        text += " \(deadline.limitDays) \(deadline.dueDate.isEmpty ? "-" : deadline.dueDate)"
        if deadline.paused { text += " paused" }
        if deadline.provisional { text += " provisional" }
        if let met = deadline.metAt { text += " met " + met.rfc3339 }
        return text
    }
}

@Suite("Cases in the standard's form: state, summary and deadlines")
struct CaseMappingTests {
    @Test func statesFollowTheCase() throws {
        let steps: [([(String, Messages.CaseEvent.Kind)], CaseState)] = [
            ([], .unspecified),
            ([received], .received),
            (
                [
                    received,
                    (
                        "2026-09-22 09:00",
                        .correctionRequested(CorrectionRequested(missingMaterials: ["a"]))
                    ),
                ],
                .awaitingCorrection
            ),
            (
                [
                    received,
                    (
                        "2026-09-22 09:00",
                        .correctionRequested(CorrectionRequested(missingMaterials: ["a"]))
                    ),
                    ("2026-09-23 09:00", .correctionReceived(CorrectionReceived())),
                ], .received
            ),
            ([received, accepted], .inProgress),
            (
                [
                    received, accepted,
                    (
                        "2026-09-22 09:00",
                        .specialProcedureStarted(
                            SpecialProcedureStarted(
                                procedureID: "P1", type: .hearing, grantedDays: 5))
                    ),
                ], .inSpecialProcedure
            ),
            (
                [
                    received, accepted,
                    (
                        "2026-09-22 09:00",
                        .specialProcedureStarted(
                            SpecialProcedureStarted(
                                procedureID: "P1", type: .hearing, grantedDays: 5))
                    ),
                    (
                        "2026-09-23 09:00",
                        .specialProcedureEnded(SpecialProcedureEnded(procedureID: "P1"))
                    ),
                ], .inProgress
            ),
            (
                [received, ("2026-09-22 09:00", .intakeRefused(IntakeRefused(reason: "r")))],
                .refused
            ),
            (
                [
                    received, accepted,
                    ("2026-09-24 09:00", .concluded(CaseConcluded(result: .approved))),
                ], .concluded
            ),
            (
                [
                    received, accepted,
                    ("2026-09-24 09:00", .concluded(CaseConcluded(result: .approved))),
                    ("2026-09-28 09:00", .delivered(CertificateDelivered(method: .inPerson))),
                ], .delivered
            ),
        ]
        for (script, state) in steps {
            #expect(
                CaseState(try evaluate(script, at: "2026-09-29 12:00")) == state, "\(script.count)")
        }
    }

    @Test func theSummaryOfACaseConcludedLate() throws {
        let evaluation = try evaluate(
            [
                received, accepted,
                (
                    "2026-10-14 09:00",
                    .concluded(CaseConcluded(result: .approved, certificateName: "c"))
                ),
            ], at: "2026-10-15 09:00")
        let item = catalogue.items["LIC"]
        let summary = Messages.CaseSummary(evaluation, item: item, title: "某餐馆食品经营许可")
        #expect(summary.departmentCode == "D1")
        #expect(summary.caseID == "C1")
        #expect(summary.itemCode == "LIC")
        #expect(summary.itemName == "Food business licence")
        #expect(summary.title == "某餐馆食品经营许可")
        #expect(summary.state == .concluded)
        #expect(summary.receivedAt == stamp("2026-09-21 09:00"))
        #expect(summary.acceptedAt == stamp("2026-09-21 10:00"))
        #expect(summary.concludedAt == stamp("2026-10-14 09:00"))
        #expect(summary.result == .approved)
        #expect(summary.promisedDeadline == stamp("2026-10-13 00:00"))
        #expect(summary.legalDeadline == stamp("2026-10-27 00:00"))
        // The promised deadline passed: a yellow card stands.
        #expect(summary.highestLevel == .yellow)
        // With the standing alerts given, only those count.
        let warnings = evaluation.alerts.filter { $0.level == .warning }
        #expect(Messages.CaseSummary(evaluation, standing: warnings).highestLevel == .warning)
        #expect(Messages.CaseSummary(evaluation, standing: []).highestLevel == .unspecified)
    }

    @Test func deadlinesOfARunningCase() throws {
        let evaluation = try evaluate([received, accepted], at: "2026-09-22 09:00")
        #expect(
            lines(evaluation.deadlineMessages(in: catalogue)) == [
                "PROMISED 10 2026-10-12", "LEGAL 20 2026-10-26", "STEP undertake 3 2026-09-24",
            ])
        let promised = evaluation.deadlineMessages(in: catalogue)[0]
        #expect(promised.dueAt == stamp("2026-10-13 00:00"))
    }

    @Test func deadlinesDuringIntake() throws {
        let evaluation = try evaluate([received], at: "2026-09-22 09:00")
        // While intake runs, the case clock is counted from the receipt, as
        // it will be should intake run late.
        #expect(
            lines(evaluation.deadlineMessages(in: catalogue)) == [
                "INTAKE 5 2026-09-29", "PROMISED 10 2026-10-12", "LEGAL 20 2026-10-26",
            ])
    }

    @Test func aLateIntakeShowsWhenItWasDecided() throws {
        let evaluation = try evaluate(
            [received, ("2026-10-08 09:00", .accepted(CaseAccepted(handler: "h")))],
            at: "2026-10-08 10:00")
        let deadlines = lines(evaluation.deadlineMessages(in: catalogue))
        #expect(deadlines.first == "INTAKE 5 2026-09-29 met 2026-10-08T01:00:00Z")
    }

    @Test func aRunningProcedurePausesTheCaseClock() throws {
        let evaluation = try evaluate(
            [
                received, accepted,
                (
                    "2026-09-22 09:00",
                    .specialProcedureStarted(
                        SpecialProcedureStarted(procedureID: "P1", type: .hearing, grantedDays: 5))
                ),
            ], at: "2026-09-23 09:00")
        // The procedure's own count: Sep 23, 24, 28, 29, 30.
        #expect(
            lines(evaluation.deadlineMessages(in: catalogue)) == [
                "PROMISED 10 - paused", "LEGAL 20 - paused", "SPECIAL_PROCEDURE P1 5 2026-09-30",
            ])
        let promised = evaluation.deadlineMessages(in: catalogue)[0]
        #expect(promised.dueAt == nil)
        #expect(Messages.CaseSummary(evaluation).promisedDeadline == nil)
    }

    @Test func metDeadlinesAfterConclusionAndDelivery() throws {
        let evaluation = try evaluate(
            [
                received, accepted,
                (
                    "2026-09-24 09:00",
                    .stepCompleted(StepCompleted(step: .undertake, outcome: .pass))
                ),
                ("2026-10-09 09:00", .concluded(CaseConcluded(result: .approved))),
                ("2026-10-12 09:00", .delivered(CertificateDelivered(method: .post))),
            ], at: "2026-10-12 10:00")
        // The review step (limit 2 after Sep 24: Sep 28, 29) ran until the
        // conclusion; delivery was due 10 working days after it (Oct 22).
        #expect(
            lines(evaluation.deadlineMessages(in: catalogue)) == [
                "PROMISED 10 2026-10-12 met 2026-10-09T01:00:00Z",
                "LEGAL 20 2026-10-26 met 2026-10-09T01:00:00Z",
                "STEP review 2 2026-09-29 met 2026-10-09T01:00:00Z",
                "DELIVERY 10 2026-10-22 met 2026-10-12T01:00:00Z",
            ])
    }

    @Test func deadlinesInAYearWithNoCalendarAreProvisional() throws {
        let evaluation = try evaluate(
            [
                ("2026-12-21 09:00", .received(CaseReceived(itemCode: "LIC"))),
                ("2026-12-21 10:00", .accepted(CaseAccepted(handler: "h"))),
            ], at: "2026-12-22 09:00")
        // Counted Monday to Friday over 2027: Jan 1 and Jan 4 are counted.
        #expect(
            lines(evaluation.deadlineMessages(in: catalogue)) == [
                "PROMISED 10 2027-01-04 provisional", "LEGAL 20 2027-01-18 provisional",
                "STEP undertake 3 2026-12-24",
            ])
    }
}
