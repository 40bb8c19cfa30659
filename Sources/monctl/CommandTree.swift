/// Every command of monctl, as one tree: nouns, then verbs.
enum CommandTree {
    static let root = Command(
        name: "monctl",
        abstract: "The command line of Approval Monitor (行政审批电子监察系统).",
        discussion: """
            For administrators (catalogue, calendars, tokens), supervisors (alerts and the \
            supervision that follows them) and department desks (recording cases without an \
            approval system of their own). The server and token come from --server and \
            --token, else MONCTL_SERVER and MONCTL_TOKEN, else the configuration file \
            (~/.config/monctl/config: lines of key = value with keys server, token, \
            token-file, timeout). Tables are the default output; --json prints the server's \
            responses in proto3 JSON. Times are shown in China Standard Time.
            """,
        options: [.flag("version", "Show monctl's version.")],
        examples: [
            "monctl status",
            "monctl catalogue import demo/catalogue.json",
            "monctl case receive 330899-WJJ 2026-0001 --item 330899-WJJ-002",
            "monctl alerts watch --level red",
            "monctl help case accept",
        ],
        subcommands: [
            AdminCommands.status,
            AdminCommands.tokens,
            CatalogueCommands.catalogue,
            CatalogueCommands.departments,
            CatalogueCommands.items,
            CatalogueCommands.rules,
            CatalogueCommands.calendar,
            CatalogueCommands.schemes,
            caseGroup,
            CaseQueryCommands.cases,
            AlertCommands.alerts,
            ComplaintCommands.complaints,
            EvaluationCommands.evaluation,
            ReplayCommand.command,
            SimulateCommand.command,
            AdminCommands.audit,
        ])

    static var caseGroup: Command {
        Command(
            name: "case",
            abstract: "Record a case's events at the desk, or show one case.",
            discussion: """
                For departments without an approval system of their own: each command \
                reports one event of the case, as it happens (or --at when it happened), and \
                prints the server's acknowledgement. A rejected event exits with status 1 \
                and names the field and the reason. Use a department token.
                """,
            examples: [
                "monctl case receive 330899-WJJ 2026-0001 --item 330899-WJJ-002 --applicant 张三",
                "monctl case accept 330899-WJJ 2026-0001 --handler 李四",
                "monctl case step 330899-WJJ 2026-0001 undertake --handler 李四",
                "monctl case conclude 330899-WJJ 2026-0001 --result approved",
                "monctl case deliver 330899-WJJ 2026-0001 --method in-person",
                "monctl case show 330899-WJJ 2026-0001",
            ],
            subcommands: [
                CaseDeskCommands.receive,
                CaseDeskCommands.accept,
                CaseDeskCommands.refuse,
                CaseDeskCommands.correction,
                CaseDeskCommands.step,
                CaseDeskCommands.procedure,
                CaseDeskCommands.extend,
                CaseDeskCommands.fee,
                CaseDeskCommands.conclude,
                CaseDeskCommands.deliver,
                CaseQueryCommands.show,
            ])
    }
}
