import Foundation
import Messages
import Services

/// Citizens' complaints (投诉处理). A server that does not offer the
/// complaint service yet answers every call UNIMPLEMENTED; these commands
/// then say so and exit with status 4, showing nothing invented.
enum ComplaintCommands {
    static var complaints: Command {
        Command(
            name: "complaints",
            abstract: "File, handle and list citizens' complaints (投诉).",
            discussion: """
                A complaint about a department (and optionally a case) is registered, \
                accepted within 5 working days or declined with a reason, and concluded \
                within 15 working days of acceptance with a finding and a reply; the \
                complainant may rate the answer. A server that does not offer complaints \
                yet makes these commands exit with status 4.
                """,
            subcommands: [file, accept, decline, conclude, rate, show, list])
    }

    private static let complaintArgument = Argument(
        name: "complaint", help: "The complaint's id.")

    /// A command that sends one request and prints the complaint it returns.
    private static func action<Request: ProtoMessage>(
        _ name: String, _ abstract: String, arguments: [Argument] = [complaintArgument],
        options: [Option] = [], examples: [String],
        method: MethodDescriptor<Request, Complaint>,
        build: @escaping @Sendable (Invocation) throws -> Request
    ) -> Command {
        Command(
            name: name, abstract: abstract, arguments: arguments, options: options,
            examples: examples,
            run: { invocation in
                let request = try build(invocation)
                let complaint = try await invocation.withConnection {
                    try await $0.call(method, request)
                }
                if invocation.json { return invocation.output.json(complaint) }
                invocation.output.write(render(complaint, invocation.output))
            })
    }

    static var file: Command {
        action(
            "file", "Register a complaint received by phone, web or at the counter.",
            arguments: [
                Argument(name: "department", help: "The department complained about.")
            ],
            options: [
                .value("content", "text", "What the complaint says.", required: true),
                .value("channel", "channel", "phone, web or counter.", required: true),
                .value("case", "case", "The case it concerns, if any."),
                .value("name", "name", "The complainant's name (personal data)."),
                .value("phone", "number", "The complainant's phone."),
                .value("received-at", "instant", "When it arrived (default now)."),
            ],
            examples: [
                "monctl complaints file 330899-WJJ --channel phone --content 办理超时 "
                    + "--case 2026-0001 --name 王五 --phone 13900000000"
            ],
            method: ComplaintService.fileComplaint,
            build: { invocation in
                var request = FileComplaintRequest(
                    channel: try invocation.choice("channel", Choices.complaintChannel)!,
                    departmentCode: invocation.argument("department"),
                    caseID: invocation.option("case") ?? "",
                    content: invocation.required("content"),
                    receivedAt: try invocation.instant("received-at"))
                let complainant = Complainant(
                    name: invocation.option("name") ?? "", phone: invocation.option("phone") ?? "")
                if complainant != Complainant() { request.complainant = complainant }
                return request
            })
    }

    static var accept: Command {
        action(
            "accept", "Accept a complaint for investigation.",
            options: [.value("note", "text", "A note on the acceptance.")],
            examples: ["monctl complaints accept C-2026-0001"],
            method: ComplaintService.acceptComplaint,
            build: { invocation in
                AcceptComplaintRequest(
                    complaintID: invocation.argument("complaint"),
                    note: invocation.option("note") ?? "")
            })
    }

    static var decline: Command {
        action(
            "decline", "Decline a complaint, with a reason.",
            options: [.value("reason", "text", "Why it is declined.", required: true)],
            examples: ["monctl complaints decline C-2026-0002 --reason 不属于受理范围"],
            method: ComplaintService.declineComplaint,
            build: { invocation in
                DeclineComplaintRequest(
                    complaintID: invocation.argument("complaint"),
                    reason: invocation.required("reason"))
            })
    }

    static var conclude: Command {
        action(
            "conclude", "Conclude a complaint with a finding and a reply.",
            options: [
                .value(
                    "finding", "finding",
                    "substantiated, partly-substantiated or unsubstantiated.", required: true),
                .value("reply", "text", "The reply to the complainant.", required: true),
            ],
            examples: [
                "monctl complaints conclude C-2026-0001 --finding substantiated --reply 已责令整改"
            ],
            method: ComplaintService.concludeComplaint,
            build: { invocation in
                ConcludeComplaintRequest(
                    complaintID: invocation.argument("complaint"),
                    finding: try invocation.choice("finding", Choices.finding)!,
                    reply: invocation.required("reply"))
            })
    }

    static var rate: Command {
        action(
            "rate", "Record the complainant's rating of the answer.",
            options: [
                .value(
                    "rating", "rating", "satisfied, basically-satisfied or unsatisfied.",
                    required: true),
                .value("comment", "text", "The complainant's comment."),
            ],
            examples: ["monctl complaints rate C-2026-0001 --rating satisfied"],
            method: ComplaintService.rateComplaint,
            build: { invocation in
                RateComplaintRequest(
                    complaintID: invocation.argument("complaint"),
                    rating: try invocation.choice("rating", Choices.satisfaction)!,
                    comment: invocation.option("comment") ?? "")
            })
    }

    static var show: Command {
        action(
            "show", "Show one complaint with its deadlines and alerts.",
            examples: ["monctl complaints show C-2026-0001"],
            method: ComplaintService.getComplaint,
            build: { GetComplaintRequest(complaintID: $0.argument("complaint")) })
    }

    static var list: Command {
        Command(
            name: "list",
            abstract: "List complaints with filters.",
            options: [
                .value("department", "code", "Only about this department.", repeatable: true),
                .value(
                    "state", "state", "registered, accepted, declined or concluded.",
                    repeatable: true),
                .value("received-from", "instant", "Only complaints received at or after this."),
                .value("received-to", "instant", "Only complaints received before this."),
            ] + PagingOptions.all,
            examples: ["monctl complaints list --state registered"],
            run: { invocation in
                var request = ListComplaintsRequest(
                    departmentCodes: invocation.options("department"),
                    states: try invocation.choices("state", Choices.complaintState))
                let from = try invocation.instant("received-from", allowDate: true)
                let to = try invocation.instant("received-to", allowDate: true)
                if from != nil || to != nil { request.received = TimeRange(start: from, end: to) }
                let paging = try invocation.paging()
                let (complaints, next) = try await invocation.withConnection { connection in
                    try await paging.collect { token, size in
                        var page = request
                        page.pageToken = token
                        page.pageSize = size
                        let response = try await connection.call(
                            ComplaintService.listComplaints, page)
                        return (response.complaints, response.nextPageToken)
                    }
                }
                if invocation.json {
                    return invocation.output.json(
                        ListComplaintsResponse(complaints: complaints, nextPageToken: next))
                }
                guard !complaints.isEmpty else {
                    return noteEmpty(invocation, "no complaints match")
                }
                var table = Table("ID", "DEPARTMENT", "CASE", "STATE", "RECEIVED", "DUE", "CONTENT")
                for complaint in complaints {
                    let due = complaint.state == .registered
                        ? complaint.acceptDueAt : complaint.concludeDueAt
                    table.append(
                        complaint.complaintID, complaint.departmentCode, complaint.caseID,
                        Choices.complaintState.shortName(complaint.state),
                        Format.time(complaint.receivedAt), Format.deadline(due), complaint.content)
                }
                invocation.output.write(table.render())
                noteMore(next, invocation, noun: "complaints")
            })
    }

    private static func render(_ complaint: Complaint, _ output: Output) -> String {
        var details = Details()
        details.add("complaint", complaint.complaintID)
        details.add("state", Choices.complaintState.shortName(complaint.state))
        details.add("department", complaint.departmentCode)
        details.add("case", complaint.caseID)
        details.add("channel", Choices.complaintChannel.shortName(complaint.channel))
        if let person = complaint.complainant {
            details.add(
                "complainant", [person.name, person.phone].filter { !$0.isEmpty }
                    .joined(separator: ", "))
        }
        details.add("content", complaint.content)
        details.add("received", Format.time(complaint.receivedAt))
        details.add("accept by", Format.deadline(complaint.acceptDueAt))
        details.add("accepted", Format.time(complaint.acceptedAt))
        details.add("conclude by", Format.deadline(complaint.concludeDueAt))
        details.add("declined", complaint.declineReason)
        details.add("concluded", Format.time(complaint.concludedAt))
        if complaint.finding != .unspecified {
            details.add("finding", Choices.finding.shortName(complaint.finding))
        }
        details.add("reply", complaint.reply)
        if complaint.rating != .unspecified {
            details.add("rating", Choices.satisfaction.shortName(complaint.rating))
        }
        var out = details.render()
        if !complaint.alerts.isEmpty {
            out += "\nALERTS\n" + AlertCommands.table(complaint.alerts, output).render()
        }
        return out
    }
}

/// Performance evaluation (绩效评估): monthly scores per department.
enum EvaluationCommands {
    static var evaluation: Command {
        Command(
            name: "evaluation",
            abstract: "Show, publish and list performance evaluations (绩效评估).",
            discussion: """
                A period is a month (2026-03), a quarter (2026-Q1), a half-year (2026-H1) \
                or a year (2026). A server that does not offer evaluation yet makes these \
                commands exit with status 4.
                """,
            subcommands: [show, publish, list])
    }

    private static let periodArgument = Argument(
        name: "period", help: "2026-03, 2026-Q1, 2026-H1 or 2026.")

    /// Reads a period: `2026-03`, `2026-Q1`, `2026-H1` or `2026`.
    static func parsePeriod(_ text: String) throws -> Period {
        let upper = text.uppercased()
        let parts = upper.split(separator: "-", omittingEmptySubsequences: false)
        let fail = invalidValue(
            "<period>", text,
            "is not a period; expected a month 2026-03, a quarter 2026-Q1, a half-year 2026-H1 "
                + "or a year 2026")
        guard let year = Int32(parts[0]), (2000...2100).contains(year) else { throw fail }
        if parts.count == 1 { return Period(kind: .year, year: year, index: 1) }
        guard parts.count == 2 else { throw fail }
        let rest = parts[1]
        if rest.hasPrefix("Q"), let index = UInt32(rest.dropFirst()), (1...4).contains(index) {
            return Period(kind: .quarter, year: year, index: index)
        }
        if rest.hasPrefix("H"), let index = UInt32(rest.dropFirst()), (1...2).contains(index) {
            return Period(kind: .halfYear, year: year, index: index)
        }
        if let index = UInt32(rest), (1...12).contains(index) {
            return Period(kind: .month, year: year, index: index)
        }
        throw fail
    }

    static func describe(_ period: Period?) -> String {
        guard let period else { return "" }
        switch period.kind {
        case .month: return "\(period.year)-" + (period.index < 10 ? "0" : "") + "\(period.index)"
        case .quarter: return "\(period.year)-Q\(period.index)"
        case .halfYear: return "\(period.year)-H\(period.index)"
        default: return "\(period.year)"
        }
    }

    static var show: Command {
        Command(
            name: "show",
            abstract: "Show a period's evaluation: the published revision, or a draft.",
            arguments: [periodArgument],
            options: [
                .value("department", "code", "Only this department.", repeatable: true),
                .value("revision", "n", "This published revision."),
                .flag("draft", "Compute a fresh draft even when a revision is published."),
            ],
            examples: ["monctl evaluation show 2026-03", "monctl evaluation show 2026-Q1 --draft"],
            run: { invocation in
                let request = GetEvaluationRequest(
                    period: try parsePeriod(invocation.argument("period")),
                    departmentCodes: invocation.options("department"),
                    revision: try invocation.integer("revision", in: 1...UInt32.max) ?? 0,
                    draft: invocation.flag("draft"))
                let report = try await invocation.withConnection {
                    try await $0.call(EvaluationService.getEvaluation, request)
                }
                if invocation.json { return invocation.output.json(report) }
                invocation.output.write(render(report))
            })
    }

    static var publish: Command {
        Command(
            name: "publish",
            abstract: "Compute a period now and publish it as a new, frozen revision.",
            arguments: [periodArgument],
            examples: ["monctl evaluation publish 2026-03"],
            run: { invocation in
                let request = PublishEvaluationRequest(
                    period: try parsePeriod(invocation.argument("period")))
                let report = try await invocation.withConnection {
                    try await $0.call(EvaluationService.publishEvaluation, request)
                }
                if invocation.json { return invocation.output.json(report) }
                invocation.output.write(render(report))
            })
    }

    static var list: Command {
        Command(
            name: "list",
            abstract: "List the published revisions of a year's periods.",
            arguments: [Argument(name: "year", help: "The year, e.g. 2026.")],
            examples: ["monctl evaluation list 2026"],
            run: { invocation in
                let year: Int32 = try parseInteger(
                    invocation.argument("year"), name: "<year>", in: 2000...2100)
                let response = try await invocation.withConnection {
                    try await $0.call(
                        EvaluationService.listEvaluations, ListEvaluationsRequest(year: year))
                }
                if invocation.json { return invocation.output.json(response) }
                guard !response.revisions.isEmpty else {
                    return noteEmpty(invocation, "no evaluations published for \(year)")
                }
                var table = Table("PERIOD", "REVISION", "SCHEME", "PUBLISHED", "BY")
                for revision in response.revisions {
                    table.append(
                        describe(revision.period), "\(revision.revision)",
                        "\(revision.schemeVersion)", Format.time(revision.publishedAt),
                        revision.publishedBy)
                }
                invocation.output.write(table.render())
            })
    }

    private static func render(_ report: EvaluationReport) -> String {
        var out = "evaluation \(describe(report.period)): "
        out += report.published
            ? "revision \(report.revision), published \(Format.time(report.publishedAt)) by "
                + report.publishedBy
            : "draft computed \(Format.time(report.computedAt))"
        out += ", scheme version \(report.schemeVersion)\n\n"
        var table = Table(
            "DEPARTMENT", "SCORE", "GRADE", "RECEIVED", "CONCLUDED", "ON TIME", "YELLOW", "RED",
            rightAligned: [1, 3, 4, 5, 6, 7])
        for department in report.departments {
            let counts = department.counts ?? EvaluationCounts()
            let onTime = department.rates.map { "\(Int(($0.onTime * 100).rounded()))%" } ?? ""
            table.append(
                department.departmentCode + " " + department.departmentName,
                "\((department.score * 10).rounded() / 10)",
                Choices.grade.shortName(department.grade), "\(counts.received)",
                "\(counts.concluded)", onTime, "\(counts.yellowCards)", "\(counts.redCards)")
        }
        return out + table.render()
    }
}
