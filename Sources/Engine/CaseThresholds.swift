/// A deadline of a case: an instant, or held by an open special procedure.
public enum Deadline: Hashable, Sendable {
    /// The deadline is this instant (24:00 local of its last day).
    case at(Instant)
    /// An open special procedure holds the deadline; it moves on when the
    /// procedure ends. The date is the procedure's start date.
    case held(since: LocalDate)

    /// The instant, when not held.
    public var instant: Instant? {
        if case .at(let instant) = self { return instant }
        return nil
    }
}

/// The deadlines of a case as they stand.
public struct CaseDeadlines: Hashable, Sendable {
    /// When intake must be decided, while it is open.
    public var intake: Instant?
    /// The case clock's start date D (acceptance, or receipt when intake ran
    /// late); nil before the clock starts.
    public var clockStart: LocalDate?
    /// When the case-time warning starts (00:00 of a counted day).
    public var warning: Deadline?
    /// The promised deadline (承诺时限), with any extension.
    public var promised: Deadline?
    /// The legal deadline (法定时限), with any extension.
    public var legal: Deadline?
    /// When the approval must be delivered by.
    public var delivery: Instant?
    /// Working days added by a valid extension.
    public var extensionDays: Int

    /// Creates an empty set of deadlines.
    public init() {
        extensionDays = 0
    }
}

extension CaseFold {
    /// Working days added by a valid extension.
    var extensionWorkingDays: Int { Int(extensionDays) }

    /// The case clock's start day and the instant from which it exists: the
    /// acceptance, or, while intake is open, the intake deadline (if intake
    /// runs late the case counts as accepted from the day intake began).
    func caseClock(span: inout CalendarSpan) -> (start: Int32, existsFrom: Instant)? {
        if let start = clockStartDay, let from = clockExistsFrom { return (start, from) }
        if phase == .intake && intakeOpen {
            return (intakeStartDay, intakeDeadline(span: &span))
        }
        return nil
    }

    /// Appends the findings that follow from the deadlines.
    func thresholds(into output: inout [Finding]) {
        thresholds { _, _, finding in output.append(finding()) }
    }

    /// Emits the findings that follow from the deadlines: each threshold that
    /// is crossed, or will be crossed unless the case (step, procedure)
    /// finishes strictly before it. Their instants may lie in the future; the
    /// caller compares them with `now`. Allocates nothing of its own, so that
    /// the scheduler can ask every case for its next instant cheaply.
    ///
    /// `emit` receives each finding's rule and instant, and a function that
    /// builds the full finding only if the caller wants it.
    func thresholds(_ emit: (AlertRule, Instant, () -> Finding) -> Void) {
        let calendar = self.calendar
        // The days that computations counted over years with no data, and
        // the earliest instant from which one of them was needed. Every
        // computation of a case starts at or after its receipt and runs
        // forward, so one span covers them without gaps.
        var missing = CalendarSpan()
        var missingSince = Instant(millisecondsSinceEpoch: .max)
        func note(_ span: CalendarSpan, since: Instant) -> Bool {
            if calendar.covers(from: span.first, through: span.last) { return false }
            missing.include(from: span.first, through: span.last)
            missingSince = min(missingSince, since)
            return true
        }

        // Intake.
        if phase == .intake && intakeOpen {
            var span = CalendarSpan()
            let deadline = intakeDeadline(span: &span)
            let provisional = note(span, since: intakeStartedAt ?? deadline)
            emit(.intake, deadline) {
                Finding(
                    rule: .intake, level: .yellow, subject: .intake(period: Int(intakePeriod)),
                    instant: deadline, deadline: deadline, limitDays: rules.intakeLimit,
                    provisional: provisional)
            }
        }

        // Case time.
        var clockSpan = CalendarSpan()
        if let item = rules.limits, let clock = caseClock(span: &clockSpan) {
            // A valid extension moves only the thresholds still ahead when it
            // was granted; one already crossed stays crossed at its instant.
            func limit(_ base: Int, atStart: Bool, offset: Int) -> (ClockDay, Int) {
                let original = calendar.countedDay(
                    base + offset, after: clock.start, pauses: pauses, span: &clockSpan)
                guard extensionWorkingDays > 0, let grantedAt = extensionGrantedAt else {
                    return (original, base)
                }
                if case .day(let day) = original,
                    (atStart ? day.startInstant : day.endInstant) <= grantedAt
                {
                    return (original, base)
                }
                let extended = calendar.countedDay(
                    base + extensionWorkingDays + offset, after: clock.start, pauses: pauses,
                    span: &clockSpan)
                return (extended, base + extensionWorkingDays)
            }
            func mark(
                _ level: AlertLevel, _ subject: FindingSubject, _ thresholdDay: ClockDay,
                atStart: Bool, days: Int
            ) {
                guard case .day(let last) = thresholdDay else { return }
                let threshold = atStart ? last.startInstant : last.endInstant
                if let finished = finishedAt, finished < threshold { return }
                let deadlineDay =
                    atStart
                    ? calendar.countedDay(
                        days, after: clock.start, pauses: pauses, span: &clockSpan)
                    : thresholdDay
                emit(.caseTime, max(threshold, clock.existsFrom)) {
                    Finding(
                        rule: .caseTime, level: level, subject: subject,
                        instant: max(threshold, clock.existsFrom),
                        deadline: deadlineDay.endInstant, limitDays: days,
                        finishedAt: finishedAt.flatMap { $0 >= threshold ? $0 : nil },
                        provisional: !calendar.covers(from: clock.start + 1, through: last))
                }
            }
            let warningDays = rules.settings.caseWarningDays
            if item.promised >= warningDays && warningDays > 0 {
                let (day, promised) = limit(
                    item.promised, atStart: true, offset: 1 - warningDays)
                mark(.warning, .promised, day, atStart: true, days: promised)
            }
            if item.promised != item.legal {
                let (day, promised) = limit(item.promised, atStart: false, offset: 0)
                mark(.yellow, .promised, day, atStart: false, days: promised)
            }
            let (legalDay, legal) = limit(item.legal, atStart: false, offset: 0)
            mark(.red, .legal, legalDay, atStart: false, days: legal)
            _ = note(clockSpan, since: clock.existsFrom)
        }

        // The running step.
        if let step = runningStep, phase == .processing, let limit = rules.limits?.limit(of: step) {
            var span = CalendarSpan()
            let day = calendar.countedDay(limit, after: stepStartDay, pauses: pauses, span: &span)
            let provisional = note(span, since: stepStartedAt ?? Instant(millisecondsSinceEpoch: 0))
            if case .day(let last) = day {
                emit(.stepTime, last.endInstant) {
                    Finding(
                        rule: .stepTime, level: .yellow,
                        subject: .step(step, run: stepRuns.upcoming(step)),
                        instant: last.endInstant, deadline: last.endInstant, limitDays: limit,
                        provisional: provisional)
                }
            }
        }

        // Special procedures, each on its own plain working-day count.
        for procedure in procedures {
            let granted = procedure.grantedDays
            let finished = procedure.endedAt ?? concludedAt ?? finishedAt
            var span = CalendarSpan()
            let warningDays = rules.settings.procedureWarningDays
            let warning =
                granted >= warningDays && warningDays > 0
                ? calendar.plainDay(
                    granted - warningDays + 1, after: procedure.startDay, span: &span
                ).startInstant : nil
            let due = calendar.plainDay(granted, after: procedure.startDay, span: &span).endInstant
            let red = calendar.plainDay(
                granted + rules.settings.procedureRedDaysOver, after: procedure.startDay,
                span: &span
            ).endInstant
            let provisional = note(span, since: procedure.startedAt)
            for (level, threshold) in [(AlertLevel.warning, warning), (.yellow, due), (.red, red)] {
                guard let threshold else { continue }
                if let finished, finished < threshold { continue }
                emit(.specialProcedureTime, threshold) {
                    Finding(
                        rule: .specialProcedureTime, level: level,
                        subject: .procedure(id: procedure.id), instant: threshold,
                        deadline: due, limitDays: granted,
                        finishedAt: finished.flatMap { $0 >= threshold ? $0 : nil },
                        provisional: provisional)
                }
            }
        }

        // Delivery after an approval.
        if conclusion == .approved, let concluded = concludedAt {
            var span = CalendarSpan()
            let limit = rules.settings.deliveryLimit
            let due = calendar.plainDay(
                limit, after: concluded.localDate.daysSinceEpoch, span: &span
            ).endInstant
            let provisional = note(span, since: concluded)
            if deliveredAt.map({ $0 >= due }) ?? true {
                emit(.delivery, due) {
                    Finding(
                        rule: .delivery, level: .yellow, subject: .delivery, instant: due,
                        deadline: due, limitDays: limit, finishedAt: deliveredAt,
                        provisional: provisional)
                }
            }
        }

        // Years counted without calendar data, once each, unless an event
        // already noted the year.
        guard !missing.isEmpty else { return }
        calendar.forEachMissingYear(from: missing.first, through: missing.last) { year in
            let subject = FindingSubject.calendar(region: rules.region, year: year)
            if findings.contains(where: { $0.subject == subject }) { return }
            emit(.calendarMissing, missingSince) {
                Finding(
                    rule: .calendarMissing, level: .warning, subject: subject, instant: missingSince
                )
            }
        }
    }

    /// The case's deadlines as they stand (with a valid extension, whenever
    /// it was granted).
    func deadlines() -> CaseDeadlines {
        var result = CaseDeadlines()
        result.extensionDays = extensionWorkingDays
        var span = CalendarSpan()
        if phase == .intake && intakeOpen {
            result.intake = intakeDeadline(span: &span)
        }
        if let item = rules.limits, let clock = caseClock(span: &span) {
            result.clockStart = LocalDate(daysSinceEpoch: clock.start)
            func deadline(_ days: Int, atStart: Bool) -> Deadline {
                switch calendar.countedDay(days, after: clock.start, pauses: pauses, span: &span) {
                case .day(let day):
                    return .at(atStart ? day.startInstant : day.endInstant)
                case .held(let since):
                    return .held(since: LocalDate(daysSinceEpoch: since))
                }
            }
            let promised = item.promised + extensionWorkingDays
            result.promised = deadline(promised, atStart: false)
            result.legal = deadline(item.legal + extensionWorkingDays, atStart: false)
            let warningDays = rules.settings.caseWarningDays
            if item.promised >= warningDays && warningDays > 0 {
                result.warning = deadline(promised - warningDays + 1, atStart: true)
            }
        }
        if conclusion == .approved, let concluded = concludedAt {
            result.delivery =
                calendar.plainDay(
                    rules.settings.deliveryLimit, after: concluded.localDate.daysSinceEpoch,
                    span: &span
                ).endInstant
        }
        return result
    }
}

extension ClockDay {
    /// 24:00 of the day, or nil when held.
    var endInstant: Instant? {
        if case .day(let day) = self { return day.endInstant }
        return nil
    }
}
