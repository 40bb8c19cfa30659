import Foundation
import Messages
import Services
import Synchronization

/// Alerts and the supervision that follows them (督办): listing, one alert's
/// history, and every action a supervisor or a department takes on one.
enum AlertCommands {
    static var alerts: Command {
        Command(
            name: "alerts",
            abstract: "List, show and watch alerts, and act on them (督办).",
            discussion: """
                An alert is a warning (预警), a yellow card (黄牌) or a red card (红牌). \
                Supervisors issue a notice on it, the department answers with feedback, and \
                the supervisor closes it or returns it; cards may be appealed and revoked.
                """,
            subcommands: [
                list, show, WatchCommand.command, notice, feedback, close, returnNotice,
                escalate, appeal, decide, card,
            ])
    }

    /// The filter options shared by `list` and `watch`.
    static let filterOptions: [Option] = [
        .value("department", "code", "Only this department's alerts.", repeatable: true),
        .value("level", "level", "Only warning, yellow or red.", repeatable: true),
        .value("rule", "rule", "Only this rule's alerts, e.g. case-time.", repeatable: true),
        .value(
            "status", "status",
            "Only alerts in this status: active, notice-issued, feedback-submitted, closed, "
                + "escalated, withdrawn or revoked.",
            repeatable: true),
        .value("case", "case", "Only this case's alerts (with --department naming it)."),
    ]

    /// The filter the options describe.
    static func filter(_ invocation: Invocation) throws -> AlertFilter {
        let departments = invocation.options("department")
        let caseID = invocation.option("case") ?? ""
        if !caseID.isEmpty && departments.count != 1 {
            throw invocation.usage(
                "--case needs the case's department: add --department <code> (once)")
        }
        return AlertFilter(
            departmentCodes: departments, levels: try invocation.choices("level", Choices.level),
            rules: try invocation.choices("rule", Choices.rule),
            statuses: try invocation.choices("status", Choices.alertStatus), caseID: caseID)
    }

    static var list: Command {
        Command(
            name: "list",
            abstract: "List alerts as they stand now, newest first.",
            options: filterOptions + [
                .value("due-from", "instant", "Only alerts that became true at or after this."),
                .value("due-to", "instant", "Only alerts that became true before this."),
            ] + PagingOptions.all,
            examples: [
                "monctl alerts list --level red --status active",
                "monctl alerts list --department 330899-WJJ --case 2026-0001",
                "monctl alerts list --rule case-time --due-from 2026-03-01 --json",
            ],
            run: runList)
    }

    private static func runList(_ invocation: Invocation) async throws {
        var request = ListAlertsRequest(filter: try filter(invocation))
        let from = try invocation.instant("due-from", allowDate: true)
        let to = try invocation.instant("due-to", allowDate: true)
        if from != nil || to != nil { request.due = TimeRange(start: from, end: to) }
        let paging = try invocation.paging()
        let position = PositionBox()
        let (alerts, next) = try await invocation.withConnection { connection in
            try await paging.collect { token, size in
                var page = request
                page.pageToken = token
                page.pageSize = size
                let response = try await connection.call(AlertService.listAlerts, page)
                position.set(response.position)
                return (response.alerts, response.nextPageToken)
            }
        }
        if invocation.json {
            return invocation.output.json(
                ListAlertsResponse(alerts: alerts, nextPageToken: next, position: position.value))
        }
        guard !alerts.isEmpty else { return noteEmpty(invocation, "no alerts match") }
        invocation.output.write(table(alerts, invocation.output).render())
        noteMore(next, invocation, noun: "alerts")
    }

    /// Alerts as a table, the id last so that it is never cut.
    static func table(_ alerts: [Alert], _ output: Output) -> Table {
        var table = Table(
            "LEVEL", "RULE", "STATUS", "DEPARTMENT", "CASE", "DUE", "DESCRIPTION", "ID")
        for alert in alerts {
            var status = Choices.alertStatus.shortName(alert.status)
            if alert.appeal == .pending { status += ", appealed" }
            table.append(
                Format.level(alert.level, output), Choices.rule.shortName(alert.rule), status,
                alert.departmentCode, alert.caseID, Format.deadline(alert.dueAt),
                alert.description, alert.alertID)
        }
        return table
    }

    static var show: Command {
        Command(
            name: "show",
            abstract: "Show one alert with its notice and every transition it went through.",
            arguments: [alertArgument],
            examples: ["monctl alerts show 'case:330899-WJJ/2026-0001|caseTime|promised|yellow'"],
            run: { invocation in
                let view = try await invocation.withConnection {
                    try await $0.call(
                        AlertService.getAlert,
                        GetAlertRequest(alertID: invocation.argument("alert")))
                }
                if invocation.json { return invocation.output.json(view) }
                invocation.output.write(render(view, invocation.output))
            })
    }

    static let alertArgument = Argument(
        name: "alert", help: "The alert's id, as alerts list shows it (quote it in a shell).")

    static func render(_ view: AlertView, _ output: Output) -> String {
        let alert = view.alert ?? Alert()
        var details = Details()
        details.add("alert", alert.alertID)
        details.add("level", Format.level(alert.level, output))
        details.add("rule", Choices.rule.shortName(alert.rule))
        var status = Choices.alertStatus.shortName(alert.status)
        if alert.appeal != .unspecified {
            status += "; appeal " + Choices.appealStatus.shortName(alert.appeal)
        }
        details.add("status", status)
        details.add("department", alert.departmentCode)
        details.add("case", alert.caseID)
        details.add("subject", alert.subject)
        details.add("due", Format.deadline(alert.dueAt))
        details.add("raised", Format.time(alert.raisedAt))
        details.add("region", alert.regionCode)
        details.add("description", alert.description)
        details.add("facts", alert.facts.map { "\($0.name)=\($0.value)" }.joined(separator: "\n"))
        if let notice = alert.notice {
            details.add(
                "notice (督办单)",
                "issued \(Format.time(notice.issuedAt)) by \(notice.issuedBy); feedback due "
                    + notice.feedbackDueDate
                    + (notice.timesReturned > 0 ? "; returned \(notice.timesReturned)×" : ""))
            details.add("instructions", notice.instructions)
            if notice.feedbackAt != nil {
                details.add(
                    "feedback (反馈)", "\(Format.time(notice.feedbackAt)) by \(notice.feedbackBy)")
                details.add("explanation", notice.explanation)
                details.add("rectification", notice.rectification)
            }
        }
        details.add("sequence", "\(alert.sequence)")
        var out = details.render()
        if !view.history.isEmpty {
            out += "\nHISTORY\n"
            var table = Table("SEQ", "AT", "CHANGE", "BY", "NOTE", rightAligned: [0])
            for transition in view.history {
                table.append(
                    transition.sequence == 0 ? "" : "\(transition.sequence)",
                    Format.time(transition.at), Choices.transition.shortName(transition.kind),
                    transition.actor, transition.note)
            }
            out += table.render().split(separator: "\n").map { "  " + $0 }
                .joined(separator: "\n") + "\n"
        }
        return out
    }

    // MARK: Actions

    /// An action on one alert: `build` makes the request, `call` sends it.
    private static func action<Request: ProtoMessage>(
        _ name: String, _ abstract: String, discussion: String = "",
        arguments: [Argument] = [], options: [Option], examples: [String],
        method: MethodDescriptor<Request, AlertView>,
        build: @escaping @Sendable (Invocation) throws -> Request,
        done: @escaping @Sendable (Alert) -> String
    ) -> Command {
        Command(
            name: name, abstract: abstract, discussion: discussion,
            arguments: [alertArgument] + arguments, options: options, examples: examples,
            run: { invocation in
                let request = try build(invocation)
                let view = try await invocation.withConnection {
                    try await $0.call(method, request)
                }
                if invocation.json { return invocation.output.json(view) }
                let alert = view.alert ?? Alert()
                invocation.output.line(
                    done(alert) + "; the alert is now "
                        + Choices.alertStatus.shortName(alert.status)
                        + (alert.appeal == .unspecified
                            ? "" : ", appeal " + Choices.appealStatus.shortName(alert.appeal)))
            })
    }

    private static let feedbackDays = Option.value(
        "feedback-days", "n", "Working days until feedback is due (default the centre's, 3).")

    static var notice: Command {
        action(
            "notice", "Issue a supervision notice (督办单) on an alert (supervisors).",
            options: [
                .value(
                    "instructions", "text", "What the department is to explain or put right.",
                    required: true),
                feedbackDays,
            ],
            examples: [
                "monctl alerts notice \"$ALERT\" --instructions 请说明超期原因并整改 --feedback-days 3"
            ],
            method: AlertService.issueNotice,
            build: { invocation in
                IssueNoticeRequest(
                    alertID: invocation.argument("alert"),
                    instructions: invocation.required("instructions"),
                    feedbackDays: try invocation.integer("feedback-days", in: 1...60) ?? 0)
            },
            done: { "notice issued; feedback due \($0.notice?.feedbackDueDate ?? "")" })
    }

    static var feedback: Command {
        action(
            "feedback", "Answer a supervision notice with feedback (反馈) (departments).",
            options: [
                .value("explanation", "text", "Why it happened.", required: true),
                .value("rectification", "text", "What was put right, and how it is prevented."),
            ],
            examples: [
                "monctl alerts feedback \"$ALERT\" --explanation 专家评审延误 "
                    + "--rectification 已建立评审时限提醒"
            ],
            method: AlertService.submitFeedback,
            build: { invocation in
                SubmitFeedbackRequest(
                    alertID: invocation.argument("alert"),
                    explanation: invocation.required("explanation"),
                    rectification: invocation.option("rectification") ?? "")
            },
            done: { _ in "feedback submitted" })
    }

    static var close: Command {
        action(
            "close", "Accept the feedback as verified and close the notice (supervisors).",
            options: [.value("comment", "text", "A comment on the verification.")],
            examples: ["monctl alerts close \"$ALERT\" --comment 整改到位"],
            method: AlertService.closeNotice,
            build: { invocation in
                CloseNoticeRequest(
                    alertID: invocation.argument("alert"),
                    comment: invocation.option("comment") ?? "")
            },
            done: { _ in "notice closed" })
    }

    static var returnNotice: Command {
        action(
            "return", "Return the feedback for more (打回); feedback is due again (supervisors).",
            options: [
                .value("reason", "text", "What more is needed.", required: true), feedbackDays,
            ],
            examples: ["monctl alerts return \"$ALERT\" --reason 整改措施不具体"],
            method: AlertService.returnNotice,
            build: { invocation in
                ReturnNoticeRequest(
                    alertID: invocation.argument("alert"), reason: invocation.required("reason"),
                    feedbackDays: try invocation.integer("feedback-days", in: 1...60) ?? 0)
            },
            done: { "feedback returned; new feedback due \($0.notice?.feedbackDueDate ?? "")" })
    }

    static var escalate: Command {
        action(
            "escalate", "Escalate an alert to an investigation (调查) (supervisors).",
            options: [.value("reason", "text", "Why.", required: true)],
            examples: ["monctl alerts escalate \"$ALERT\" --reason 多次督办未整改"],
            method: AlertService.escalate,
            build: { invocation in
                EscalateRequest(
                    alertID: invocation.argument("alert"), reason: invocation.required("reason"))
            },
            done: { _ in "escalated to an investigation" })
    }

    static var appeal: Command {
        action(
            "appeal", "Appeal a card (申诉) (departments).",
            options: [
                .value("grounds", "text", "Why the department holds the card wrong.",
                       required: true)
            ],
            examples: ["monctl alerts appeal \"$ALERT\" --grounds 系统故障导致延迟上报"],
            method: AlertService.appeal,
            build: { invocation in
                AppealRequest(
                    alertID: invocation.argument("alert"), grounds: invocation.required("grounds"))
            },
            done: { _ in "appeal filed" })
    }

    static var decide: Command {
        action(
            "decide", "Decide an appeal: uphold the card or revoke it (撤销) (supervisors).",
            discussion: "A revoked card does not count in evaluation.",
            arguments: [Argument(name: "decision", help: "uphold or revoke.")],
            options: [.value("reason", "text", "Why.", required: true)],
            examples: ["monctl alerts decide \"$ALERT\" revoke --reason 经核实系统故障属实"],
            method: AlertService.decideAppeal,
            build: { invocation in
                DecideAppealRequest(
                    alertID: invocation.argument("alert"),
                    decision: try Choices.appealDecision.parse(
                        invocation.argument("decision"), name: "<decision>"),
                    reason: invocation.required("reason"))
            },
            done: { $0.status == .revoked ? "card revoked" : "card upheld" })
    }

    static var card: Command {
        Command(
            name: "card",
            abstract: "Issue a card by hand (人工发牌), with a reason (supervisors).",
            arguments: [
                Argument(name: "department", help: "The department it counts against."),
                Argument(
                    name: "case", help: "The case it concerns; leave out for the department.",
                    isOptional: true),
            ],
            options: [
                .value("level", "level", "yellow or red (warning is allowed too).", required: true),
                .value("reason", "text", "Why.", required: true),
            ],
            examples: [
                "monctl alerts card 330899-WJJ 2026-0001 --level yellow --reason 窗口服务态度差",
                "monctl alerts card 330899-WJJ --level red --reason 拒不整改",
            ],
            run: { invocation in
                let request = IssueManualCardRequest(
                    departmentCode: invocation.argument("department"),
                    caseID: invocation.optionalArgument("case") ?? "",
                    level: try invocation.choice("level", Choices.level)!,
                    reason: invocation.required("reason"))
                let view = try await invocation.withConnection {
                    try await $0.call(AlertService.issueManualCard, request)
                }
                if invocation.json { return invocation.output.json(view) }
                let alert = view.alert ?? Alert()
                invocation.output.line(
                    "issued a \(Format.level(alert.level, invocation.output)) card: "
                        + alert.alertID)
            })
    }
}

/// The alert log position a list's first page reported: a watch resumed
/// after it continues the list with no gap.
final class PositionBox: Sendable {
    private let storage = Mutex<UInt64?>(nil)

    func set(_ position: UInt64) {
        storage.withLock { $0 = $0 ?? position }
    }

    var value: UInt64 { storage.withLock { $0 ?? 0 } }
}
