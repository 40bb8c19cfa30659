import Engine
import Messages
import Store

/// A case's row in the store, and its share of the monthly counters.
///
/// Each case contributes a few counts to its department's months (received
/// in March, concluded on time in April, ...). The row keeps the
/// contribution it last made; when the case changes (a late event, a
/// revision, a catalogue change) the difference is added, so the counters
/// stay right without ever being recomputed from all events.
enum CaseRows {
    /// The case's row; `derived` is its contribution, encoded.
    static func record(
        key: CaseKey, evaluation: CaseEvaluation, holding: [Engine.Alert],
        catalogueVersion: Int64, now: Instant, derived: [UInt8]
    ) -> CaseRecord {
        let highest = holding.filter { !$0.rule.isOperational }.map(\.level).max()
        let record = CaseRecord(
            department: key.departmentCode, caseID: key.caseID,
            itemCode: evaluation.itemCode ?? "", state: Int(state(of: evaluation).rawValue),
            isOpen: isOpen(evaluation),
            receivedAt: (evaluation.receivedAt ?? evaluation.acceptedAt ?? now)
                .millisecondsSinceEpoch,
            acceptedAt: evaluation.acceptedAt?.millisecondsSinceEpoch,
            concludedAt: evaluation.finishedAt?.millisecondsSinceEpoch,
            result: Int(evaluation.conclusion.map { ConclusionMapping.message($0) }?.rawValue ?? 0),
            promisedDeadline: evaluation.deadlines.promised?.instant?.millisecondsSinceEpoch,
            legalDeadline: evaluation.deadlines.legal?.instant?.millisecondsSinceEpoch,
            alertLevel: Int(highest.map { Level($0) }?.rawValue ?? 0),
            nextDueAt: evaluation.nextDueAt?.millisecondsSinceEpoch,
            catalogueVersion: catalogueVersion, updatedAt: now.millisecondsSinceEpoch,
            derived: derived)
        return record
    }

    /// Everything of a case its contribution depends on, but the calendar:
    /// while these stay the same, so does the contribution, and most events
    /// (a step, a fee) change none of them.
    struct ContributionInputs: Equatable {
        var receivedAt: Instant?
        var acceptedAt: Instant?
        var concludedAt: Instant?
        var promised: Instant?

        init(_ evaluation: CaseEvaluation) {
            receivedAt = evaluation.receivedAt
            acceptedAt = evaluation.acceptedAt
            concludedAt = evaluation.phase == .concluded ? evaluation.finishedAt : nil
            promised = evaluation.deadlines.promised?.instant
        }
    }

    /// Whether the case still waits for something from the department.
    static func isOpen(_ evaluation: CaseEvaluation) -> Bool {
        switch evaluation.phase {
        case .notReceived, .intake, .processing: true
        case .refused: false
        case .concluded: evaluation.conclusion == .approved && !evaluation.isDelivered
        }
    }

    /// The interface standard's state for the engine's phase.
    static func state(of evaluation: CaseEvaluation) -> CaseState {
        switch evaluation.phase {
        case .notReceived, .intake:
            return .received
        case .processing:
            if case .held = evaluation.deadlines.promised { return .inSpecialProcedure }
            return .inProgress
        case .refused:
            return .refused
        case .concluded:
            return evaluation.isDelivered ? .delivered : .concluded
        }
    }

    /// The counts this case adds to its department's months.
    static func contribution(of evaluation: CaseEvaluation, context: EvaluationContext)
        -> [String: Int64]
    {
        var counts: [String: Int64] = [:]
        func add(_ name: CounterName, at instant: Instant) {
            counts[SupervisionCore.month(of: instant).description + "/" + name.rawValue,
                default: 0] += 1
        }
        if let received = evaluation.receivedAt { add(.received, at: received) }
        if let accepted = evaluation.acceptedAt { add(.accepted, at: accepted) }
        if evaluation.phase == .concluded, let finished = evaluation.finishedAt {
            add(.concluded, at: finished)
            if let promised = evaluation.deadlines.promised?.instant {
                if finished < promised {
                    add(.concludedOnTime, at: finished)
                    // Early: at least one whole working day of the promised
                    // limit left unused.
                    let lastDay = promised.adding(milliseconds: -1).localDate
                    let unused = context.calendar.workingDays(
                        after: finished.localDate, through: lastDay)
                    if unused.value >= 1 { add(.concludedEarly, at: finished) }
                } else {
                    add(.overdue, at: finished)
                }
            }
        }
        return counts
    }

    /// Adds the difference between two contributions to the counters.
    static func applyContribution(
        old: [String: Int64], new: [String: Int64], department: String,
        _ transaction: WriteTransaction
    ) throws {
        guard old != new else { return }
        var deltas: [String: Int64] = new
        for (key, value) in old { deltas[key, default: 0] -= value }
        var byMonth: [Month: [CounterName: Int64]] = [:]
        for (key, delta) in deltas where delta != 0 {
            let parts = key.split(separator: "/", maxSplits: 1)
            let monthParts = parts[0].split(separator: "-")
            guard parts.count == 2, monthParts.count == 2, let year = Int(monthParts[0]),
                let month = Int(monthParts[1])
            else { continue }
            byMonth[Month(year: year, month: month), default: [:]][
                CounterName(rawValue: String(parts[1]))] = delta
        }
        for (month, counts) in byMonth {
            try transaction.addCounters(department: department, month: month, deltas: counts)
        }
    }

    /// "2026-03/received=1" lines: small, and readable with the sqlite3 shell.
    static func encode(_ contribution: [String: Int64]) -> [UInt8] {
        Array(contribution.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: "\n").utf8)
    }

    static func decode(_ bytes: [UInt8]) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }
}

/// Conclusion results between the engine and the interface standard.
enum ConclusionMapping {
    static func message(_ result: Engine.ConclusionResult) -> Messages.ConclusionResult {
        switch result {
        case .approved: .approved
        case .denied: .denied
        case .withdrawn: .withdrawn
        case .voided: .voided
        case .forwarded: .forwarded
        }
    }
}
