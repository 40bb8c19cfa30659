/// What within a case a finding is about; becomes the alert's subject.
enum FindingSubject: Hashable, Sendable {
    case promised
    case legal
    case intake(period: Int)
    case step(ApprovalStep, run: Int)
    case procedure(id: String)
    case event(id: String)
    case fee
    case delivery
    case item(code: String)
    case calendar(region: RegionCode, year: Int)
    /// A named clock of a complaint or notice: `acceptance`, `conclusion`.
    case clock(String)

    var text: String {
        switch self {
        case .promised: return "promised"
        case .legal: return "legal"
        case .intake(let period): return period == 1 ? "intake" : "intake-\(period)"
        case .step(let step, let run): return "\(step.rawValue)-\(run)"
        case .procedure(let id): return "procedure-" + id
        case .event(let id): return "event-" + id
        case .fee: return "fee"
        case .delivery: return "delivery"
        case .item(let code): return "item-" + code
        case .calendar(let region, let year): return "calendar-\(region)-\(year)"
        case .clock(let name): return name
        }
    }
}

/// An alert before it is dressed for people: numbers only, cheap to make,
/// so that the hot path (applying an event, finding the next due instant)
/// builds no strings.
struct Finding: Hashable, Sendable {
    var rule: AlertRule
    var level: AlertLevel
    var subject: FindingSubject
    /// When it becomes (or became) true.
    var instant: Instant
    var deadline: Instant? = nil
    var limitDays: Int? = nil
    var finishedAt: Instant? = nil
    var amountFen: Int64? = nil
    var standardFen: Int64? = nil
    var observedDays: Int? = nil
    var eventID: String? = nil
    /// Extra words for the explanation (out-of-order and extension details).
    var note: String? = nil
    var provisional: Bool = false

    /// The alert a supervisor sees.
    func alert(scope: AlertScope, calendar: RegionCalendar) -> Alert {
        var facts = AlertFacts(
            deadline: deadline, limitDays: limitDays, finishedAt: finishedAt,
            eventID: eventID, amountFen: amountFen, standardFen: standardFen,
            observedDays: observedDays)
        if case .calendar(let region, let year) = subject {
            facts.region = region
            facts.year = year
        }
        if let deadline, let finishedAt, finishedAt >= deadline, level != .warning {
            // The deadline is 24:00 of its day; count working days after that day.
            let deadlineDay = LocalDate(containing: deadline.adding(milliseconds: -1))
            let finishDay = LocalDate(containing: finishedAt)
            facts.workingDaysOver = calendar.count(
                after: deadlineDay.daysSinceEpoch, through: finishDay.daysSinceEpoch)
        }
        return Alert(
            scope: scope, rule: rule, subject: subject.text, level: level, raisedAt: instant,
            facts: facts, explanation: explanation(facts: facts), isProvisional: provisional)
    }

    private func explanation(facts: AlertFacts) -> String {
        let limit = limitDays.map { "\($0) working day" + ($0 == 1 ? "" : "s") } ?? ""
        let due = deadline.map(\.iso8601) ?? "?"
        let outcome: String
        if let finishedAt {
            let over = facts.workingDaysOver.map { ", \($0) working day\($0 == 1 ? "" : "s") late" }
            outcome = "finished only at \(finishedAt.iso8601)" + (over ?? "")
        } else {
            outcome = "was not finished by then"
        }

        switch (rule, level) {
        case (.caseTime, .warning):
            return "The case entered the last working days before its promised deadline of "
                + "\(limit) (due \(due)) without being concluded."
        case (.caseTime, .yellow):
            return "The promised deadline of \(limit) passed at \(due); the case \(outcome)."
        case (.caseTime, _):
            return "The legal deadline of \(limit), with any extension, passed at \(due); "
                + "the case \(outcome)."
        case (.stepTime, _):
            if case .step(let step, _) = subject {
                return "The \(step.rawValue) step's limit of \(limit) passed at \(due); "
                    + "the step \(outcome)."
            }
            return "A step's limit passed at \(due)."
        case (.intake, _):
            return "The intake limit of \(limit) passed at \(due) with no acceptance, refusal "
                + "or correction notice; the case counts as accepted from the day intake "
                + "began" + (finishedAt.map { " (intake was decided at \($0.iso8601))" } ?? "")
                + "."
        case (.specialProcedureTime, .warning):
            return "The special procedure's \(limit) granted run out at \(due) and it has "
                + "not ended."
        case (.specialProcedureTime, .yellow):
            return "The special procedure ran over its \(limit) granted (due \(due)); "
                + "it \(outcome)."
        case (.specialProcedureTime, _):
            return "The special procedure ran more than its allowance past its \(limit) "
                + "granted (threshold \(due)); it \(outcome)."
        case (.specialProcedureType, _):
            return "A special procedure of a type the item does not allow was started"
                + (note.map { ": \($0)" } ?? "") + "."
        case (.extensionGrant, _):
            return "An extension was granted against the rules (once per case, at most the "
                + "item's legal extension, with approver and reason, before the legal "
                + "deadline): " + (note ?? "") + ". It moves no deadline."
        case (.fee, _):
            let standard = standardFen.map {
                $0 == 0 ? "no fee standard" : "a standard of \($0) fen"
            }
            return "Fees on this case total \(amountFen ?? 0) fen against "
                + "\(standard ?? "the fee standard")."
        case (.missingReason, _):
            return "A " + (note ?? "refusal or denial") + " was reported without a reason."
        case (.outOfOrder, _):
            return "An event came that cannot happen in the case's state: " + (note ?? "") + "."
        case (.delivery, _):
            return "The approval was not delivered within \(limit) (due \(due)); "
                + "delivery \(outcome)."
        case (.lateReporting, _):
            return "An event was reported "
                + (finishedAt.map { "at \($0.iso8601)" } ?? "late")
                + ", more than the allowed delay after it happened (allowed until \(due))."
        case (.unknownItem, _):
            return "The case names an item the catalogue does not have"
                + (note.map { ": \($0)" } ?? "") + "; its time limits cannot be checked."
        case (.calendarMissing, _):
            return "A deadline of this case falls in a year with no working-day calendar "
                + "loaded"
                + (facts.year.map { " (\($0), region \(facts.region?.digits ?? "?"))" }
                    ?? "") + "; it was counted Monday to Friday and is provisional."
        case (.complaintAcceptance, _):
            return "The complaint had to be accepted or declined within \(limit) "
                + "(due \(due)); it \(outcome)."
        case (.complaintConclusion, _):
            return "The complaint had to be concluded within \(limit) (due \(due)); "
                + "it \(outcome)."
        case (.feedbackOverdue, _):
            return "Feedback on the supervision notice was due at \(due); it \(outcome)."
        case (.manual, _):
            return note ?? "A supervisor issued this card by hand."
        }
    }
}
