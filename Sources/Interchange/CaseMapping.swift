import Engine
import Messages

extension CaseState {
    /// Where an evaluated case stands, in the standard's terms.
    ///
    /// The engine's intake phase is `RECEIVED` while intake runs and
    /// `AWAITING_CORRECTION` while a correction notice stops it; a case being
    /// handled is `IN_SPECIAL_PROCEDURE` while a procedure it started has not
    /// ended; a concluded case is `DELIVERED` once delivered.
    public init(_ evaluation: CaseEvaluation) {
        switch evaluation.phase {
        case .notReceived:
            self = .unspecified
        case .intake:
            // Intake closes without leaving the phase only for a correction
            // notice; corrected materials open it again.
            self = evaluation.deadlines.intake == nil ? .awaitingCorrection : .received
        case .processing:
            self = evaluation.hasOpenProcedure ? .inSpecialProcedure : .inProgress
        case .refused:
            self = .refused
        case .concluded:
            self = evaluation.isDelivered ? .delivered : .concluded
        }
    }
}

extension Messages.CaseSummary {
    /// A case in one line, from its evaluation.
    ///
    /// - Parameters:
    ///   - item: the catalogue's item, for its name; nil when unknown.
    ///   - title: the case's title, as the received event gave it
    ///     (the engine keeps none).
    ///   - standing: the case's alerts that still stand (not withdrawn or
    ///     revoked), for the highest level; nil for those holding in the
    ///     evaluation.
    public init(
        _ evaluation: CaseEvaluation, item: Engine.Item? = nil, title: String = "",
        standing: [Engine.Alert]? = nil
    ) {
        let alerts = standing ?? evaluation.alerts
        let highest = alerts.map(\.level).max()
        self.init(
            departmentCode: evaluation.caseKey.departmentCode, caseID: evaluation.caseKey.caseID,
            itemCode: evaluation.itemCode ?? "", itemName: item?.name ?? "", title: title,
            state: CaseState(evaluation), receivedAt: evaluation.receivedAt.map(Timestamp.init),
            acceptedAt: evaluation.acceptedAt.map(Timestamp.init),
            concludedAt: evaluation.phase == .concluded
                ? evaluation.finishedAt.map(Timestamp.init) : nil,
            result: evaluation.conclusion.map(Messages.ConclusionResult.init) ?? .unspecified,
            promisedDeadline: evaluation.deadlines.promised?.instant.map(Timestamp.init),
            legalDeadline: evaluation.deadlines.legal?.instant.map(Timestamp.init),
            highestLevel: highest.map(Level.init) ?? .unspecified)
    }
}

extension CaseEvaluation {
    /// The case's deadlines in the standard's form, in the order a case
    /// meets them: intake, promised, legal, each step run, each special
    /// procedure, delivery.
    ///
    /// What the evaluation knows is given: the open intake deadline (and
    /// a late one, with when intake was decided); the promised and legal
    /// deadlines with any extension, `paused` while a procedure holds them;
    /// a step's or a procedure's deadline while it runs or once it ran
    /// over (one that finished in time leaves no trace in an evaluation);
    /// the delivery deadline after an approval. `met_at` is when the case,
    /// step or procedure finished, or the delivery.
    ///
    /// - Parameter catalogue: the catalogue the case was evaluated against,
    ///   for the limits in days.
    public func deadlineMessages(in catalogue: Catalogue) -> [Messages.Deadline] {
        let item = itemCode.flatMap { catalogue.items[$0] }
        let settings = catalogue.settings(forItem: itemCode)
        var result: [Messages.Deadline] = []
        let all = alerts + upcoming
        let missingYears = Set(all.filter { $0.rule == .calendarMissing }.compactMap(\.facts.year))
        let startYear = deadlines.clockStart?.year ?? receivedAt?.localDate.year ?? 0
        func provisional(_ due: Instant) -> Bool {
            let dueYear = due.deadlineDate.year
            return missingYears.contains { $0 >= startYear && $0 <= dueYear }
        }
        func deadline(
            _ kind: DeadlineKind, _ subject: String, limit: Int?, due: Instant?, paused: Bool,
            met: Instant?, provisional isProvisional: Bool? = nil
        ) -> Messages.Deadline {
            Messages.Deadline(
                kind: kind, subject: subject, limitDays: days(limit ?? 0),
                dueAt: due.map(Timestamp.init), dueDate: due?.deadlineDate.iso8601 ?? "",
                provisional: isProvisional ?? due.map(provisional) ?? false, paused: paused,
                metAt: met.map(Timestamp.init))
        }

        // Intake: the open period's deadline, and every period decided late.
        for alert in all where alert.rule == .intake && alert.facts.finishedAt != nil {
            result.append(
                deadline(
                    .intake, "", limit: alert.facts.limitDays, due: alert.facts.deadline,
                    paused: false, met: alert.facts.finishedAt, provisional: alert.isProvisional))
        }
        if let intake = deadlines.intake {
            let limit = all.first { $0.rule == .intake && $0.facts.finishedAt == nil }?.facts
                .limitDays
            result.append(
                deadline(
                    .intake, "", limit: limit ?? item?.intakeLimit ?? 5, due: intake, paused: false,
                    met: nil))
        }

        // The case clock.
        let finished = phase == .concluded ? finishedAt : nil
        let extra = deadlines.extensionDays
        for (kind, value, limit) in [
            (DeadlineKind.promised, deadlines.promised, item.map { $0.promisedLimit + extra }),
            (.legal, deadlines.legal, item.map { $0.legalLimit + extra }),
        ] {
            guard let value else { continue }
            switch value {
            case .at(let due):
                result.append(
                    deadline(kind, "", limit: limit, due: due, paused: false, met: finished))
            case .held:
                result.append(deadline(kind, "", limit: limit, due: nil, paused: true, met: nil))
            }
        }

        // Step runs and special procedures, from the alerts they raise.
        var seen: Set<String> = []
        for alert in all where alert.rule == .stepTime && seen.insert(alert.subject).inserted {
            let step = alert.subject.split(separator: "-").first.map(String.init) ?? alert.subject
            result.append(
                deadline(
                    .step, step, limit: alert.facts.limitDays, due: alert.facts.deadline,
                    paused: false, met: alert.facts.finishedAt, provisional: alert.isProvisional))
        }
        var procedures: [String: [Engine.Alert]] = [:]
        var procedureOrder: [String] = []
        for alert in all where alert.rule == .specialProcedureTime {
            if procedures[alert.subject] == nil { procedureOrder.append(alert.subject) }
            procedures[alert.subject, default: []].append(alert)
        }
        for subject in procedureOrder {
            let group = procedures[subject]!
            let id = String(subject.dropFirst("procedure-".count))
            result.append(
                deadline(
                    .specialProcedure, id, limit: group[0].facts.limitDays,
                    due: group[0].facts.deadline, paused: false,
                    met: group.compactMap(\.facts.finishedAt).first,
                    provisional: group[0].isProvisional))
        }

        if let delivery = deadlines.delivery {
            result.append(
                deadline(
                    .delivery, "", limit: settings.deliveryLimit, due: delivery, paused: false,
                    met: deliveredAt))
        }
        return result
    }

    /// Whether a special procedure the case started is still running: its
    /// red threshold holds or lies ahead, with no end to it; or a deadline
    /// is held.
    var hasOpenProcedure: Bool {
        let held: (Engine.Deadline?) -> Bool = {
            if case .held = $0 { return true }
            return false
        }
        if held(deadlines.promised) || held(deadlines.legal) { return true }
        return (alerts + upcoming).contains {
            $0.rule == .specialProcedureTime && $0.level == .red && $0.facts.finishedAt == nil
        }
    }
}
