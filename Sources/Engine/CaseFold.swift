/// Where a case stands in its life.
public enum CasePhase: String, Hashable, Sendable {
    /// No received event yet.
    case notReceived
    /// Received, intake not decided (收件, 待受理).
    case intake
    /// Accepted and being handled (受理, 办理中).
    case processing
    /// Refused at intake (不予受理).
    case refused
    /// Concluded with a decision (办结).
    case concluded
}

/// A special procedure as the case knows it.
struct Procedure: Hashable, Sendable {
    var id: String
    var type: SpecialProcedureType
    var grantedDays: Int
    var startedAt: Instant
    var startDay: Int32
    var endedAt: Instant?
    var endDay: Int32?
}

/// The order of events in a case: by when they happened, then by the
/// natural order of their kinds, then by event id; never by arrival.
struct EventOrder: Hashable, Comparable, Sendable {
    var occurredAt: Instant
    var rank: UInt8
    var eventID: String

    init(_ event: CaseEvent) {
        occurredAt = event.occurredAt
        rank = event.kind.naturalOrder
        eventID = event.eventID
    }

    static func < (lhs: EventOrder, rhs: EventOrder) -> Bool {
        if lhs.occurredAt != rhs.occurredAt { return lhs.occurredAt < rhs.occurredAt }
        if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
        return lhs.eventID < rhs.eventID
    }
}

/// A case's state, folded from its events in order.
///
/// The fold keeps only what the rules need: dates, counters and the
/// findings events raised. Deadlines and the alerts that a deadline raises
/// are derived from it on demand (``thresholds(into:)``), so that `now`
/// never enters the state.
struct CaseFold: Sendable {
    let key: CaseKey
    var rules: CaseRules
    var itemCode: String?
    var phase: CasePhase = .notReceived

    @CompactInstant var receivedAt: Instant? = nil
    // The current intake period: its number (1 from receipt, 2 after the
    // corrected materials arrived), its first day, its first instant, and
    // whether it still awaits a decision.
    var intakePeriod: UInt8 = 0
    var intakeStartDay: Int32 = 0
    @CompactInstant var intakeStartedAt: Instant? = nil
    var intakeOpen = false
    var correctionNotices: UInt8 = 0
    var correctionPending = false

    // The case clock: its start day D, and the instant from which it exists
    // (the acceptance, or the intake deadline when intake ran late).
    var clockStartDay: Int32?
    @CompactInstant var clockExistsFrom: Instant? = nil
    @CompactInstant var acceptedAt: Instant? = nil
    @CompactInstant var finishedAt: Instant? = nil
    var conclusion: ConclusionResult?
    @CompactInstant var concludedAt: Instant? = nil
    @CompactInstant var deliveredAt: Instant? = nil
    var extensionDays: Int32 = 0
    @CompactInstant var extensionGrantedAt: Instant? = nil
    var extensionCount: UInt8 = 0
    var procedures: [Procedure] = []
    var pauses: [Pause] = []

    var runningStep: ApprovalStep?
    var stepStartDay: Int32 = 0
    @CompactInstant var stepStartedAt: Instant? = nil
    var stepRuns = StepRunCounts()

    var feeTotalFen: Int64 = 0
    var feeCardRaised = false

    /// Findings raised by events; they do not depend on `now`.
    var findings: [Finding] = []
    /// The last event folded, to tell whether the next one is in order.
    var lastOrder: EventOrder?

    init(key: CaseKey, rules: CaseRules) {
        self.key = key
        self.rules = rules
    }

    var calendar: RegionCalendar { rules.calendar }
    // Read through `rules` field by field: copying the whole settings value
    // would retain and release its set of disabled rules on every event.
    var settings: RuleSettings { rules.settings }

    // MARK: Folding events

    /// Folds one event, which must not come before ``lastOrder``.
    mutating func apply(_ event: CaseEvent, source: RulesSource) {
        checkReportingDelay(event)
        let day = event.occurredAt.localDate.daysSinceEpoch

        switch event.kind {
        case .received(let receipt):
            guard phase == .notReceived else {
                outOfOrder(event, "the case was already received")
                break
            }
            phase = .intake
            receivedAt = event.occurredAt
            itemCode = receipt.itemCode
            rules = source.rules(itemCode: receipt.itemCode, departmentCode: key.departmentCode)
            if rules.item == nil {
                findings.append(
                    Finding(
                        rule: .unknownItem, level: .warning, subject: .item(code: receipt.itemCode),
                        instant: event.occurredAt, eventID: event.eventID,
                        note: "item code \"\(receipt.itemCode)\""))
            }
            startIntake(period: 1, day: day, at: event.occurredAt)

        case .accepted:
            switch phase {
            case .intake:
                if correctionPending {
                    outOfOrder(event, "accepted while the corrected materials were still awaited")
                    correctionPending = false
                }
                decideIntake(at: event.occurredAt)
                accept(event, day: day)
            case .notReceived:
                outOfOrder(event, "accepted before the application was received")
                accept(event, day: day)
            default:
                outOfOrder(event, "accepted when the case was already \(phase.rawValue)")
            }

        case .refusedAtIntake(let reason):
            switch phase {
            case .intake, .notReceived:
                if phase == .notReceived {
                    outOfOrder(event, "refused before the application was received")
                }
                decideIntake(at: event.occurredAt)
                if isBlank(reason) {
                    missingReason(event, "refusal at intake")
                }
                phase = .refused
                finishedAt = event.occurredAt
                finishRunningStep(at: event.occurredAt)
            default:
                outOfOrder(event, "refused at intake when the case was already \(phase.rawValue)")
            }

        case .correctionRequested:
            if phase == .intake && correctionNotices == 0 {
                decideIntake(at: event.occurredAt)
                correctionNotices = 1
                correctionPending = true
            } else if phase == .intake {
                outOfOrder(
                    event,
                    "a second correction notice; the notice must list everything "
                        + "missing at once")
            } else {
                outOfOrder(event, "a correction notice when the case was \(phase.rawValue)")
            }

        case .correctionReceived:
            guard correctionPending else {
                outOfOrder(event, "corrected materials arrived with no correction notice open")
                break
            }
            correctionPending = false
            if phase == .intake {
                startIntake(period: Int(intakePeriod) + 1, day: day, at: event.occurredAt)
            }

        case .stepCompleted(let completion):
            guard phase == .processing else {
                outOfOrder(
                    event,
                    "the \(completion.step.rawValue) step completed when the case was "
                        + phase.rawValue)
                break
            }
            completeStep(completion.step, at: event.occurredAt, day: day)
            switch completion.outcome {
            case .pass: runningStep = completion.step.next
            case .returned: runningStep = completion.step.previous
            }

        case .specialProcedureStarted(let start):
            guard phase == .processing else {
                outOfOrder(event, "a special procedure started when the case was \(phase.rawValue)")
                break
            }
            guard !procedures.contains(where: { $0.id == start.procedureID }) else {
                outOfOrder(event, "special procedure \"\(start.procedureID)\" was already started")
                break
            }
            procedures.append(
                Procedure(
                    id: start.procedureID, type: start.type, grantedDays: max(0, start.grantedDays),
                    startedAt: event.occurredAt, startDay: day))
            pauses.append(Pause(start: day, end: nil))
            if let item = rules.item, !item.allowedProcedures.contains(start.type) {
                findings.append(
                    Finding(
                        rule: .specialProcedureType, level: .yellow,
                        subject: .procedure(id: start.procedureID), instant: event.occurredAt,
                        eventID: event.eventID,
                        note: "\(start.type.rawValue) is not allowed for item \(item.code)"))
            }

        case .specialProcedureEnded(let end):
            guard phase == .processing,
                let index = procedures.firstIndex(where: {
                    $0.id == end.procedureID && $0.endedAt == nil
                })
            else {
                outOfOrder(
                    event, "special procedure \"\(end.procedureID)\" ended but was not running")
                break
            }
            procedures[index].endedAt = event.occurredAt
            procedures[index].endDay = day
            pauses[index].end = day

        case .extensionGranted(let grant):
            guard phase == .processing else {
                outOfOrder(event, "an extension granted when the case was \(phase.rawValue)")
                break
            }
            grantExtension(grant, event: event)

        case .feeCharged(let fee):
            if phase != .intake && phase != .processing {
                outOfOrder(event, "a fee charged when the case was \(phase.rawValue)")
            }
            charge(fee.amountFen, event: event)

        case .concluded(let decision):
            switch phase {
            case .processing:
                break
            case .intake:
                if decision.result == .approved || decision.result == .denied {
                    outOfOrder(event, "\(decision.result.rawValue) before the case was accepted")
                }
                decideIntake(at: event.occurredAt)
            case .notReceived:
                outOfOrder(event, "concluded before the application was received")
            case .refused, .concluded:
                outOfOrder(event, "concluded when the case was already \(phase.rawValue)")
                lastOrder = EventOrder(event)
                return
            }
            if decision.result == .denied && isBlank(decision.reason) {
                missingReason(event, "denial")
            }
            phase = .concluded
            conclusion = decision.result
            concludedAt = event.occurredAt
            finishedAt = event.occurredAt
            finishRunningStep(at: event.occurredAt)

        case .delivered:
            guard phase == .concluded, deliveredAt == nil else {
                outOfOrder(
                    event,
                    deliveredAt == nil
                        ? "delivered before the case was concluded" : "delivered a second time")
                break
            }
            deliveredAt = event.occurredAt
        }
        lastOrder = EventOrder(event)
    }

    private mutating func startIntake(period: Int, day: Int32, at instant: Instant) {
        intakePeriod = UInt8(clamping: period)
        intakeStartDay = day
        intakeStartedAt = instant
        intakeOpen = true
    }

    /// The deadline of the current intake period: 24:00 of the intake
    /// limit's last working day after the period began.
    func intakeDeadline(span: inout CalendarSpan) -> Instant {
        calendar.plainDay(rules.intakeLimit, after: intakeStartDay, span: &span).endInstant
    }

    /// Closes the current intake period with a decision at `instant`; a
    /// decision at or after the deadline is late, and the case clock then
    /// counts from the day intake began.
    private mutating func decideIntake(at instant: Instant) {
        guard intakeOpen else { return }
        intakeOpen = false
        var span = CalendarSpan()
        let deadline = intakeDeadline(span: &span)
        noteCalendar(span, since: intakeStartedAt ?? instant)
        guard instant >= deadline else { return }
        findings.append(
            Finding(
                rule: .intake, level: .yellow, subject: .intake(period: Int(intakePeriod)),
                instant: deadline, deadline: deadline, limitDays: rules.intakeLimit,
                finishedAt: instant))
        if clockStartDay == nil {
            clockStartDay = intakeStartDay
            clockExistsFrom = deadline
        }
    }

    private mutating func accept(_ event: CaseEvent, day: Int32) {
        phase = .processing
        acceptedAt = event.occurredAt
        if clockStartDay == nil {
            clockStartDay = day
            clockExistsFrom = event.occurredAt
        }
        runningStep = .undertake
        stepStartDay = day
        stepStartedAt = event.occurredAt
    }

    /// Ends the running step's clock at `instant`, attributing the run to
    /// `step` (the step the department reports completed).
    private mutating func completeStep(_ step: ApprovalStep, at instant: Instant, day: Int32) {
        let run = stepRuns.next(step)
        if let limit = rules.limits?.limit(of: step) {
            var span = CalendarSpan()
            let deadline = calendar.countedDay(
                limit, after: stepStartDay, pauses: pauses, span: &span)
            noteCalendar(span, since: stepStartedAt ?? instant)
            if case .day(let last) = deadline, instant >= last.endInstant {
                findings.append(
                    Finding(
                        rule: .stepTime, level: .yellow, subject: .step(step, run: run),
                        instant: last.endInstant, deadline: last.endInstant, limitDays: limit,
                        finishedAt: instant))
            }
        }
        stepStartDay = day
        stepStartedAt = instant
    }

    private mutating func finishRunningStep(at instant: Instant) {
        if let step = runningStep {
            completeStep(step, at: instant, day: instant.localDate.daysSinceEpoch)
        }
        runningStep = nil
    }

    private mutating func grantExtension(_ grant: ExtensionGrant, event: CaseEvent) {
        extensionCount &+= extensionCount == .max ? 0 : 1
        guard let item = rules.limits, let start = clockStartDay else { return }
        var problems: [String] = []
        if extensionCount > 1 { problems.append("a second extension") }
        if grant.days <= 0 {
            problems.append("\(grant.days) working days is not an extension")
        } else if grant.days > item.legalExtension {
            problems.append(
                "\(grant.days) working days where at most \(item.legalExtension) are allowed")
        }
        if isBlank(grant.approver) { problems.append("no approver") }
        if isBlank(grant.reason) { problems.append("no reason") }
        var span = CalendarSpan()
        if case .day(let legal) = calendar.countedDay(
            item.legal, after: start, pauses: pauses, span: &span),
            event.occurredAt >= legal.endInstant
        {
            problems.append("granted after the legal deadline \(legal.endInstant.iso8601)")
        }
        noteCalendar(span, since: clockExistsFrom ?? event.occurredAt)
        guard problems.isEmpty else {
            findings.append(
                Finding(
                    rule: .extensionGrant, level: .red, subject: .event(id: event.eventID),
                    instant: event.occurredAt, limitDays: item.legalExtension,
                    observedDays: grant.days, eventID: event.eventID,
                    note: problems.joined(separator: "; ")))
            return
        }
        extensionDays = Int32(grant.days)
        extensionGrantedAt = event.occurredAt
    }

    private mutating func charge(_ amount: Int64, event: CaseEvent) {
        feeTotalFen += amount
        guard let item = rules.item, !feeCardRaised else { return }
        let standard: Int64
        switch item.feeStandard {
        case .none: standard = 0
        case .maximum(let fen): standard = fen
        }
        guard feeTotalFen > standard else { return }
        feeCardRaised = true
        findings.append(
            Finding(
                rule: .fee, level: .red, subject: .fee, instant: event.occurredAt,
                amountFen: feeTotalFen, standardFen: standard, eventID: event.eventID))
    }

    private mutating func checkReportingDelay(_ event: CaseEvent) {
        let allowed = event.occurredAt.adding(
            milliseconds: rules.settings.reportingDelayMilliseconds)
        guard event.reportedAt > allowed else { return }
        findings.append(
            Finding(
                rule: .lateReporting, level: .warning, subject: .event(id: event.eventID),
                instant: allowed, deadline: allowed, finishedAt: event.reportedAt,
                eventID: event.eventID, note: event.kind.name))
    }

    private mutating func outOfOrder(_ event: CaseEvent, _ why: String) {
        findings.append(
            Finding(
                rule: .outOfOrder, level: .yellow, subject: .event(id: event.eventID),
                instant: event.occurredAt, eventID: event.eventID,
                note: "\(event.kind.name) (\(why))"))
    }

    private mutating func missingReason(_ event: CaseEvent, _ what: String) {
        findings.append(
            Finding(
                rule: .missingReason, level: .yellow, subject: .event(id: event.eventID),
                instant: event.occurredAt, eventID: event.eventID, note: what))
    }

    /// Records the years a computation counted without calendar data.
    private mutating func noteCalendar(_ span: CalendarSpan, since instant: Instant) {
        guard !span.isEmpty, !calendar.covers(from: span.first, through: span.last) else {
            return
        }
        for year in calendar.missingYears(from: span.first, through: span.last) {
            let subject = FindingSubject.calendar(region: rules.region, year: year)
            if let index = findings.firstIndex(where: { $0.subject == subject }) {
                if instant < findings[index].instant { findings[index].instant = instant }
            } else {
                findings.append(
                    Finding(
                        rule: .calendarMissing, level: .warning, subject: subject, instant: instant)
                )
            }
        }
    }
}

/// How many runs each step has completed, to number a step's runs.
struct StepRunCounts: Hashable, Sendable {
    private var counts: (UInt16, UInt16, UInt16) = (0, 0, 0)

    /// Counts one more run of `step` and returns its number (from 1).
    mutating func next(_ step: ApprovalStep) -> Int {
        switch step {
        case .undertake: counts.0 += 1; return Int(counts.0)
        case .review: counts.1 += 1; return Int(counts.1)
        case .approve: counts.2 += 1; return Int(counts.2)
        }
    }

    /// The number the next run of `step` will get.
    func upcoming(_ step: ApprovalStep) -> Int {
        switch step {
        case .undertake: return Int(counts.0) + 1
        case .review: return Int(counts.1) + 1
        case .approve: return Int(counts.2) + 1
        }
    }

    static func == (lhs: StepRunCounts, rhs: StepRunCounts) -> Bool {
        lhs.counts == rhs.counts
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(counts.0)
        hasher.combine(counts.1)
        hasher.combine(counts.2)
    }
}

@inline(__always)
func isBlank(_ text: String) -> Bool {
    text.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{3000}" }
}

/// An optional instant stored in eight bytes (no instant is
/// `Int64.min` milliseconds), to keep a case's summary small.
@propertyWrapper
struct CompactInstant: Hashable, Sendable {
    private var raw: Int64

    init(wrappedValue: Instant?) {
        raw = wrappedValue?.millisecondsSinceEpoch ?? .min
    }

    var wrappedValue: Instant? {
        get { raw == .min ? nil : Instant(millisecondsSinceEpoch: raw) }
        set { raw = newValue?.millisecondsSinceEpoch ?? .min }
    }
}
