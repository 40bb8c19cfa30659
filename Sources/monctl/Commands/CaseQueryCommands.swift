import Foundation
import Messages
import Services

/// Reading cases: one case as a report, lists with filters, live counts.
enum CaseQueryCommands {
    static var show: Command {
        Command(
            name: "show",
            abstract: "Show one case: where it stands, its deadlines, timeline and alerts.",
            discussion: """
                Times are China Standard Time. A deadline is the end (24:00) of its date. \
                Personal data is masked for tokens that may not see it.
                """,
            arguments: CaseDeskCommands.caseArguments,
            examples: [
                "monctl case show 330899-WJJ 2026-0001",
                "monctl case show 330899-WJJ 2026-0001 --json | jq .deadlines",
            ],
            run: { invocation in
                let request = GetCaseRequest(
                    departmentCode: invocation.argument("department"),
                    caseID: invocation.argument("case"))
                let view = try await invocation.withConnection {
                    try await $0.call(CaseService.getCase, request)
                }
                if invocation.json { return invocation.output.json(view) }
                invocation.output.write(report(view, invocation.output))
            })
    }

    /// The case as a readable report.
    static func report(_ view: CaseView, _ output: Output) -> String {
        let summary = view.summary ?? CaseSummary()
        var out = ""
        var details = Details()
        details.add("case", "\(summary.departmentCode) \(summary.caseID)")
        var item = summary.itemCode
        if !summary.itemName.isEmpty { item += "  " + summary.itemName }
        details.add("item", item)
        details.add("title", summary.title)
        var state = Choices.caseState.shortName(summary.state)
        if summary.result != .unspecified {
            state += " (" + Choices.conclusion.shortName(summary.result) + ")"
        }
        details.add("state", state)
        if summary.highestLevel != .unspecified {
            details.add("highest alert", Format.level(summary.highestLevel, output))
        }
        if let applicant = view.applicant {
            var text = applicant.name
            if applicant.type != .unspecified {
                text += " (" + Choices.applicantType.shortName(applicant.type) + ")"
            }
            if !applicant.idNumber.isEmpty {
                text += ", " + Choices.idType.shortName(applicant.idType) + " " + applicant.idNumber
            }
            if !applicant.phone.isEmpty { text += ", phone " + applicant.phone }
            details.add("applicant", text)
        }
        details.add("received", Format.time(summary.receivedAt))
        details.add("accepted", Format.time(summary.acceptedAt))
        details.add("concluded", Format.time(summary.concludedAt))
        if view.pausedDays > 0 {
            details.add("paused", Format.workingDays(view.pausedDays) + " by special procedures")
        }
        if view.extensionDays > 0 {
            details.add("extension", Format.workingDays(view.extensionDays))
        }
        if view.feesTotalFen != 0 || view.feeStandardFen != 0 {
            let standard = view.feeStandardFen == 0
                ? "the item may charge nothing" : "standard " + Format.money(view.feeStandardFen)
            details.add("fees", Format.money(view.feesTotalFen) + " charged; " + standard)
        }
        out += details.render()

        if !view.deadlines.isEmpty {
            out += "\nDEADLINES\n"
            var table = Table("KIND", "SUBJECT", "LIMIT", "DUE", "STATE")
            table.rightAligned = [2]
            for deadline in view.deadlines {
                table.append(
                    Choices.deadline.shortName(deadline.kind), deadline.subject,
                    limit(deadline),
                    deadline.paused ? "held" : (deadline.dueDate.isEmpty
                        ? Format.deadline(deadline.dueAt) : deadline.dueDate + " 24:00"),
                    deadlineState(deadline, now: Timestamp(Date())))
            }
            out += indent(table.render())
        }

        if !view.timeline.isEmpty {
            out += "\nTIMELINE\n"
            var table = Table("WHEN", "EVENT", "DETAILS", "REPORTED")
            for entry in view.timeline {
                let event = entry.event ?? CaseEvent()
                var reported = Format.time(entry.reportedAt)
                if entry.reportedLate { reported += " late" }
                var what = EventText.kind(event.kind)
                if event.revision > 0 { what += " rev \(event.revision)" }
                if entry.superseded { what += " (superseded)" }
                table.append(
                    Format.time(event.occurredAt), what, EventText.details(event.kind), reported)
            }
            out += indent(table.render())
        }

        out += "\nALERTS\n"
        if view.alerts.isEmpty {
            out += "  none\n"
        } else {
            var table = Table("LEVEL", "RULE", "STATUS", "DUE", "DESCRIPTION")
            for alert in view.alerts {
                table.append(
                    Format.level(alert.level, output), Choices.rule.shortName(alert.rule),
                    Choices.alertStatus.shortName(alert.status), Format.deadline(alert.dueAt),
                    alert.description)
            }
            out += indent(table.render())
            out += "  alert ids: monctl alerts list --department \(summary.departmentCode) "
                + "--case \(summary.caseID)\n"
        }
        return out
    }

    /// The limit in days; a 0 is shown only where it means something (an
    /// immediate item's promised or legal limit).
    private static func limit(_ deadline: Deadline) -> String {
        let meaningful = deadline.kind == .promised || deadline.kind == .legal
        return deadline.limitDays > 0 || meaningful ? "\(deadline.limitDays)" : ""
    }

    private static func deadlineState(_ deadline: Deadline, now: Timestamp) -> String {
        var words: [String] = []
        if let met = deadline.metAt {
            if let due = deadline.dueAt, met >= due {
                words.append("met late " + Format.time(met))
            } else {
                words.append("met " + Format.time(met))
            }
        } else if deadline.paused {
            words.append("paused by a special procedure")
        } else if let due = deadline.dueAt {
            words.append(now >= due ? "overdue" : "open")
        }
        if deadline.provisional { words.append("provisional: calendar missing") }
        return words.joined(separator: ", ")
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
    }

    // MARK: Lists

    static var cases: Command {
        Command(
            name: "cases",
            abstract: "List cases with filters, and live counts per department.",
            subcommands: [list, counts])
    }

    static var list: Command {
        Command(
            name: "list",
            abstract: "List cases, newest received first.",
            options: [
                .value("department", "code", "Only this department's cases.", repeatable: true),
                .value("item", "code", "Only cases of this item."),
                .value(
                    "state", "state",
                    "Only cases in this state: received, awaiting-correction, in-progress, "
                        + "in-special-procedure, concluded, delivered or refused.",
                    repeatable: true),
                .value("received-from", "instant", "Only cases received at or after this."),
                .value("received-to", "instant", "Only cases received before this."),
                .value(
                    "min-level", "level",
                    "Only cases whose standing alerts reach warning, yellow or red."),
            ] + PagingOptions.all,
            examples: [
                "monctl cases list --department 330899-WJJ --state in-progress",
                "monctl cases list --min-level red --all --json",
                "monctl cases list --received-from 2026-03-01 --received-to 2026-04-01",
            ],
            run: runList)
    }

    private static func runList(_ invocation: Invocation) async throws {
        var request = ListCasesRequest(
            departmentCodes: invocation.options("department"),
            itemCode: invocation.option("item") ?? "",
            states: try invocation.choices("state", Choices.caseState),
            minLevel: try invocation.choice("min-level", Choices.level) ?? .unspecified)
        let from = try invocation.instant("received-from", allowDate: true)
        let to = try invocation.instant("received-to", allowDate: true)
        if from != nil || to != nil { request.received = TimeRange(start: from, end: to) }
        let paging = try invocation.paging()
        let (cases, next) = try await invocation.withConnection { connection in
            try await paging.collect { token, size in
                var page = request
                page.pageToken = token
                page.pageSize = size
                let response = try await connection.call(CaseService.listCases, page)
                return (response.cases, response.nextPageToken)
            }
        }
        if invocation.json {
            return invocation.output.json(ListCasesResponse(cases: cases, nextPageToken: next))
        }
        guard !cases.isEmpty else { return noteEmpty(invocation, "no cases match") }
        var table = Table(
            "DEPARTMENT", "CASE", "ITEM", "STATE", "RECEIVED", "PROMISED", "LEGAL", "ALERT")
        for summary in cases {
            var state = Choices.caseState.shortName(summary.state)
            if summary.result != .unspecified {
                state += " (" + Choices.conclusion.shortName(summary.result) + ")"
            }
            table.append(
                summary.departmentCode, summary.caseID, summary.itemCode, state,
                Format.time(summary.receivedAt), Format.deadline(summary.promisedDeadline),
                Format.deadline(summary.legalDeadline),
                summary.highestLevel == .unspecified
                    ? "" : Format.level(summary.highestLevel, invocation.output))
        }
        invocation.output.write(table.render())
        noteMore(next, invocation, noun: "cases")
    }

    static var counts: Command {
        Command(
            name: "counts",
            abstract: "Show live counts per department: open, paused, overdue, alerts.",
            options: [
                .value("department", "code", "Only this department.", repeatable: true)
            ],
            examples: ["monctl cases counts"],
            run: { invocation in
                let response = try await invocation.withConnection {
                    try await $0.call(
                        CaseService.getCaseCounts,
                        GetCaseCountsRequest(departmentCodes: invocation.options("department")))
                }
                if invocation.json { return invocation.output.json(response) }
                guard !response.departments.isEmpty else {
                    return noteEmpty(invocation, "no open cases")
                }
                var table = Table(
                    "DEPARTMENT", "OPEN", "PAUSED", "OVERDUE", "WARNINGS", "YELLOW", "RED",
                    rightAligned: [1, 2, 3, 4, 5, 6])
                for counts in response.departments {
                    table.append(
                        counts.departmentCode, "\(counts.openCases)",
                        "\(counts.inSpecialProcedure)", "\(counts.overdue)", "\(counts.warnings)",
                        "\(counts.yellowCards)", "\(counts.redCards)")
                }
                invocation.output.write(table.render())
                invocation.output.note(
                    "as of \(Format.time(response.asOf)), alert log position "
                        + "\(response.alertPosition)")
            })
    }
}
