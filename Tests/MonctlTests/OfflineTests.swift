import Foundation
import Messages
import Testing

/// What monctl does without a server: help, usage errors, an unreachable
/// server, and the offline simulation.
@Suite struct OfflineTests {
    @Test func helpAtEveryLevelShowsUsageAndExamples() throws {
        let root = try monctl(["--help"])
        #expect(root.status == 0, "\(root)")
        #expect(root.stdout.contains("USAGE: monctl <subcommand>"))
        #expect(root.stdout.contains("EXIT STATUS:"))
        #expect(root.stdout.contains("alerts"))

        let leaf = try monctl(["case", "accept", "--help"])
        #expect(leaf.status == 0, "\(leaf)")
        #expect(leaf.stdout.contains("USAGE: monctl case accept <department> <case>"))
        #expect(leaf.stdout.contains("--handler <name>"))
        #expect(leaf.stdout.contains("EXAMPLES:"))

        let helpWord = try monctl(["help", "alerts", "watch"])
        #expect(helpWord.status == 0, "\(helpWord)")
        #expect(helpWord.stdout.contains("USAGE: monctl alerts watch"))
        #expect(helpWord.stdout.contains("--after <sequence>"))
    }

    @Test func anUnknownCommandIsAUsageErrorWithASuggestion() throws {
        let result = try monctl(["case", "acept", "330899-WJJ", "1"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("\"acept\" is not a command of monctl case"))
        #expect(result.stderr.contains("did you mean accept?"))
        #expect(result.stderr.contains("See 'monctl case --help'"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aMalformedInstantNamesTheArgumentAndTheExpectedForm() throws {
        let result = try monctl(["case", "accept", "330899-WJJ", "1", "--at", "tomorrow"])
        #expect(result.status == 2, "\(result)")
        #expect(
            result.stderr.contains(
                "--at: \"tomorrow\" is not an instant; expected 2026-03-02T09:30:00+08:00"))
        #expect(result.stderr.contains("Usage: monctl case accept"))
    }

    @Test func missingArgumentsAndOptionsAreNamed() throws {
        let missingCase = try monctl(["case", "accept", "330899-WJJ"])
        #expect(missingCase.status == 2, "\(missingCase)")
        #expect(missingCase.stderr.contains("missing <case>"))

        let missingOption = try monctl(["case", "refuse", "330899-WJJ", "1"])
        #expect(missingOption.status == 2, "\(missingOption)")
        #expect(missingOption.stderr.contains("missing --reason <text>"))

        let misspelt = try monctl(["alerts", "list", "--levle", "red"])
        #expect(misspelt.status == 2, "\(misspelt)")
        #expect(misspelt.stderr.contains("--levle is not an option of monctl alerts list"))
        #expect(misspelt.stderr.contains("did you mean --level?"))

        let badChoice = try monctl(["alerts", "list", "--level", "purple"])
        #expect(badChoice.status == 2, "\(badChoice)")
        #expect(
            badChoice.stderr.contains(
                "--level: \"purple\" is not a level; expected warning, yellow or red"))

        let extra = try monctl(["status", "now"])
        #expect(extra.status == 2, "\(extra)")
        #expect(extra.stderr.contains("unexpected \"now\""))
    }

    @Test func anUnreachableServerExitsThreeAndSaysWhere() throws {
        let port = try closedPort()
        let result = try monctl(["status", "--server", "127.0.0.1:\(port)", "--token", "x"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("cannot reach the server at 127.0.0.1:\(port)"))
        #expect(result.stderr.contains("from --server"))

        // The environment names the server when no flag does.
        let fromEnvironment = try monctl(
            ["cases", "list"], environment: ["MONCTL_SERVER": "127.0.0.1:\(port)"])
        #expect(fromEnvironment.status == 3, "\(fromEnvironment)")
        #expect(fromEnvironment.stderr.contains("from MONCTL_SERVER"))
    }

    @Test func aConfigurationFileIsReadAndReportedByLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try closedPort()
        let good = directory.appendingPathComponent("config").path
        try "# the county centre\nserver = 127.0.0.1:\(port)\ntoken = abc\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let fromFile = try monctl(["status", "--config", good])
        #expect(fromFile.status == 3, "\(fromFile)")
        #expect(fromFile.stderr.contains("(from \(good): server)"))

        let bad = directory.appendingPathComponent("bad").path
        try "server = 127.0.0.1:1\nsevrer = x\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let badFile = try monctl(["status", "--config", bad])
        #expect(badFile.status == 6, "\(badFile)")
        #expect(badFile.stderr.contains("\(bad):2: unknown setting \"sevrer\""))
        #expect(badFile.stderr.contains("did you mean server?"))
    }

    @Test func simulateGivesTheAlertsHoldingAtTheInstant() throws {
        let result = try monctl([
            "simulate", "--catalogue", fixture("catalogue.json"), "--events",
            fixture("events.jsonl"), "--at", "2026-03-10T12:00:00+08:00", "--json",
        ])
        #expect(result.status == 0, "\(result)")
        let alerts = try parse(ListAlertsResponse.self, result).alerts
        // Case A is past its promised deadline (5 working days after
        // 2026-03-02: the end of 03-09) and in its last days before it since
        // 03-06; B was refused without a reason; C finished in time.
        let seen = alerts.map { "\($0.caseID) \($0.rule.protoName!) \($0.level.protoName!)" }
        #expect(
            seen == [
                "B RULE_MISSING_REASON LEVEL_YELLOW", "A RULE_CASE_TIME LEVEL_WARNING",
                "A RULE_CASE_TIME LEVEL_YELLOW",
            ])
        #expect(alerts[1].dueAt == Timestamp(rfc3339: "2026-03-06T00:00:00+08:00"))
        #expect(alerts[2].dueAt == Timestamp(rfc3339: "2026-03-10T00:00:00+08:00"))

        // Before the warning's instant only the refusal's card holds.
        let earlier = try monctl([
            "simulate", "--catalogue", fixture("catalogue.json"), "--events",
            fixture("events.jsonl"), "--at", "2026-03-05T23:59", "--json",
        ])
        #expect(try parse(ListAlertsResponse.self, earlier).alerts.map(\.caseID) == ["B"])

        let table = try monctl([
            "simulate", "--catalogue", fixture("catalogue.json"), "--events",
            fixture("events.jsonl"), "--at", "2026-03-10T12:00:00+08:00",
        ])
        #expect(table.status == 0, "\(table)")
        #expect(table.stdout.contains("case:330899-WJJ/A|caseTime|promised|yellow"))
        #expect(table.stdout.split(separator: "\n").count == 4)  // a header and 3 rows
        #expect(table.stderr.contains("3 alerts holding at 2026-03-10 12:00"))
    }

    @Test func simulateRefusesAnEventTheServerWouldReject() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = directory.appendingPathComponent("events.jsonl").path
        try """
            {"eventId": "x-1", "departmentCode": "330899-WJJ", "caseId": "X", \
            "occurredAt": "2026-03-02T09:00:00+08:00", "received": {"itemCode": ""}}

            """.write(toFile: events, atomically: true, encoding: .utf8)
        let result = try monctl([
            "simulate", "--catalogue", fixture("catalogue.json"), "--events", events,
        ])
        #expect(result.status == 6, "\(result)")
        #expect(result.stderr.contains("\(events):1: received.item_code: is empty"))
    }
}
