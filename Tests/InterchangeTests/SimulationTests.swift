import Engine
import Foundation
import Interchange
import Messages
import Testing

private let instant = at("2026-10-09 12:00")

private func simulate(
    _ log: String = fixture("events.jsonl"), at time: Instant = instant, cases: Bool = false
) throws -> SimulationReport {
    try Simulation.run(
        catalogueJSON: fixture("catalogue.json"), eventLog: log, at: time, includeCases: cases)
}

/// `instant alert-id` lines, instants in China Standard Time, without the
/// ids' `case:330899-` prefix that every case of the fixture shares.
private func lines(_ alerts: [Messages.Alert]) -> [String] {
    alerts.map { alert in
        let id = alert.alertID.replacingOccurrences(of: "case:330899-", with: "")
        return Instant(alert.dueAt!).iso8601.prefix(16) + " " + id
    }
}

@Suite("The offline simulation over fixture files")
struct SimulationTests {
    /// The alerts worked out by hand from the 2026 calendar (Mid-Autumn
    /// holiday Sep 25-27, National Day Oct 1-7, make-up working days Sep 20
    /// and Oct 10):
    ///
    /// - SCJG-2026-0001 (promised 7, steps 3/2/2), accepted Tue Sep 15:
    ///   undertaking due 24:00 Sep 18, done Sep 21: yellow at Sep 19 00:00.
    ///   Counted days Sep 16, 17, 18, 20 (make-up Sunday), 21, 22, 23: the
    ///   warning at 00:00 of the 6th (Sep 22), the promised deadline 24:00
    ///   Sep 23; concluded Sep 24 15:00: yellow at Sep 24 00:00.
    /// - WJJ-2026-0001 (promised 5), accepted Mon Sep 21: counted days
    ///   Sep 22, 23, 24, 28, 29: warning Sep 28 00:00, yellow Sep 30 00:00.
    ///   Its conclusion on Sep 29 is reported only on Oct 10: not yet known.
    /// - WJJ-2026-0002 (promised 5), accepted Mon Sep 28: counted days
    ///   Sep 29, 30, Oct 8, 9, 10: the National Day holiday moves the
    ///   deadline to 24:00 Oct 10; the warning holds from Oct 9 00:00.
    /// - JTJ-2026-0001: refused at intake without a reason, Oct 8 09:00.
    /// - ZRGH-2026-0001 (fee standard 8,000 fen): 5,000 then 4,000 fen; the
    ///   second, at Oct 8 11:00, takes the total over: red. It was reported
    ///   25.5 hours late: warning at Oct 9 11:00.
    /// - ZRGH-2026-0002 names an item the catalogue does not have.
    /// - WJJ-2026-0003 is paused by an inspection of 5 days: nothing yet.
    @Test func theAlertsHoldingAtTheInstantAreExactlyTheseByHand() throws {
        let report = try simulate()
        #expect(
            lines(report.alerts) == [
                "2026-09-19T00:00 SCJG/SCJG-2026-0001|stepTime|undertake-1|yellow",
                "2026-09-22T00:00 SCJG/SCJG-2026-0001|caseTime|promised|warning",
                "2026-09-24T00:00 SCJG/SCJG-2026-0001|caseTime|promised|yellow",
                "2026-09-28T00:00 WJJ/WJJ-2026-0001|caseTime|promised|warning",
                "2026-09-30T00:00 WJJ/WJJ-2026-0001|caseTime|promised|yellow",
                "2026-10-08T09:00 JTJ/JTJ-2026-0001|missingReason|event-JTJ-0001-02|yellow",
                "2026-10-08T11:00 ZRGH/ZRGH-2026-0001|fee|fee|red",
                "2026-10-09T00:00 WJJ/WJJ-2026-0002|caseTime|promised|warning",
                "2026-10-09T08:00 ZRGH/ZRGH-2026-0002|unknownItem|item-330899-ZRGH-999|warning",
                "2026-10-09T11:00 ZRGH/ZRGH-2026-0001|lateReporting|event-ZRGH-0001-04|warning",
            ])
        #expect(report.alerts.allSatisfy { $0.status == .active && $0.regionCode == "330899" })
        #expect(report.eventsCounted == 20)
        #expect(report.eventsReportedLater == 1)

        let step = report.alerts[0]
        #expect(step.subject == "step:undertake")
        // Sep 20, a make-up Sunday, and Sep 21 are the working days over.
        #expect(step.facts.contains(Fact(name: "working_days_over", value: "2")))
        let fee = report.alerts[6]
        #expect(fee.facts.contains(Fact(name: "fee_total_fen", value: "9000")))
        #expect(fee.facts.contains(Fact(name: "fee_standard_fen", value: "8000")))
        let late = report.alerts[9]
        #expect(late.facts.contains(Fact(name: "reported_at", value: "2026-10-09T11:30:00+08:00")))
    }

    @Test func malformedLinesAreReportedAndTheOthersStillCount() throws {
        let report = try simulate()
        #expect(report.errors.map(\.line) == [7, 14, 22, 25])
        #expect(
            report.errors.map(\.field) == ["received.item_code", "step_completed.step", "", ""])
        #expect(
            report.errors[0].description
                == "line 7: received.item_code: is empty; expected 1 to 64 characters")
        #expect(report.errors[1].reason.hasPrefix("is STEP_UNSPECIFIED; expected STEP_UNDERTAKE"))
        #expect(report.errors[2].reason.hasPrefix("invalid JSON at column "))
        #expect(report.errors[3].reason == "unknown field \"reportedAt\" in monitor.v1.CaseEvent")
        // The malformed lines' case has no alert; every other case has its own.
        #expect(!report.alerts.contains { $0.caseID == "WJJ-2026-0099" })
    }

    /// Once the late conclusion is reported, the case's yellow card no longer
    /// holds (it concluded before its deadline) and the late report raises
    /// its warning: 24 hours after Sep 29 16:00.
    @Test func anEventCountsFromWhenItWasReported() throws {
        let report = try simulate(at: at("2026-10-12 12:00"))
        let first = report.alerts.filter { $0.caseID == "WJJ-2026-0001" }
        #expect(
            lines(first) == [
                "2026-09-28T00:00 WJJ/WJJ-2026-0001|caseTime|promised|warning",
                "2026-09-30T16:00 WJJ/WJJ-2026-0001|lateReporting|event-WJJ-0001-03|warning",
            ])
        #expect(report.eventsReportedLater == 0)
    }

    @Test func casesWithTheirDeadlinesWhenAsked() throws {
        #expect(try simulate().cases.isEmpty)
        let report = try simulate(cases: true)
        #expect(
            report.cases.map { simulated in
                let summary = simulated.summary
                return "\(summary.caseID) \(summary.state.protoName!) "
                    + summary.highestLevel.protoName!
            } == [
                "JTJ-2026-0001 CASE_STATE_REFUSED LEVEL_YELLOW",
                "SCJG-2026-0001 CASE_STATE_CONCLUDED LEVEL_YELLOW",
                "WJJ-2026-0001 CASE_STATE_IN_PROGRESS LEVEL_YELLOW",
                "WJJ-2026-0002 CASE_STATE_IN_PROGRESS LEVEL_WARNING",
                "WJJ-2026-0003 CASE_STATE_IN_SPECIAL_PROCEDURE LEVEL_UNSPECIFIED",
                "ZRGH-2026-0001 CASE_STATE_IN_PROGRESS LEVEL_RED",
                "ZRGH-2026-0002 CASE_STATE_RECEIVED LEVEL_WARNING",
            ])
        let second = report.cases[3]
        #expect(second.summary.title == "某游泳馆公共场所卫生许可")
        #expect(second.summary.itemName == "公共场所卫生许可 Public place hygiene licence")
        #expect(second.summary.promisedDeadline == stamp("2026-10-11 00:00"))
        #expect(
            second.deadlines.map { "\($0.kind.protoName!) \($0.limitDays) \($0.dueDate)" } == [
                "DEADLINE_KIND_PROMISED 5 2026-10-10", "DEADLINE_KIND_LEGAL 20 2026-10-30",
            ])
        let paused = report.cases[4]
        #expect(
            paused.deadlines.map {
                "\($0.kind.protoName!) \($0.subject) \($0.paused) \($0.dueDate)"
            } == [
                "DEADLINE_KIND_PROMISED  true ", "DEADLINE_KIND_LEGAL  true ",
                "DEADLINE_KIND_SPECIAL_PROCEDURE P1 false 2026-10-14",
            ])
        let concluded = report.cases[1]
        #expect(concluded.summary.result == .approved)
        #expect(
            concluded.deadlines.map {
                "\($0.kind.protoName!) \($0.subject) \($0.dueDate) \($0.metAt?.rfc3339 ?? "-")"
            } == [
                "DEADLINE_KIND_PROMISED  2026-09-23 2026-09-24T07:00:00Z",
                "DEADLINE_KIND_LEGAL  2026-10-19 2026-09-24T07:00:00Z",
                "DEADLINE_KIND_STEP undertake 2026-09-18 2026-09-21T09:00:00Z",
                "DEADLINE_KIND_DELIVERY  2026-10-15 -",
            ])
    }

    /// A file written with CR LF line ends and a byte order mark reads the
    /// same, line numbers included.
    @Test func windowsLineEndsAndAByteOrderMark() throws {
        let expected = try simulate()
        let text = "\u{FEFF}" + fixture("events.jsonl").replacingOccurrences(of: "\n", with: "\r\n")
        let report = try simulate(text)
        #expect(report.alerts == expected.alerts)
        #expect(report.errors == expected.errors)

        let catalogue = "\u{FEFF}" + fixture("catalogue.json")
        #expect(try CatalogueDocument(jsonString: catalogue).items.count == 4)
    }

    /// The same events in any order of lines give the same alerts.
    @Test func theResultDoesNotDependOnTheOrderOfLines() throws {
        let expected = try simulate(cases: true)
        var lines = fixture("events.jsonl").split(separator: "\n").map(String.init)
        var generator = SeededGenerator(seed: 20_261_009)
        for _ in 0..<5 {
            lines.shuffle(using: &generator)
            let report = try simulate(lines.joined(separator: "\n"), cases: true)
            #expect(report.alerts == expected.alerts)
            #expect(report.cases == expected.cases)
            #expect(Set(report.errors.map(\.reason)) == Set(expected.errors.map(\.reason)))
        }
    }

    @Test func theReportAsJSON() throws {
        let report = try simulate(cases: true)
        let value = try JSONValue(parsing: report.jsonValue().serialized(pretty: true))
        guard case .object(let object) = value, case .array(let alerts)? = object["alerts"],
            case .array(let errors)? = object["errors"], case .array(let cases)? = object["cases"]
        else {
            Issue.record("not the report's shape: \(value)")
            return
        }
        #expect(object["instant"] == .string("2026-10-09T04:00:00Z"))
        #expect(
            try alerts.map { try Messages.Alert(jsonValue: $0, options: JSONDecodingOptions()) }
                == report.alerts)
        #expect(cases.count == 7)
        guard case .object(let first) = errors.first else {
            Issue.record("no errors")
            return
        }
        #expect(first["line"] == .number("7"))
        #expect(first["field"] == .string("received.item_code"))
        #expect(object["eventsCounted"] == .number("20"))
    }

    /// A year the shipped calendar lacks is counted provisionally and says
    /// so; a catalogue that brings the year's calendar settles it.
    @Test func catalogueCalendarsAreUsed() throws {
        let log = [
            #"{"eventId": "E1", "departmentCode": "330899-WJJ", "caseId": "C1", "#
                + #""occurredAt": "2026-12-21T09:00:00+08:00", "#
                + #""received": {"itemCode": "330899-WJJ-002"}}"#,
            #"{"eventId": "E2", "departmentCode": "330899-WJJ", "caseId": "C1", "#
                + #""occurredAt": "2026-12-21T10:00:00+08:00", "accepted": {}}"#,
        ].joined(separator: "\n")
        let now = at("2026-12-22 09:00")
        let without = try Simulation.run(
            catalogueJSON: fixture("catalogue.json"), eventLog: log, at: now, includeCases: true)
        #expect(without.alerts.map(\.subject) == ["calendar:330899/2027"])
        #expect(without.cases[0].deadlines.map(\.provisional) == [false, true])

        var document = try CatalogueDocument(jsonString: fixture("catalogue.json"))
        document.calendars = [
            Messages.Calendar(
                regionCode: "000000", year: 2027, holidays: ["2027-01-01"], source: "test")
        ]
        let report = try Simulation(catalogue: document).run(
            EventLog(jsonLines: log), at: now, includeCases: true)
        #expect(report.alerts.isEmpty)
        #expect(report.cases[0].deadlines.map(\.provisional) == [false, false])
        // 20 counted days after Dec 21, with Jan 1 2027 a holiday: Jan 19.
        #expect(report.cases[0].deadlines[1].dueDate == "2027-01-19")
    }

    @Test func aBadCatalogueStopsTheSimulationNamingTheField() throws {
        let text = fixture("catalogue.json").replacingOccurrences(
            of: "\"promisedLimitDays\": 7", with: "\"promisedLimitDays\": 25")
        let error = try #require(throws: ValidationError.self) {
            try Simulation.run(catalogueJSON: text, eventLog: "", at: instant)
        }
        #expect(
            error.description
                == "items[1].promised_limit_days: 25 is greater than the legal limit 20")
    }
}

/// A small deterministic generator (SplitMix64) for shuffling.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The event log examples of docs/interface.md read without a problem.
@Suite struct InterfaceDocumentEventLogTests {
    @Test func everyEventLogExampleReads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(
            contentsOf: root.appendingPathComponent("docs/interface.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```jsonl\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
        #expect(!blocks.isEmpty)
        for block in blocks {
            let log = EventLog(jsonLines: block)
            #expect(log.errors == [])
            #expect(!log.entries.isEmpty)
        }
    }
}
