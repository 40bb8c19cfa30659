import Engine
import Interchange
import Messages
import Store
import Synchronization

/// The live supervision state: every case that still has a deadline ahead,
/// in the engine's compact form, and the queue of the next instants at which
/// something becomes due.
///
/// Invariant: every method that reads or changes this state is called from
/// inside a `Store.write` closure, that is on the store's single writer
/// thread, one call at a time. That is what makes the unlocked state safe
/// (hence `@unchecked Sendable`), and what puts an event, the case's new
/// state and the alerts it raised into one transaction. Other threads see
/// only `published`, a snapshot the writer updates under a lock.
final class SupervisionCore: @unchecked Sendable {
    /// One case the core follows.
    struct TrackedCase {
        var summary: Engine.CaseSummary
        /// The alerts the engine found holding at the last evaluation.
        var holding: [Engine.Alert]
        /// What the case's stored row adds to the monthly counters, in the
        /// row's encoded form (a few dozen bytes); nil until known, and then
        /// it is read from the row. Kept so that an event does not read back
        /// the row the previous one wrote.
        var contribution: [UInt8]?
        /// What `contribution` was computed from; nil after a calendar or
        /// catalogue change, which may change it with the same inputs.
        var contributionInputs: CaseRows.ContributionInputs?
        /// Paused by a special procedure at the last evaluation.
        var paused = false
        /// The promised deadline while the case is unfinished: overdue from
        /// then on. Kept so that the live counts compare an instant instead
        /// of evaluating every followed case.
        var overdueFrom: Instant?
        /// Counted in `openCaseCount` and its department's tally: received,
        /// not yet concluded or refused.
        var countedOpen = false
        /// Counted as paused in its department's tally.
        var countedPaused = false
        /// Counted as overdue in its department's tally.
        var countedOverdue = false
        /// The instant the case waits in `becomingOverdue` for, if it does:
        /// kept here so that settling a case compares fields instead of
        /// looking the queue up.
        var queuedOverdueFrom: Instant?
    }

    /// What the live counts need of a department's followed cases, kept up
    /// to date as cases settle, so that a dashboard's count reads a few
    /// numbers instead of walking every case on the writer thread.
    struct Tally {
        var open = 0
        var paused = 0
        /// Open cases whose promised deadline passed by `overdueCountedTo`.
        var overdue = 0
    }

    /// What other threads may read: the next wake-up and how many cases.
    struct Published: Sendable {
        var nextDueAt: Instant?
        /// Cases received and not yet concluded or refused.
        var openCases = 0
        /// Cases the engine follows: the open ones, and those whose delivery
        /// or another deadline is still ahead.
        var followedCases = 0
    }

    private(set) var context: EvaluationContext
    private(set) var catalogueVersion: Int64
    let region: String

    private var cases: [CaseKey: TrackedCase] = [:]
    /// The followed cases that are open as the interface counts them (received,
    /// not yet concluded or refused); a case awaiting delivery is followed but
    /// not open.
    private var openCaseCount = 0
    private var due = DueQueue<CaseKey>()
    /// Per department: open, paused and overdue cases among the followed.
    private var tallies: [String: Tally] = [:]
    /// Open cases whose promised deadline is after `overdueCountedTo`, by
    /// that deadline: a count moves the ones it passes into the tallies.
    private var becomingOverdue = DueQueue<CaseKey>()
    /// The instant the tallies' overdue figures hold for.
    private var overdueCountedTo = Instant(millisecondsSinceEpoch: Int64.min)
    /// Alerts whose supervision notice awaits feedback, by feedback due.
    private var feedbackDue = DueQueue<String>()
    let published = Mutex(Published())
    /// Set when a commit failed or an operation broke off half way: the
    /// state above may be ahead of the store, so it is rebuilt from the
    /// store before it is used again.
    private let reloadNeeded = Atomic<Bool>(false)

    /// Where a rebuild takes the catalogue from: a change taken back leaves
    /// `context` ahead of the store as much as the cases.
    private let catalogue: CatalogueBook

    init(catalogue: CatalogueBook, region: String) {
        let snapshot = catalogue.latest
        self.context = snapshot.context
        self.catalogueVersion = snapshot.version
        self.catalogue = catalogue
        self.region = region
    }

    // MARK: Start-up

    /// Rebuilds the state from the store: every open case refolded from its
    /// events, every notice awaiting feedback queued; then brings alerts up
    /// to `now` (thresholds passed while the server was down are raised now,
    /// with the instant they became true).
    func load(_ transaction: WriteTransaction, now: Instant) throws -> AlertBook.Outcome {
        var keys: [CaseKey] = []
        try transaction.forEachOpenCase { row in
            keys.append(CaseKey(departmentCode: row.department, caseID: row.caseID))
        }
        var outcome = AlertBook.Outcome()
        for key in keys {
            let result = try refresh(key, transaction, now: now, reason: .other("server start"))
            outcome.raised += result.raised
            outcome.withdrawn += result.withdrawn
        }
        for row in try transaction.alertsAwaitingFeedback(dueBefore: Int64.max) {
            if let dueAt = row.notice?.feedbackDueAt {
                feedbackDue.update(row.alertID, dueAt: Instant(millisecondsSinceEpoch: dueAt))
            }
        }
        outcome.raised += try tickChecked(transaction, now: now).raised
        publish()
        return outcome
    }

    /// Asks for the state to be rebuilt from the store before its next use.
    func requestReload() {
        reloadNeeded.store(true, ordering: .relaxed)
    }

    /// Rebuilds the state from the store if a failure asked for it.
    private func reloadIfNeeded(_ transaction: WriteTransaction, now: Instant) throws {
        guard reloadNeeded.exchange(false, ordering: .relaxed) else { return }
        let snapshot = catalogue.latest
        context = snapshot.context
        catalogueVersion = snapshot.version
        cases.removeAll()
        openCaseCount = 0
        tallies.removeAll()
        becomingOverdue = DueQueue()
        due = DueQueue()
        feedbackDue = DueQueue()
        _ = try load(transaction, now: now)
    }

    /// Runs an operation that changes the state; should it throw half way,
    /// the state is rebuilt before the next one.
    private func changing<T>(_ transaction: WriteTransaction, now: Instant, _ body: () throws -> T)
        throws -> T
    {
        try reloadIfNeeded(transaction, now: now)
        do {
            return try body()
        } catch {
            requestReload()
            throw error
        }
    }

    // MARK: Intake

    /// What ingesting one event did.
    struct Ingested {
        var ack: EventAck
        var outcome = AlertBook.Outcome()
    }

    /// Records one validated event with the token that reported it, updates
    /// its case and the case's alerts, all in `transaction`. The event row is
    /// the record of this write: who, when, and exactly what was sent.
    ///
    /// `payload` is the event serialized, done by the caller before it
    /// queues the write: the writer thread is the server's one serial
    /// stage, and everything that need not run there does not.
    func ingest(
        _ recorded: RecordedEvent, payload: [UInt8], index: UInt64, reportedBy: String,
        _ transaction: WriteTransaction, now: Instant
    ) throws -> Ingested {
        try changing(transaction, now: now) {
            try ingestChecked(
                recorded, payload: payload, index: index, reportedBy: reportedBy, transaction,
                now: now)
        }
    }

    private func ingestChecked(
        _ recorded: RecordedEvent, payload: [UInt8], index: UInt64, reportedBy: String,
        _ transaction: WriteTransaction, now: Instant
    ) throws -> Ingested {
        let message = recorded.message
        var ack = EventAck()
        ack.index = index
        ack.eventID = message.eventID
        ack.revision = message.revision

        let insertion = try transaction.insertEvent(
            EventRecord(
                department: message.departmentCode, caseID: message.caseID,
                eventID: message.eventID, revision: Int(message.revision),
                kind: message.kind.map(Self.kindNumber) ?? 0,
                occurredAt: recorded.event.occurredAt.millisecondsSinceEpoch,
                reportedAt: recorded.reportedAt.millisecondsSinceEpoch,
                originRegion: region, payload: payload,
                reportedBy: reportedBy))
        switch insertion {
        case .duplicate:
            ack.status = .duplicate
            return Ingested(ack: ack)
        case .superseded(_, let current):
            ack.status = .superseded
            ack.reason = "revision \(current) of this event is already recorded"
            return Ingested(ack: ack)
        case .accepted:
            ack.status = .accepted
        }

        let key = recorded.caseKey
        let event = recorded.event
        let reportedIn = Self.month(of: recorded.reportedAt)
        try transaction.addCounter(
            department: key.departmentCode, month: reportedIn, name: .eventsReported, delta: 1)

        // The case leaves the table while its fold takes the event: a copy
        // the table still shared would make the fold copy its events first.
        // Settling puts it back (a throw has the whole state rebuilt).
        var applied: TrackedCase?
        if var tracked = cases.removeValue(forKey: key) {
            if tracked.summary.apply(event, context: context) {
                applied = tracked
            } else {
                cases[key] = tracked
            }
        }
        let outcome: AlertBook.Outcome
        if var tracked = applied.take() {
            // In order, yet possibly reported late: a withdrawal it causes
            // names it, as one caused by an out-of-order event does.
            let reason = RecomputeReason.eventArrived(eventID: message.eventID)
            outcome = try settle(key, &tracked, transaction, now: now, reason: reason)
        } else if var tracked = try firstEvent(of: key, event, transaction) {
            outcome = try settle(key, &tracked, transaction, now: now, reason: .other("new case"))
        } else {
            let reason: RecomputeReason = event.revision > 1
                ? .revisedEvent(eventID: message.eventID, revision: Int(message.revision))
                : .lateEvent(eventID: message.eventID)
            outcome = try refresh(key, transaction, now: now, reason: reason, recordedNow: true)
        }
        for alert in outcome.raised where alert.rule == .unknownItem || alert.rule == .outOfOrder {
            ack.notices.append(alert.description)
        }
        // Late by the delay its own item allows, as the engine judged it: the
        // event's late-reporting warning was raised now. A revision of an
        // event already counted finds the warning standing and is not counted
        // again.
        if outcome.raised.contains(where: {
            $0.rule == .lateReporting && $0.subject == "event:" + message.eventID
        }) {
            try transaction.addCounter(
                department: key.departmentCode, month: reportedIn, name: .eventsReportedLate,
                delta: 1)
        }
        publish()
        return Ingested(ack: ack, outcome: outcome)
    }

    /// A case the store has never seen, started from its first event without
    /// reading back what was just written; nil for any other case.
    ///
    /// A case has a row from its first accepted event on (every event is
    /// settled, and settling writes the row in the same write), so a case
    /// without a row has no stored event but this one and no standing alert:
    /// refolding it from the store would read back exactly this event.
    private func firstEvent(
        of key: CaseKey, _ event: Engine.CaseEvent, _ transaction: WriteTransaction
    ) throws -> TrackedCase? {
        guard cases[key] == nil,
            try transaction.caseRecord(department: key.departmentCode, caseID: key.caseID) == nil
        else { return nil }
        var summary = Engine.CaseSummary(caseKey: key, context: context)
        guard summary.apply(event, context: context) else { return nil }
        return TrackedCase(summary: summary, holding: [], contribution: [])
    }

    /// Refolds a case from every stored event and settles its alerts.
    /// `recordedNow` says the caller has just recorded one of its events.
    @discardableResult
    func refresh(
        _ key: CaseKey, _ transaction: WriteTransaction, now: Instant, reason: RecomputeReason,
        recordedNow: Bool = false
    ) throws -> AlertBook.Outcome {
        let stored = try transaction.events(department: key.departmentCode, caseID: key.caseID)
        var events: [Engine.CaseEvent] = []
        events.reserveCapacity(stored.count)
        for row in stored {
            let reportedAt = Instant(millisecondsSinceEpoch: row.event.reportedAt)
            // Stored events passed validation when they arrived; one that no
            // longer reads is skipped rather than stopping its whole case.
            if let recorded = try? RecordedEvent(
                serializedBytes: row.event.payload, reportedAt: reportedAt)
            {
                events.append(recorded.event)
            }
        }
        let summary = Engine.CaseSummary(events: events, context: context)
        var tracked = cases[key] ?? TrackedCase(summary: summary, holding: [])
        if cases[key] == nil {
            // A case whose only event is the one just recorded is new: it has
            // no alerts on record, and looking for them would cost a query
            // for every new case.
            let isNew = recordedNow && stored.count == 1
            tracked.holding = isNew ? [] : try standingAlerts(of: key, transaction)
        }
        tracked.summary = summary
        return try settle(key, &tracked, transaction, now: now, reason: reason)
    }

    /// The alerts the store holds as standing for a case: what the engine
    /// found last time the case was followed.
    private func standingAlerts(of key: CaseKey, _ transaction: WriteTransaction) throws
        -> [Engine.Alert]
    {
        let filter = StoredAlertFilter(departments: [key.departmentCode], caseID: key.caseID)
        var standing: [Engine.Alert] = []
        var token: String?
        repeat {
            let page = try transaction.alerts(filter, pageSize: 500, pageToken: token)
            for row in page.items {
                guard let view = try? AlertView(serializedBytes: row.payload),
                    let message = view.alert
                else { continue }
                guard message.status != .withdrawn, message.status != .revoked,
                    message.rule != .manual, message.rule != .feedbackOverdue,
                    let alert = AlertMessages.engineAlert(message)
                else { continue }
                standing.append(alert)
            }
            token = page.nextPageToken
        } while token != nil
        return standing
    }

    /// Evaluates a tracked case at `now`, writes the alert transitions, the
    /// case row and its counters, and requeues it.
    private func settle(
        _ key: CaseKey, _ tracked: inout TrackedCase, _ transaction: WriteTransaction,
        now: Instant, reason: RecomputeReason
    ) throws -> AlertBook.Outcome {
        let evaluation = tracked.summary.evaluation(at: now)
        let transitions = Supervision.reconcile(
            previous: tracked.holding, current: evaluation.alerts, reason: reason)
        let book = AlertBook(transaction: transaction, region: region)
        let outcome = try book.apply(transitions, at: now)
        try countAlerts(transitions, transaction)
        tracked.holding = evaluation.alerts

        let inputs = CaseRows.ContributionInputs(evaluation)
        let derived: [UInt8]
        if let known = tracked.contribution, tracked.contributionInputs == inputs {
            derived = known
        } else {
            let previous = try tracked.contribution
                ?? transaction.caseRecord(
                    department: key.departmentCode, caseID: key.caseID)?.derived ?? []
            let contribution = CaseRows.contribution(of: evaluation, context: context)
            derived = contribution.encoded
            if previous != derived {
                try CaseRows.applyContribution(
                    old: Contribution(decoding: previous), new: contribution,
                    department: key.departmentCode, transaction)
            }
        }
        tracked.contribution = derived
        tracked.contributionInputs = inputs
        tracked.paused = if case .held = evaluation.deadlines.promised { true } else { false }
        tracked.overdueFrom = evaluation.finishedAt == nil
            ? evaluation.deadlines.promised?.instant : nil
        try transaction.upsertCase(
            CaseRows.record(
                key: key, evaluation: evaluation, holding: evaluation.alerts,
                catalogueVersion: catalogueVersion, now: now, derived: derived))

        let next = tracked.summary.nextDue(after: now)
        let followed = tracked.summary.isOpen || next != nil
        let open = followed
            && (tracked.summary.phase == .intake || tracked.summary.phase == .processing)
        recount(key, &tracked, open: open)
        if followed {
            cases[key] = tracked
            due.update(key, dueAt: next)
        } else {
            cases[key] = nil
            due.remove(key)
        }
        return outcome
    }

    /// Brings the case's part of `openCaseCount` and of its department's
    /// tally in line with its new state. A case is paused or overdue for the
    /// counts only while open; its overdue instant goes into the tally at
    /// once when it is not after `overdueCountedTo`, else into the queue a
    /// later count takes it from.
    private func recount(_ key: CaseKey, _ tracked: inout TrackedCase, open: Bool) {
        let paused = open && tracked.paused
        let overdueFrom = open ? tracked.overdueFrom : nil
        let overdue = overdueFrom.map { $0 <= overdueCountedTo } ?? false
        if open == tracked.countedOpen, paused == tracked.countedPaused,
            overdue == tracked.countedOverdue,
            tracked.queuedOverdueFrom == (overdue ? nil : overdueFrom)
        {
            return
        }
        var tally = tallies[key.departmentCode] ?? Tally()
        if open != tracked.countedOpen {
            openCaseCount += open ? 1 : -1
            tally.open += open ? 1 : -1
        }
        if paused != tracked.countedPaused { tally.paused += paused ? 1 : -1 }
        if overdue != tracked.countedOverdue { tally.overdue += overdue ? 1 : -1 }
        tracked.queuedOverdueFrom = overdue ? nil : overdueFrom
        becomingOverdue.update(key, dueAt: tracked.queuedOverdueFrom)
        tracked.countedOpen = open
        tracked.countedPaused = paused
        tracked.countedOverdue = overdue
        if tally.open == 0 {
            tallies[key.departmentCode] = nil
        } else {
            tallies[key.departmentCode] = tally
        }
    }

    /// Moves the tallies' overdue figures to `now`: the cases whose promised
    /// deadline came by then are counted. Should the clock read earlier than
    /// the last count (set back by hand), the figures are rebuilt from the
    /// followed cases once.
    private func countOverdue(to now: Instant) {
        if now < overdueCountedTo {
            overdueCountedTo = now
            becomingOverdue = DueQueue()
            for (department, _) in tallies { tallies[department]?.overdue = 0 }
            for key in Array(cases.keys) {
                guard var tracked = cases[key] else { continue }
                tracked.countedOverdue = false
                tracked.queuedOverdueFrom = nil
                recount(key, &tracked, open: tracked.countedOpen)
                cases[key] = tracked
            }
            return
        }
        overdueCountedTo = now
        for (_, key) in becomingOverdue.popDue(at: now) {
            guard var tracked = cases[key], tracked.countedOpen, !tracked.countedOverdue
            else { continue }
            tracked.countedOverdue = true
            tracked.queuedOverdueFrom = nil
            tallies[key.departmentCode]?.overdue += 1
            cases[key] = tracked
        }
    }

    private func countAlerts(
        _ transitions: [Engine.AlertTransition], _ transaction: WriteTransaction
    ) throws {
        for transition in transitions {
            let (alert, delta): (Engine.Alert, Int64)
            switch transition {
            case .raised(let raised): (alert, delta) = (raised, 1)
            case .withdrawn(let withdrawn, _): (alert, delta) = (withdrawn, -1)
            case .amended: continue
            }
            guard !alert.rule.isOperational else { continue }
            let name: CounterName
            switch alert.level {
            case .warning: name = .warnings
            case .yellow: name = .yellowCards
            case .red: name = .redCards
            }
            try transaction.addCounters(
                department: alert.scope.departmentCode, month: Self.month(of: alert.raisedAt),
                deltas: [name: delta])
        }
    }

    // MARK: Time passing

    /// Evaluates every case and notice whose next instant has come, raising
    /// what became true. Called by the scheduler when the clock reaches the
    /// published `nextDueAt`.
    func tick(_ transaction: WriteTransaction, now: Instant) throws -> AlertBook.Outcome {
        try changing(transaction, now: now) { try tickChecked(transaction, now: now) }
    }

    private func tickChecked(_ transaction: WriteTransaction, now: Instant) throws
        -> AlertBook.Outcome
    {
        var outcome = AlertBook.Outcome()
        for (_, key) in due.popDue(at: now) {
            guard var tracked = cases[key] else { continue }
            let result = try settle(key, &tracked, transaction, now: now, reason: .other("time"))
            outcome.raised += result.raised
            outcome.withdrawn += result.withdrawn
        }
        let book = AlertBook(transaction: transaction, region: region)
        for (_, alertID) in feedbackDue.popDue(at: now) {
            guard let view = try book.existingView(alertID) else { continue }
            let record = AlertMessages.replay(view)
            for overdue in record.feedbackOverdueAlerts where overdue.raisedAt <= now {
                if let raised = try book.raise(overdue, at: now) {
                    outcome.raised.append(raised)
                    try countAlerts([.raised(overdue)], transaction)
                }
            }
        }
        publish()
        return outcome
    }

    /// Follows a notice's feedback due instant (after a notice is issued or
    /// returned), or stops following it.
    func trackFeedback(alertID: String, dueAt: Instant?) {
        feedbackDue.update(alertID, dueAt: dueAt)
        publish()
    }

    // MARK: Catalogue changes

    /// Switches to a new catalogue or calendar and recomputes every followed
    /// case against it; returns how many cases were recomputed.
    ///
    /// The caller stages the new snapshot in the catalogue book once nothing
    /// of its write can fail any more: should this throw, or the write be
    /// taken back, the state is rebuilt under the book's latest catalogue.
    func changeContext(
        _ newContext: EvaluationContext, version: Int64, reason: RecomputeReason,
        _ transaction: WriteTransaction, now: Instant
    ) throws -> (recomputed: Int, outcome: AlertBook.Outcome) {
        try changing(transaction, now: now) {
            context = newContext
            catalogueVersion = version
            var outcome = AlertBook.Outcome()
            let keys = Array(cases.keys)
            for key in keys {
                cases[key]?.contributionInputs = nil
                let result = try refresh(key, transaction, now: now, reason: reason)
                outcome.raised += result.raised
                outcome.withdrawn += result.withdrawn
            }
            publish()
            return (keys.count, outcome)
        }
    }

    // MARK: Publishing

    /// Updates the snapshot other threads read.
    private func publish() {
        let next = [due.earliest?.instant, feedbackDue.earliest?.instant]
            .compactMap { $0 }.min()
        let (open, followed) = (openCaseCount, cases.count)
        published.withLock {
            $0.nextDueAt = next
            $0.openCases = open
            $0.followedCases = followed
        }
    }

    /// Live counts per department: cases from the followed cases, alerts from
    /// the store's standing alerts (so a manual card, an overdue feedback and
    /// the card of a case long delivered count too). Operational alerts are
    /// left out: they are the centre's to fix, not the department's.
    func liveCounts(now: Instant, _ transaction: WriteTransaction) throws
        -> [String: DepartmentCaseCounts]
    {
        // What each case was at its last evaluation: every event, threshold
        // and catalogue change re-evaluates it (and recounts it), and being
        // overdue is the one fact that changes with time alone. Open as a
        // dashboard means it: received and not yet concluded or refused (a
        // case awaiting delivery is followed, but not open).
        countOverdue(to: now)
        var counts: [String: DepartmentCaseCounts] = [:]
        for (department, tally) in tallies {
            var entry = DepartmentCaseCounts()
            entry.departmentCode = department
            entry.openCases = UInt64(tally.open)
            entry.inSpecialProcedure = UInt64(tally.paused)
            entry.overdue = UInt64(tally.overdue)
            counts[department] = entry
        }
        let operational = [Rule.unknownItem, .calendarMissing].map { Int($0.rawValue) }
        for (department, levels) in try transaction.standingAlertCounts(
            excludingRules: operational)
        {
            var entry = counts[department] ?? DepartmentCaseCounts()
            entry.departmentCode = department
            entry.warnings = UInt64(levels[Int(Level.warning.rawValue)] ?? 0)
            entry.yellowCards = UInt64(levels[Int(Level.yellow.rawValue)] ?? 0)
            entry.redCards = UInt64(levels[Int(Level.red.rawValue)] ?? 0)
            counts[department] = entry
        }
        return counts
    }

    // MARK: Helpers

    static func month(of instant: Instant) -> Month {
        let (year, month, _) = instant.localDate.components
        return Month(year: year, month: month)
    }

    static func kindNumber(_ kind: Messages.CaseEvent.Kind) -> Int {
        switch kind {
        case .received: 10
        case .accepted: 11
        case .intakeRefused: 12
        case .correctionRequested: 13
        case .correctionReceived: 14
        case .stepCompleted: 15
        case .specialProcedureStarted: 16
        case .specialProcedureEnded: 17
        case .extensionGranted: 18
        case .feeCharged: 19
        case .concluded: 20
        case .delivered: 21
        }
    }
}
