import Engine
import Foundation
import Interchange
import Messages

/// `simulate`: the alerts a catalogue and an event log give at an instant,
/// computed offline by the same engine the server runs.
enum SimulateCommand {
    static var command: Command {
        Command(
            name: "simulate",
            abstract:
                "Compute offline the alerts holding at an instant, from a catalogue and events.",
            discussion: """
                No server is needed: the catalogue file (the form catalogue import reads) and \
                the JSON Lines file of CaseEvents (the form replay sends) go through the \
                supervision engine the server runs, with the shipped national calendar under \
                the catalogue's calendars. Each event counts as reported the moment it \
                happened, so no event is late. The alerts that hold at --at are printed, \
                oldest first; --json prints them as a ListAlertsResponse.
                """,
            options: [
                .value("catalogue", "file", "The catalogue JSON document.", required: true),
                .value("events", "file", "The JSON Lines file of CaseEvents.", required: true),
                .value(
                    "at", "instant",
                    "The instant to evaluate at (default now), e.g. 2026-03-02T09:30:00+08:00."),
                .value("level", "level", "Only warning, yellow or red.", repeatable: true),
            ],
            examples: [
                "monctl simulate --catalogue demo/catalogue.json --events feed.jsonl "
                    + "--at 2026-03-02T09:30:00+08:00",
                "monctl simulate --catalogue demo/catalogue.json --events feed.jsonl "
                    + "--at 2026-04-01 --json",
            ],
            run: run)
    }

    private static func run(_ invocation: Invocation) async throws {
        let at = try invocation.instant("at", allowDate: true) ?? Timestamp(Date())
        let levels = try invocation.choices("level", Choices.level)
        let cataloguePath = invocation.required("catalogue")
        let document: CatalogueDocument
        do {
            document = try CatalogueDocument(
                jsonUTF8: try readInputFile(cataloguePath, what: "a catalogue JSON document"))
        } catch let error as ValidationError {
            throw Failure.input(
                error.problems.map { "\(cataloguePath): \($0)" }.joined(separator: "\n"))
        }
        let context: EvaluationContext
        do {
            let official = try WorkingCalendar.official()
            context = EvaluationContext(
                catalogue: try document.catalogue(),
                calendar: try document.calendar(over: official))
        } catch let error as ValidationError {
            throw Failure.input(
                error.problems.map { "\(cataloguePath): \($0)" }.joined(separator: "\n"))
        } catch {
            throw Failure(status: .failure, message: "the shipped calendar does not load: \(error)")
        }

        let eventsPath = invocation.required("events")
        var cases: [CaseKey: [Engine.CaseEvent]] = [:]
        var problems: [String] = []
        for line in try ReplayCommand.readEvents(eventsPath) {
            let reported = Instant(line.event.occurredAt ?? Timestamp())
            do {
                let event = try Engine.CaseEvent(line.event, reportedAt: reported)
                cases[event.caseKey, default: []].append(event)
            } catch {
                for problem in error.problems {
                    problems.append("\(eventsPath):\(line.number): \(problem)")
                }
            }
        }
        if !problems.isEmpty {
            throw Failure.input(
                problems.prefix(20).joined(separator: "\n")
                    + (problems.count > 20 ? "\n... and \(problems.count - 20) more" : "")
                    + "\nthe server would reject these events; fix them to simulate")
        }

        let holding = Supervision.alertsHolding(
            at: Instant(at), cases: cases.keys.sorted().map { cases[$0]! }, context: context)
        let alerts = holding.map { Messages.Alert($0) }
            .filter { levels.isEmpty || levels.contains($0.level) }
        let output = invocation.output
        if invocation.json {
            return output.json(ListAlertsResponse(alerts: alerts))
        }
        output.note(
            "\(counted(alerts.count, "alert")) holding at \(Format.time(at)) (China Standard "
                + "Time) over \(counted(cases.count, "case"))")
        guard !alerts.isEmpty else { return }
        var table = Table("LEVEL", "RULE", "DEPARTMENT", "CASE", "DUE", "DESCRIPTION", "ID")
        for alert in alerts {
            table.append(
                Format.level(alert.level, output), Choices.rule.shortName(alert.rule),
                alert.departmentCode, alert.caseID, Format.deadline(alert.dueAt),
                alert.description, alert.alertID)
        }
        output.write(table.render())
    }
}
