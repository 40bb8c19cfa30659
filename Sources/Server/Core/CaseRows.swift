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
        -> Contribution
    {
        var counts = Contribution()
        func add(_ name: CounterName, at instant: Instant) {
            counts.add(name, in: SupervisionCore.month(of: instant))
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
        old: Contribution, new: Contribution, department: String,
        _ transaction: WriteTransaction
    ) throws {
        for (month, name, delta) in new.differences(from: old) {
            try transaction.addCounter(
                department: department, month: month, name: name, delta: delta)
        }
    }
}

/// What one case adds to its department's monthly counters: received in
/// March, concluded on time in April, and so on; a handful of entries,
/// ordered by month and counter name.
///
/// Stored in the case row as "2026-03/received=1" lines: small, and
/// readable with the sqlite3 shell.
struct Contribution: Equatable {
    struct Entry: Equatable {
        var month: Month
        var name: CounterName
        var count: Int64
    }

    private(set) var entries: [Entry] = []

    init() {}

    /// Counts one more `name` in `month`.
    mutating func add(_ name: CounterName, in month: Month, count: Int64 = 1) {
        var index = entries.startIndex
        while index < entries.endIndex, Self.precedes(entries[index], month, name) {
            index += 1
        }
        if index < entries.endIndex, entries[index].month == month,
            entries[index].name == name
        {
            entries[index].count += count
        } else {
            entries.insert(Entry(month: month, name: name, count: count), at: index)
        }
    }

    private static func precedes(_ entry: Entry, _ month: Month, _ name: CounterName) -> Bool {
        entry.month != month ? entry.month < month : entry.name.rawValue < name.rawValue
    }

    /// The stored form.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * 24)
        for entry in entries {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: "\n")) }
            bytes += "\(entry.month)/\(entry.name.rawValue)=\(entry.count)".utf8
        }
        return bytes
    }

    /// Reads the stored form; a line that does not read is left out.
    init(decoding bytes: [UInt8]) {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let slash = line.firstIndex(of: UInt8(ascii: "/")),
                let equals = line[slash...].firstIndex(of: UInt8(ascii: "=")),
                let month = Self.month(line[..<slash]),
                let count = Int64(String(decoding: line[(equals + 1)...], as: UTF8.self))
            else { continue }
            let name = CounterName(
                rawValue: String(decoding: line[(slash + 1)..<equals], as: UTF8.self))
            add(name, in: month, count: count)
        }
    }

    /// "2026-03" as a month.
    private static func month(_ text: ArraySlice<UInt8>) -> Month? {
        let parts = text.split(separator: UInt8(ascii: "-"))
        guard parts.count == 2,
            let year = Int(String(decoding: parts[0], as: UTF8.self)),
            let month = Int(String(decoding: parts[1], as: UTF8.self)),
            (1...12).contains(month)
        else { return nil }
        return Month(year: year, month: month)
    }

    /// What to add to the counters to go from `old` to this one.
    func differences(from old: Contribution) -> [(Month, CounterName, Int64)] {
        var changes = old.entries.map { ($0.month, $0.name, -$0.count) }
        for entry in entries {
            let index = changes.firstIndex { $0.0 == entry.month && $0.1 == entry.name }
            if let index {
                changes[index].2 += entry.count
            } else {
                changes.append((entry.month, entry.name, entry.count))
            }
        }
        return changes.filter { $0.2 != 0 }
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
