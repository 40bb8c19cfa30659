import Foundation
import Messages
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// monctl against a real monitord: each test starts its own server on a
/// free port with an empty data directory.
@Suite struct AgainstAServerTests {
    @Test func catalogueImportThenList() throws {
        let server = try Monitord()
        defer { server.stop() }
        let admin = server.adminEnvironment

        let imported = try monctl(
            ["catalogue", "import", packageRoot.path + "/demo/catalogue.json"], environment: admin)
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stdout.contains("imported 8 departments and 32 items"))

        let departments = try monctl(["departments", "list"], environment: admin)
        #expect(departments.status == 0, "\(departments)")
        #expect(departments.stdout.contains("330899-WJJ   卫生健康局 Health Commission"))
        #expect(departments.stdout.split(separator: "\n").count == 9)

        let items = try monctl(
            ["items", "list", "--department", "330899-WJJ", "--all", "--json"], environment: admin)
        #expect(items.status == 0, "\(items)")
        let listed = try parse(ListItemsResponse.self, items).items
        #expect(!listed.isEmpty)
        #expect(listed.allSatisfy { $0.departmentCode == "330899-WJJ" })

        // A CSV of items, with a quoted comma and a list of procedures.
        let csv = server.directory.appendingPathComponent("items.csv").path
        try """
            code,name,department_code,kind,legal_limit_days,promised_limit_days,fee_max_fen,\
            allowed_procedures
            330899-WJJ-900,"测试事项, with a comma",330899-WJJ,licensing,20,3,5000,\
            expert-review;testing
            330899-WJJ-901,Another,330899-WJJ,,10,,,

            """.write(toFile: csv, atomically: true, encoding: .utf8)
        let fromCSV = try monctl(["catalogue", "import", csv], environment: admin)
        #expect(fromCSV.status == 0, "\(fromCSV)")
        #expect(fromCSV.stdout.contains("imported 2 items"))
        let shown = try monctl(["items", "show", "330899-WJJ-900", "--json"], environment: admin)
        let item = try parse(Item.self, shown)
        #expect(item.name == "测试事项, with a comma")
        #expect(item.kind == .licensing)
        #expect(item.promisedLimitDays == 3)
        #expect(item.feeStandard?.maxFen == 5000)
        #expect(item.allowedProcedures == [.expertReview, .testing])
        let other = try parse(
            Item.self,
            try monctl(["items", "show", "330899-WJJ-901", "--json"], environment: admin))
        #expect(other.promisedLimitDays == nil)

        // A bad line is reported by its line, and nothing is imported.
        try "code,name,department_code,legal_limit_days\n330899-WJJ-902,X,NOPE,20\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let refused = try monctl(["catalogue", "import", csv], environment: admin)
        #expect(refused.status == 6, "\(refused)")
        #expect(refused.stderr.contains("\(csv):2: department_code: \"NOPE\""))
        let absent = try monctl(["items", "show", "330899-WJJ-902"], environment: admin)
        #expect(absent.status == 1, "\(absent)")
    }

    @Test func tokenCreationListingAndRevocation() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let admin = server.adminEnvironment

        let created = try monctl(
            ["tokens", "create", "--name", "Health desk", "--role", "department",
             "--department", "330899-WJJ", "--json"], environment: admin)
        #expect(created.status == 0, "\(created)")
        let response = try parse(CreateTokenResponse.self, created)
        #expect(response.secret.hasPrefix("mon_"))
        #expect(response.token?.role == .department)

        let whoami = try monctl(
            ["status", "--json", "--server", server.address, "--token", response.secret])
        #expect(whoami.status == 0, "\(whoami)")
        let info = try parse(ServerInfo.self, whoami)
        #expect(info.callerRole == .department)
        #expect(info.callerName == "Health desk")
        #expect(info.callerDepartmentCode == "330899-WJJ")

        let listed = try monctl(["tokens", "list"], environment: admin)
        #expect(listed.stdout.contains("Health desk"))
        #expect(!listed.stdout.contains(response.secret))

        let tokenID = response.token!.tokenID
        let revoked = try monctl(["tokens", "revoke", tokenID], environment: admin)
        #expect(revoked.status == 0, "\(revoked)")
        #expect(revoked.stdout.contains("revoked token \(tokenID)"))
        let refused = try monctl(
            ["status", "--server", server.address, "--token", response.secret])
        #expect(refused.status == 5, "\(refused)")
        #expect(refused.stderr.contains("not authenticated"))

        let roleless = try monctl(
            ["tokens", "create", "--name", "x", "--role", "department"], environment: admin)
        #expect(roleless.status == 2, "\(roleless)")
        #expect(roleless.stderr.contains("--role department needs --department <code>"))
    }

    @Test func theDeskRecordsACaseFromReceiptToDelivery() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(
            role: "department", name: "desk", department: "330899-WJJ")
        let environment = ["MONCTL_SERVER": server.address, "MONCTL_TOKEN_FILE": desk]
        let (department, caseID) = ("330899-WJJ", "2026-0100")

        let steps: [[String]] = [
            ["receive", department, caseID, "--item", "330899-WJJ-002", "--applicant", "张三",
             "--applicant-type", "person", "--channel", "counter", "--title", "公共场所卫生许可"],
            ["accept", department, caseID, "--handler", "李四"],
            ["step", department, caseID, "undertake", "--handler", "李四", "--opinion", "拟同意"],
            ["step", department, caseID, "review", "--handler", "王五"],
            ["step", department, caseID, "approve", "--handler", "赵局长"],
            ["conclude", department, caseID, "--result", "approved",
             "--certificate-name", "卫生许可证", "--certificate-number", "卫字2026100"],
            ["deliver", department, caseID, "--method", "in-person", "--recipient", "张三"],
        ]
        for step in steps {
            let result = try monctl(["case"] + step, environment: environment)
            #expect(result.status == 0, "\(step): \(result)")
            #expect(result.stdout.hasPrefix("recorded: "), "\(result)")
        }

        let report = try monctl(["case", "show", department, caseID], environment: environment)
        #expect(report.status == 0, "\(report)")
        #expect(report.stdout.contains("state      delivered (approved)"), "\(report)")
        #expect(report.stdout.contains("TIMELINE"))
        #expect(report.stdout.contains("approve completed (批准)"))
        #expect(report.stdout.contains("certificate 卫生许可证 卫字2026100"))

        let view = try parse(
            CaseView.self,
            try monctl(["case", "show", department, caseID, "--json"], environment: environment))
        #expect(view.summary?.state == .delivered)
        #expect(view.summary?.result == .approved)
        #expect(view.timeline.count == steps.count)
        #expect(view.deadlines.contains { $0.kind == .promised && $0.metAt != nil })

        // The same event id again is a duplicate, not a second event.
        let eventID = view.timeline[1].event!.eventID
        let again = try monctl(
            ["case", "accept", department, caseID, "--handler", "李四", "--event-id", eventID],
            environment: environment)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.hasPrefix("duplicate: event \(eventID)"))

        let listed = try parse(
            ListCasesResponse.self,
            try monctl(["cases", "list", "--state", "delivered", "--json"],
                       environment: environment))
        #expect(listed.cases.map(\.caseID) == [caseID])
    }

    @Test func aRejectedEventExitsOneWithItsFieldAndReason() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(role: "department", name: "desk", department: "330899-WJJ")
        let result = try monctl(
            ["case", "accept", "330899-WJJ", "2026-0200", "--at", "2099-01-01T09:00:00+08:00",
             "--server", server.address, "--token-file", desk])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("the server rejected the event"))
        #expect(result.stderr.contains("occurred_at: is 2099-01-01T01:00:00Z"))
    }

    @Test func alertsOfALateCaseAndTheSupervisionThatFollows() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(role: "department", name: "desk", department: "330899-WJJ")
        let supervisor = try server.token(role: "supervisor", name: "Supervisor Li")
        let asDesk = ["MONCTL_SERVER": server.address, "MONCTL_TOKEN_FILE": desk]
        let asSupervisor = ["MONCTL_SERVER": server.address, "MONCTL_TOKEN_FILE": supervisor]

        // Received and accepted in March, never concluded: long past both
        // the promised (5) and the legal (20 working days) deadline.
        for step in [
            ["receive", "330899-WJJ", "2026-0300", "--item", "330899-WJJ-002",
             "--at", "2026-03-02T09:00"],
            ["accept", "330899-WJJ", "2026-0300", "--at", "2026-03-02T10:00"],
        ] {
            let result = try monctl(["case"] + step, environment: asDesk)
            #expect(result.status == 0, "\(result)")
        }
        let listed = try monctl(
            ["alerts", "list", "--department", "330899-WJJ", "--case", "2026-0300",
             "--rule", "case-time", "--json"], environment: asSupervisor)
        #expect(listed.status == 0, "\(listed)")
        let alerts = try parse(ListAlertsResponse.self, listed).alerts
        let byLevel = Dictionary(grouping: alerts, by: \.level)
        #expect(byLevel[.warning]?.count == 1)
        #expect(byLevel[.yellow]?.count == 1)
        #expect(byLevel[.red]?.count == 1)
        let yellow = try #require(byLevel[.yellow]?.first)
        #expect(yellow.dueAt == Timestamp(rfc3339: "2026-03-10T00:00:00+08:00"))

        let table = try monctl(["alerts", "list", "--level", "red"], environment: asSupervisor)
        let rows = table.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 1, "\(table)")
        #expect(rows.first?.hasPrefix("red ") == true, "\(table)")
        #expect(rows.first?.contains("case:330899-WJJ/2026-0300|caseTime|legal|red") == true)

        // Notice (supervisor), feedback (department), close (supervisor).
        let notice = try monctl(
            ["alerts", "notice", yellow.alertID, "--instructions", "请说明超期原因"],
            environment: asSupervisor)
        #expect(notice.status == 0, "\(notice)")
        #expect(notice.stdout.contains("the alert is now notice-issued"))
        let feedback = try monctl(
            ["alerts", "feedback", yellow.alertID, "--explanation", "人手不足",
             "--rectification", "已增派人员"], environment: asDesk)
        #expect(feedback.status == 0, "\(feedback)")
        let close = try monctl(
            ["alerts", "close", yellow.alertID, "--comment", "整改到位", "--json"],
            environment: asSupervisor)
        #expect(close.status == 0, "\(close)")
        let view = try parse(AlertView.self, close)
        #expect(view.alert?.status == .closed)
        #expect(
            view.history.map(\.kind) == [.raised, .noticeIssued, .feedbackSubmitted, .closed])

        // What the lifecycle does not allow is the server's refusal: 1.
        let twice = try monctl(["alerts", "close", yellow.alertID], environment: asSupervisor)
        #expect(twice.status == 1, "\(twice)")
        #expect(twice.stderr.contains("the server refused"))
        // What the role does not allow: 5.
        let byDesk = try monctl(
            ["alerts", "notice", yellow.alertID, "--instructions", "x"], environment: asDesk)
        #expect(byDesk.status == 5, "\(byDesk)")

        let shown = try monctl(["alerts", "show", yellow.alertID], environment: asSupervisor)
        #expect(shown.stdout.contains("notice (督办单)"), "\(shown)")
        #expect(shown.stdout.contains("feedback-submitted"))

        let card = try monctl(
            ["alerts", "card", "330899-WJJ", "2026-0300", "--level", "red", "--reason", "拒不整改"],
            environment: asSupervisor)
        #expect(card.status == 0, "\(card)")
        #expect(card.stdout.contains("issued a red card"))
    }

    @Test func servicesTheServerDoesNotOfferExitFour() throws {
        let server = try Monitord()
        defer { server.stop() }
        let admin = server.adminEnvironment
        let complaints = try monctl(["complaints", "list"], environment: admin)
        #expect(complaints.status == 4, "\(complaints)")
        #expect(complaints.stderr.contains("this server does not offer complaints yet"))
        #expect(complaints.stdout.isEmpty)

        let evaluation = try monctl(["evaluation", "show", "2026-03"], environment: admin)
        #expect(evaluation.status == 4, "\(evaluation)")
        #expect(evaluation.stderr.contains("this server does not offer evaluation yet"))
        #expect(evaluation.stdout.isEmpty)

        let status = try monctl(["status"], environment: admin)
        #expect(status.stdout.contains("not offered  monitor.v1.ComplaintService"), "\(status)")
    }

    @Test func replayStreamsAJSONLinesFileAndSummarisesTheAcks() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(role: "department", name: "desk", department: "330899-WJJ")
        let environment = ["MONCTL_SERVER": server.address, "MONCTL_TOKEN_FILE": desk]

        let first = try monctl(["replay", fixture("events.jsonl")], environment: environment)
        #expect(first.status == 0, "\(first)")
        #expect(
            first.stdout.contains(
                "8 events sent: accepted 8, duplicate 0, superseded 0, rejected 0"))
        #expect(first.stderr.contains("replay: 8/8 events acknowledged"))

        let again = try monctl(
            ["replay", fixture("events.jsonl"), "--json"], environment: environment)
        #expect(again.status == 0, "\(again)")
        let acks = try again.stdout.split(separator: "\n").map {
            try EventAck(jsonString: String($0))
        }
        #expect(acks.count == 8)
        #expect(acks.allSatisfy { $0.status == .duplicate })
        #expect(acks.map(\.index) == Array(1...8))

        let cases = try parse(
            ListCasesResponse.self,
            try monctl(["cases", "list", "--json"], environment: environment))
        #expect(Set(cases.cases.map(\.caseID)) == ["A", "B", "C"])

        // One bad event: the others are recorded, the bad one is listed by
        // line, and the exit status says the server refused something.
        let mixed = server.directory.appendingPathComponent("mixed.jsonl").path
        try """
            {"eventId": "m-1", "departmentCode": "330899-WJJ", "caseId": "M", \
            "occurredAt": "2026-03-02T09:00:00+08:00", "received": {"itemCode": "330899-WJJ-002"}}
            {"eventId": "m-2", "departmentCode": "330899-WJJ", "caseId": "M", \
            "occurredAt": "2026-03-02T10:00:00+08:00", "specialProcedureStarted": \
            {"procedureId": "", "type": "SPECIAL_PROCEDURE_TYPE_TESTING", "grantedDays": 3}}

            """.write(toFile: mixed, atomically: true, encoding: .utf8)
        let partly = try monctl(["replay", mixed], environment: environment)
        #expect(partly.status == 1, "\(partly)")
        #expect(partly.stdout.contains("accepted 1, duplicate 0, superseded 0, rejected 1"))
        #expect(partly.stdout.contains("special_procedure_started.procedure_id"))
        #expect(partly.stderr.contains("the server rejected 1 event of 2"))

        try "{\"eventId\": 7}\n".write(toFile: mixed, atomically: true, encoding: .utf8)
        let malformed = try monctl(["replay", mixed], environment: environment)
        #expect(malformed.status == 6, "\(malformed)")
        #expect(malformed.stderr.contains("\(mixed):1: eventId: expected a string"))
    }

    @Test func watchShowsTransitionsAndResumesAfterASequence() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(role: "department", name: "desk", department: "330899-WJJ")
        let replayed = try monctl(
            ["replay", fixture("events.jsonl"), "--server", server.address, "--token-file", desk])
        #expect(replayed.status == 0, "\(replayed)")
        let admin = server.adminEnvironment

        let all = try monctl(
            ["alerts", "watch", "--after", "0", "--count", "3", "--json"], environment: admin,
            timeout: 30)
        #expect(all.status == 0, "\(all)")
        let transitions = try all.stdout.split(separator: "\n").map {
            try WatchAlertsResponse(jsonString: String($0))
        }.compactMap { response -> AlertTransition? in
            if case .transition(let transition) = response.message { return transition }
            return nil
        }
        #expect(transitions.count == 3)
        #expect(transitions.map(\.sequence) == transitions.map(\.sequence).sorted())
        #expect(transitions.allSatisfy { $0.kind == .raised })

        let resumed = try monctl(
            ["alerts", "watch", "--after", "\(transitions[0].sequence)", "--count", "1",
             "--json"], environment: admin, timeout: 30)
        let next = try WatchAlertsResponse(jsonString: resumed.stdout)
        guard case .transition(let transition) = next.message else {
            Issue.record("expected a transition: \(resumed)")
            return
        }
        #expect(transition.sequence == transitions[1].sequence)

        let lines = try monctl(
            ["alerts", "watch", "--after", "0", "--count", "1", "--level", "yellow"],
            environment: admin, timeout: 30)
        #expect(lines.status == 0, "\(lines)")
        #expect(lines.stdout.hasPrefix("#"), "\(lines)")
        #expect(lines.stdout.contains("raised"))
        #expect(lines.stdout.contains("yellow"))
        #expect(!lines.stdout.contains("\u{1B}["))  // no colour into a pipe
    }

    @Test func exportedCatalogueIsTheImportForm() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let admin = server.adminEnvironment
        try monctl(["rules", "set", "-"], environment: admin, input: "{\"lateReportingHours\": 48}")
            .expectSuccess()
        let exported = try monctl(["catalogue", "export"], environment: admin)
        #expect(exported.status == 0, "\(exported)")
        let document = try JSONValue(parsing: exported.stdout)
        guard case .object(let object) = document, case .array(let items)? = object["items"],
            case .array(let departments)? = object["departments"],
            case .object(let rules)? = object["ruleSettings"]
        else {
            Issue.record("not a catalogue document: \(exported)")
            return
        }
        #expect(items.count == 1)
        #expect(departments.count == 1)
        #expect(rules["lateReportingHours"] == .number("48"))

        // The export imports into a fresh server unchanged.
        let other = try Monitord()
        defer { other.stop() }
        let file = other.directory.appendingPathComponent("catalogue.json").path
        try exported.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        try monctl(["catalogue", "import", file], environment: other.adminEnvironment)
            .expectSuccess()
        let shown = try monctl(["rules", "show"], environment: other.adminEnvironment)
        #expect(shown.stdout.contains("late reporting      48 hours"), "\(shown)")
    }
}

extension RunResult {
    /// Records an issue unless the command exited 0.
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 0, "\(self)", sourceLocation: sourceLocation)
    }
}

/// `alerts watch` as a long-running command: across a server restart, and
/// stopped with Ctrl-C.
@Suite struct WatchTests {
    @Test func watchResumesAfterTheServerRestartsAndMissesNothing() throws {
        let server = try Monitord()
        defer { server.stop() }
        try server.importCatalogue()
        let desk = try server.token(role: "department", name: "desk", department: "330899-WJJ")
        let admin = server.adminEnvironment
        let position = try parse(
            ServerInfo.self, try monctl(["status", "--json"], environment: admin)
        ).alertPosition

        let watch = try BackgroundCommand(
            try builtExecutable("monctl"),
            ["alerts", "watch", "--json", "--count", "1", "--heartbeat", "1"],
            environment: admin)
        #expect(watch.waitForStderr("after sequence \(position)"), "\(watch.stderr)")
        try server.restart()

        // An event reported long after it happened raises a late-reporting
        // warning: the first transition after the restart.
        let reported = try monctl(
            ["case", "receive", "330899-WJJ", "W-1", "--item", "330899-WJJ-002",
             "--at", "2026-03-02T09:00", "--server", server.address, "--token-file", desk])
        #expect(reported.status == 0, "\(reported)")

        #expect(watch.waitForExit(timeout: 40) == 0, "\(watch.stderr)")
        let response = try WatchAlertsResponse(jsonString: watch.stdout)
        guard case .transition(let transition) = response.message else {
            Issue.record("expected a transition: \(watch.stdout)")
            return
        }
        #expect(transition.sequence == position + 1)
        #expect(transition.alert?.caseID == "W-1")
        #expect(watch.stderr.contains("reconnect"), "\(watch.stderr)")
    }

    @Test func interruptingAWatchSaysWhereToResume() throws {
        let server = try Monitord()
        defer { server.stop() }
        let watch = try BackgroundCommand(
            try builtExecutable("monctl"), ["alerts", "watch", "--after", "0"],
            environment: server.adminEnvironment)
        #expect(watch.waitForStderr("(Ctrl-C to stop)"), "\(watch.stderr)")
        kill(watch.process.processIdentifier, SIGINT)
        #expect(watch.waitForExit() == 0, "\(watch.stderr)")
        #expect(watch.stderr.contains("watch stopped after 0 transitions; resume with --after"))
    }
}
