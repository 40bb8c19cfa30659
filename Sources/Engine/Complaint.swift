/// A citizen's complaint (投诉) about a department, reduced to the timeline
/// its time rules need.
///
/// Registration starts the acceptance clock (accept or decline within 5
/// working days by default); acceptance starts the conclusion clock
/// (conclude within 15 working days by default).
public struct Complaint: Hashable, Sendable {
    /// The complaint's id, unique in the centre.
    public var id: String
    /// The department complained about.
    public var departmentCode: String
    /// The case complained about, if any.
    public var caseKey: CaseKey?
    /// When it was registered.
    public var registeredAt: Instant
    /// When it was accepted, if it was.
    public var acceptedAt: Instant?
    /// When it was declined, if it was.
    public var declinedAt: Instant?
    /// When it was concluded, if it was.
    public var concludedAt: Instant?

    /// Creates a complaint's timeline.
    public init(
        id: String, departmentCode: String, caseKey: CaseKey? = nil, registeredAt: Instant,
        acceptedAt: Instant? = nil, declinedAt: Instant? = nil, concludedAt: Instant? = nil
    ) {
        self.id = id
        self.departmentCode = departmentCode
        self.caseKey = caseKey
        self.registeredAt = registeredAt
        self.acceptedAt = acceptedAt
        self.declinedAt = declinedAt
        self.concludedAt = concludedAt
    }
}

/// A complaint evaluated at an instant.
public struct ComplaintEvaluation: Hashable, Sendable {
    /// The alerts that hold.
    public var alerts: [Alert]
    /// The alerts that will hold later unless the complaint moves on first.
    public var upcoming: [Alert]
    /// When the next one becomes due.
    public var nextDueAt: Instant?
}

extension Supervision {
    /// Evaluates a complaint's time rules at `now`: a warning at 00:00 of the
    /// first of the last working days before a limit ends, a yellow card when
    /// one working day over, a red card when two over (all adjustable).
    public static func evaluate(complaint: Complaint, context: EvaluationContext, now: Instant)
        -> ComplaintEvaluation
    {
        let rules = context.rules(itemCode: nil, departmentCode: complaint.departmentCode)
        let settings = rules.settings
        let calendar = rules.calendar
        var findings: [Finding] = []

        func clock(
            _ rule: AlertRule, subject: String, from start: Instant, limit: Int,
            finished: Instant?
        ) {
            guard settings.isEnabled(rule) else { return }
            var span = CalendarSpan()
            let startDay = start.localDate.daysSinceEpoch
            let due = calendar.plainDay(limit, after: startDay, span: &span).endInstant
            var marks: [(AlertLevel, Instant)] = []
            if limit >= settings.complaintWarningDays && settings.complaintWarningDays > 0 {
                let day = calendar.plainDay(
                    limit - settings.complaintWarningDays + 1, after: startDay, span: &span)
                marks.append((.warning, day.startInstant))
            }
            marks.append(
                (
                    .yellow,
                    calendar.plainDay(
                        limit + settings.complaintYellowDaysOver, after: startDay, span: &span
                    ).endInstant
                ))
            marks.append(
                (
                    .red,
                    calendar.plainDay(
                        limit + settings.complaintRedDaysOver, after: startDay, span: &span
                    ).endInstant
                ))
            let provisional = !calendar.covers(from: span.first, through: span.last)
            for (level, threshold) in marks {
                if let finished, finished < threshold { continue }
                findings.append(
                    Finding(
                        rule: rule, level: level, subject: .clock(subject),
                        instant: threshold, deadline: due, limitDays: limit,
                        finishedAt: finished.flatMap { $0 >= threshold ? $0 : nil },
                        provisional: provisional))
            }
        }

        clock(
            .complaintAcceptance, subject: "acceptance", from: complaint.registeredAt,
            limit: settings.complaintAcceptanceLimit,
            finished: complaint.acceptedAt ?? complaint.declinedAt)
        if let accepted = complaint.acceptedAt {
            clock(
                .complaintConclusion, subject: "conclusion", from: accepted,
                limit: settings.complaintConclusionLimit, finished: complaint.concludedAt)
        }

        let scope = AlertScope.complaint(
            departmentCode: complaint.departmentCode, complaintID: complaint.id)
        var holding: [Alert] = []
        var later: [Alert] = []
        for finding in findings {
            let alert = finding.alert(scope: scope, calendar: calendar)
            if finding.instant <= now { holding.append(alert) } else { later.append(alert) }
        }
        let order: (Alert, Alert) -> Bool = { ($0.raisedAt, $0.id) < ($1.raisedAt, $1.id) }
        later.sort(by: order)
        return ComplaintEvaluation(
            alerts: holding.sorted(by: order), upcoming: later, nextDueAt: later.first?.raisedAt)
    }
}
