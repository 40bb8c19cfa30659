import Engine
import Interchange
import Messages

/// The demo county's two weeks of cases, written as the events each case's
/// handling produces, most of them by the book and some not.
///
/// Every case follows a behaviour: handled early, on time, slowly, past
/// the legal limit, or left open; some are refused or denied (with and
/// without a reason), some charge fees (within the standard and over it),
/// some pause for a special procedure (and overrun it), some are extended
/// (validly and not). A few events come out of order, late, or name an item
/// the catalogue lacks. The plan is deterministic: the same start gives the
/// same cases.
struct DemoPlan {
    /// An event and the demo-clock instant to report it at.
    struct Scheduled: Sendable {
        var event: Messages.CaseEvent
        var sendAt: Instant
    }

    private(set) var events: [Scheduled] = []
    private(set) var caseCount = 0

    private enum Behaviour: CaseIterable {
        case early, onTime, slow, pastLegal, leftOpen, refusedWithReason, refusedSilently
        case deniedWithReason, deniedSilently, overcharged, procedure, procedureOverrun
        case validExtension, badExtension, outOfOrder, lateReport, lateIntake
    }

    private let context: EvaluationContext
    private let runTag: String
    private var random: SplitMix
    private var eventNumber = 0

    /// Plans cases received over the two weeks before `end`, each event
    /// reported shortly after it happens (the lateReport ones a day later).
    init(context: EvaluationContext, start: Instant, end: Instant, runTag: String) {
        self.context = context
        self.runTag = runTag
        self.random = SplitMix(seed: 0x5EED_0F_DE30)
        let items = context.catalogue.items.values.sorted { $0.code < $1.code }
        let firstDay = workingDay(-10, from: end.localDate)
        var number = 0
        for (index, item) in items.enumerated() {
            for round in 0..<3 {
                number += 1
                let behaviour = Behaviour.allCases[(index * 3 + round) % Behaviour.allCases.count]
                let offset = Int(random.next() % 9)
                let day = workingDay(offset, from: firstDay)
                plan(item: item, behaviour: behaviour, received: day, number: number, end: end)
            }
        }
        // One case names an item the catalogue does not have.
        if let item = items.first {
            var unknown = item
            unknown.code = item.departmentCode + "-RETIRED-009"
            plan(item: unknown, behaviour: .onTime, received: workingDay(3, from: firstDay),
                 number: number + 1, end: end)
        }
        caseCount = number + 1
        events = events.filter { $0.sendAt >= start && $0.sendAt <= end }
            .sorted { $0.sendAt < $1.sendAt }
    }

    // MARK: One case

    private mutating func plan(
        item: Engine.Item, behaviour: Behaviour, received day: LocalDate, number: Int,
        end: Instant
    ) {
        let caseID = "\(item.departmentCode.split(separator: "-").last ?? "X")-\(runTag)-"
            + String(number)
        var case_ = CaseScript(department: item.departmentCode, caseID: caseID)
        let receivedAt = at(day, hour: 8 + Int(random.next() % 5))
        case_.add(.received(receipt(item)), at: receivedAt)

        switch behaviour {
        case .refusedWithReason, .refusedSilently:
            case_.add(
                .intakeRefused(IntakeRefused(
                    reason: behaviour == .refusedSilently ? "" : "the applicant is not eligible",
                    handler: handler())),
                at: at(workingDay(1, from: day), hour: 10))
            flush(case_)
            return
        case .lateIntake:
            // Intake is never decided: the intake limit passes.
            flush(case_)
            return
        case .outOfOrder:
            case_.add(
                .stepCompleted(StepCompleted(
                    step: .undertake, handler: handler(), opinion: "agree", outcome: .pass)),
                at: at(day, hour: 13))
        default:
            break
        }

        let acceptDay = workingDay(Int(random.next() % 2), from: day)
        // A day's order: receipts by 12:30, the out-of-order step at 13:00,
        // acceptance from 14:00, an extension at 15:00, a procedure ending by
        // 16:30, steps from 16:35, the fee at 17:15 and the decision at 17:30.
        case_.add(
            .accepted(CaseAccepted(handler: handler())), at: at(acceptDay, hour: 14))

        // How many of the promised working days the handling takes.
        let promised = max(item.promisedLimit, 1)
        var total: Int
        switch behaviour {
        case .early: total = max(1, promised / 2)
        case .slow: total = min(promised + 2, item.legalLimit)
        case .pastLegal: total = item.legalLimit + 2
        case .leftOpen: total = 10_000
        default: total = promised
        }
        if item.legalLimit == 0, behaviour != .pastLegal {
            total = 0  // An immediate item (即办件) is decided the day it is accepted.
        }
        var clockDay = acceptDay

        if behaviour == .procedure || behaviour == .procedureOverrun,
            let type = item.allowedProcedures.sorted(by: { $0.rawValue < $1.rawValue }).first
        {
            let granted = 3
            let startDay = workingDay(1, from: acceptDay)
            case_.add(
                .specialProcedureStarted(SpecialProcedureStarted(
                    procedureID: "P1", type: Messages.SpecialProcedureType(type),
                    grantedDays: UInt32(granted), reason: "on-site inspection")),
                at: at(startDay, hour: 10))
            let length = behaviour == .procedureOverrun ? granted + 3 : granted - 1
            let endDay = workingDay(length, from: startDay)
            case_.add(
                .specialProcedureEnded(SpecialProcedureEnded(
                    procedureID: "P1", result: "passed", feeFen: 0)),
                at: at(endDay, hour: 16))
            clockDay = endDay
        }
        if (behaviour == .validExtension && item.legalExtension > 0)
            || behaviour == .badExtension
        {
            total = min(item.legalLimit + item.legalExtension - 1, item.promisedLimit + 4)
            case_.add(
                .extensionGranted(ExtensionGranted(
                    days: UInt32(max(1, min(item.legalExtension, 5))),
                    approver: behaviour == .badExtension ? "" : "Deputy Director Zhou",
                    reason: "expert opinion awaited")),
                at: at(acceptDay, minutes: 15 * 60, jitter: 10))
        }

        // The steps, splitting the working days taken between them.
        let stepDays = [total / 3, total / 3, total - 2 * (total / 3)]
        var stepDay = clockDay
        for (index, (step, days)) in zip([Step.undertake, .review, .approve], stepDays)
            .enumerated()
        {
            stepDay = workingDay(max(days, 0), from: stepDay)
            case_.add(
                .stepCompleted(StepCompleted(
                    step: step, handler: handler(), opinion: "agree", outcome: .pass)),
                at: at(stepDay, minutes: 16 * 60 + 35 + 12 * index, jitter: 5))
        }

        if behaviour == .overcharged || (behaviour == .onTime && feeMaximum(item) != nil) {
            let standard = feeMaximum(item) ?? 0
            let amount = behaviour == .overcharged ? standard + 5_000 : standard
            case_.add(
                .feeCharged(FeeCharged(feeItem: "licence fee", amountFen: amount)),
                at: at(stepDay, minutes: 17 * 60 + 15, jitter: 5))
        }

        let denied = behaviour == .deniedWithReason || behaviour == .deniedSilently
        var conclusion = CaseConcluded()
        conclusion.result = denied ? .denied : .approved
        conclusion.reason = behaviour == .deniedSilently
            ? "" : denied ? "the site fails the safety distance" : ""
        if !denied {
            conclusion.certificateName = item.name
            conclusion.certificateNumber = "ZS\(runTag)\(number)"
        }
        let concludedAt = at(stepDay, minutes: 17 * 60 + 30, jitter: 5)
        case_.add(.concluded(conclusion), at: concludedAt)
        if !denied {
            case_.add(
                .delivered(CertificateDelivered(method: .inPerson, recipient: "the applicant")),
                at: at(workingDay(1 + Int(random.next() % 2), from: stepDay), hour: 10))
        }
        if behaviour == .lateReport, let first = case_.events.indices.last {
            // This system's link was down: its last event arrives a day late.
            case_.events[first].sendAt = case_.events[first].sendAt.adding(seconds: 30 * 3600)
        }
        flush(case_)
    }

    private mutating func flush(_ script: CaseScript) {
        for var scheduled in script.events {
            eventNumber += 1
            scheduled.event.eventID = "demo-\(runTag)-\(eventNumber)"
            events.append(scheduled)
        }
    }

    // MARK: Helpers

    private struct CaseScript {
        let department: String
        let caseID: String
        var events: [Scheduled] = []

        mutating func add(_ kind: Messages.CaseEvent.Kind, at instant: Instant) {
            var event = Messages.CaseEvent()
            event.departmentCode = department
            event.caseID = caseID
            event.occurredAt = Timestamp(instant)
            event.kind = kind
            // Reported a few minutes after it happens, as a live system does.
            events.append(Scheduled(event: event, sendAt: instant.adding(seconds: 120)))
        }
    }

    private func feeMaximum(_ item: Engine.Item) -> Int64? {
        if case .maximum(let fen) = item.feeStandard { return fen }
        return nil
    }

    private func workingDay(_ count: Int, from date: LocalDate) -> LocalDate {
        if count >= 0 {
            return context.calendar.workingDay(count, after: date).value
        }
        var day = date
        var left = -count
        while left > 0 {
            day = day.adding(days: -1)
            if context.calendar.isWorkingDay(day).value { left -= 1 }
        }
        return day
    }

    /// An instant in the hour after `hour` o'clock on `date`'s morning.
    private mutating func at(_ date: LocalDate, hour: Int) -> Instant {
        at(date, minutes: hour * 60, jitter: 30)
    }

    /// `minutes` after midnight on `date`, plus up to `jitter` minutes.
    private mutating func at(_ date: LocalDate, minutes: Int, jitter: Int) -> Instant {
        let seconds = Int64(minutes) * 60 + Int64(random.next() % UInt64(jitter * 60 + 1))
        return date.startInstant.adding(seconds: seconds)
    }

    private mutating func receipt(_ item: Engine.Item) -> CaseReceived {
        let people = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]
        var applicant = Applicant()
        applicant.type = .person
        applicant.name = people[Int(random.next() % UInt64(people.count))]
        applicant.idType = .residentIDCard
        applicant.idNumber = "3308991990" + String(100_000 + random.next() % 899_999) + "X"
        applicant.phone = "139" + String(10_000_000 + random.next() % 89_999_999)
        return CaseReceived(
            itemCode: item.code, applicant: applicant,
            channel: random.next() % 2 == 0 ? .counter : .online,
            title: "\(applicant.name): \(item.name)")
    }

    private mutating func handler() -> String {
        ["Clerk Sun", "Officer Qian", "Section Chief Wu", "Director Zheng"][
            Int(random.next() % 4)]
    }
}

/// A small, fast, seeded generator: the demo must be the same every time.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
