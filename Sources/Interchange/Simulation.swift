import Engine
import Messages

/// The offline simulation: a catalogue and an event log evaluated by the
/// same engine the server runs, at one instant, with no server and no
/// store.
///
/// It answers "which alerts hold at this instant?" exactly as the server
/// would have answered then: an event counts only once it was reported
/// (its wrapper's `reportedAt`, or when it happened), so an event reported
/// after the instant is not yet known, and every alert that holds is raised
/// and still active. The result is deterministic: alerts by the instant they
/// became true, then by id; cases by department and case.
///
/// ```swift
/// let simulation = try Simulation(catalogue: CatalogueDocument(jsonString: catalogueText))
/// let report = simulation.run(EventLog(jsonLines: eventText), at: instant)
/// for alert in report.alerts { print(alert.alertID, alert.description) }
/// for error in report.errors { print(error) }
/// ```
public struct Simulation: Sendable {
    /// The engine's catalogue and calendar the events are evaluated against.
    public let context: EvaluationContext

    /// Prepares a simulation over a catalogue.
    ///
    /// - Parameters:
    ///   - catalogue: the catalogue; its calendars are laid over the base.
    ///   - baseCalendar: the calendar underneath; nil for the official
    ///     national calendar shipped with the engine.
    /// - Throws: ``ValidationError`` naming the catalogue's bad fields.
    public init(catalogue: CatalogueDocument, baseCalendar: WorkingCalendar? = nil)
        throws(ValidationError)
    {
        let base: WorkingCalendar
        if let baseCalendar {
            base = baseCalendar
        } else {
            do {
                base = try WorkingCalendar.official()
            } catch {
                throw ValidationError(field: "calendars", reason: error.description)
            }
        }
        context = EvaluationContext(
            catalogue: try catalogue.catalogue(version: 1),
            calendar: try catalogue.calendar(version: base.version + 1, over: base))
    }

    /// Evaluates every case of the log at `instant`.
    ///
    /// - Parameters:
    ///   - log: the events read from the log, and its malformed lines.
    ///   - instant: the instant to evaluate at.
    ///   - includeCases: whether to give each case's summary and deadlines.
    public func run(_ log: EventLog, at instant: Instant, includeCases: Bool = false)
        -> SimulationReport
    {
        var byCase: [CaseKey: [RecordedEvent]] = [:]
        var later = 0
        for entry in log.entries {
            guard entry.recorded.reportedAt <= instant else {
                later += 1
                continue
            }
            byCase[entry.recorded.caseKey, default: []].append(entry.recorded)
        }

        var alerts: [(Engine.Alert, String)] = []
        var cases: [SimulatedCase] = []
        for key in byCase.keys.sorted() {
            let recorded = byCase[key]!
            let evaluation = Supervision.evaluate(
                events: recorded.map(\.event), context: context, now: instant)
            let region = context.catalogue.departments[key.departmentCode]?.region.digits ?? ""
            alerts += evaluation.alerts.map { ($0, region) }
            guard includeCases else { continue }
            let item = evaluation.itemCode.flatMap { context.catalogue.items[$0] }
            cases.append(
                SimulatedCase(
                    summary: Messages.CaseSummary(
                        evaluation, item: item, title: title(of: recorded)),
                    deadlines: evaluation.deadlineMessages(in: context.catalogue)))
        }
        alerts.sort { ($0.0.raisedAt, $0.0.id) < ($1.0.raisedAt, $1.0.id) }

        return SimulationReport(
            instant: instant,
            alerts: alerts.map { Messages.Alert($0.0, regionCode: $0.1) },
            cases: cases, errors: log.errors,
            eventsCounted: log.entries.count - later, eventsReportedLater: later)
    }

    /// Reads a catalogue file and an event log, and evaluates them at
    /// `instant`: the whole simulation in one call.
    ///
    /// - Throws: ``ValidationError`` for the catalogue; the log's malformed
    ///   lines are in the report.
    public static func run(
        catalogueJSON: String, eventLog: String, at instant: Instant, includeCases: Bool = false
    ) throws(ValidationError) -> SimulationReport {
        let simulation = try Simulation(catalogue: CatalogueDocument(jsonString: catalogueJSON))
        return simulation.run(
            EventLog(jsonLines: eventLog), at: instant, includeCases: includeCases)
    }

    /// The case's title from the received event that counts.
    private func title(of recorded: [RecordedEvent]) -> String {
        let counting = Set(Supervision.canonicalOrder(recorded.map(\.event)).map(Revision.init))
        for event in recorded where counting.contains(Revision(event.event)) {
            if case .received(let received)? = event.message.kind { return received.title }
        }
        return ""
    }
}

/// An event id and revision: which report of an event counts.
private struct Revision: Hashable {
    var eventID: String
    var revision: Int

    init(_ event: Engine.CaseEvent) {
        eventID = event.eventID
        revision = event.revision
    }
}

/// One case of a simulation: its summary and its deadlines.
public struct SimulatedCase: Hashable, Sendable {
    /// The case in one line.
    public var summary: Messages.CaseSummary
    /// Its deadlines as they stood at the instant.
    public var deadlines: [Messages.Deadline]
}

/// What a simulation found at its instant.
public struct SimulationReport: Sendable {
    /// The instant evaluated at.
    public var instant: Instant
    /// Every alert holding at the instant, by the instant it became true,
    /// then by id.
    public var alerts: [Messages.Alert]
    /// Each case's summary and deadlines, by department and case; empty
    /// unless asked for.
    public var cases: [SimulatedCase]
    /// The malformed lines of the log, by line.
    public var errors: [LineError]
    /// Events that counted: recorded, and reported by the instant.
    public var eventsCounted: Int
    /// Valid events left out because they were reported after the instant.
    public var eventsReportedLater: Int

    /// The report as one JSON object: `instant`, `alerts`, `cases` (when
    /// asked for), `errors` (line, field, reason), and the two counts.
    public func jsonValue() -> JSONValue {
        var object = JSONObject()
        object.append("instant", .string(Timestamp(instant).rfc3339))
        object.append("alerts", .array(alerts.map { $0.jsonValue() }))
        if !cases.isEmpty {
            object.append(
                "cases",
                .array(
                    cases.map { simulated in
                        var entry = JSONObject()
                        entry.append("summary", simulated.summary.jsonValue())
                        entry.append(
                            "deadlines", .array(simulated.deadlines.map { $0.jsonValue() }))
                        return .object(entry)
                    }))
        }
        object.append(
            "errors",
            .array(
                errors.map { error in
                    var entry = JSONObject()
                    entry.append("line", .integer(error.line))
                    entry.append("field", .string(error.field))
                    entry.append("reason", .string(error.reason))
                    return .object(entry)
                }))
        object.append("eventsCounted", .integer(eventsCounted))
        object.append("eventsReportedLater", .integer(eventsReportedLater))
        return .object(object)
    }
}
