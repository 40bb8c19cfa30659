import Foundation
import Messages
import Services

/// The case desk: commands that record a case's events for departments
/// without an approval system of their own. Each builds one `CaseEvent`,
/// reports it, and prints the server's acknowledgement.
enum CaseDeskCommands {
    /// The two arguments every desk command starts with.
    static let caseArguments = [
        Argument(name: "department", help: "The reporting department's catalogue code."),
        Argument(name: "case", help: "The case's number in the department (申办流水号)."),
    ]

    /// The options every desk command takes.
    static let eventOptions: [Option] = [
        .value(
            "at", "instant",
            "When it happened (default now), e.g. 2026-03-02T09:30:00+08:00 or "
                + "2026-03-02T09:30 in China Standard Time."),
        .value(
            "event-id", "id",
            "The event's id (default a new time-ordered id); resend an id to repeat safely."),
        .value(
            "revision", "n",
            "Correct an earlier event: its id with a higher revision (default 0)."),
    ]

    /// A desk command: `build` makes the event's kind from the options.
    static func event(
        _ name: String, _ abstract: String, discussion: String = "",
        options: [Option] = [], examples: [String],
        build: @escaping @Sendable (Invocation) throws -> CaseEvent.Kind
    ) -> Command {
        Command(
            name: name, abstract: abstract, discussion: discussion, arguments: caseArguments,
            options: options + eventOptions, examples: examples,
            run: { invocation in
                let kind = try build(invocation)
                try await report(kind, invocation)
            })
    }

    private static func report(_ kind: CaseEvent.Kind, _ invocation: Invocation) async throws {
        var event = CaseEvent()
        event.departmentCode = invocation.argument("department")
        event.caseID = invocation.argument("case")
        event.eventID = invocation.option("event-id") ?? newEventID()
        event.revision = try invocation.integer("revision", in: 0...UInt32.max) ?? 0
        event.occurredAt = try invocation.instant("at") ?? Timestamp(Date())
        event.kind = kind

        let ack = try await invocation.withConnection {
            try await $0.call(IntakeService.reportEvent, event)
        }
        let output = invocation.output
        if invocation.json { output.json(ack) }
        let subject = "case \(event.departmentCode) \(event.caseID)"
        switch ack.status {
        case .accepted:
            if !invocation.json {
                output.line(
                    "recorded: \(EventText.kind(kind)) on \(subject) at "
                        + "\(Format.time(event.occurredAt)) (event \(ack.eventID)"
                        + (ack.revision > 0 ? ", revision \(ack.revision)" : "") + ")")
                for notice in ack.notices { output.line("notice: " + notice) }
            }
        case .duplicate:
            if !invocation.json {
                output.line(
                    "duplicate: event \(ack.eventID) revision \(ack.revision) was recorded "
                        + "before; nothing changed")
            }
        case .superseded:
            if !invocation.json {
                output.line(
                    "superseded: event \(ack.eventID) revision \(ack.revision) is kept in "
                        + "history, but a higher revision is already recorded; \(subject) "
                        + "did not change")
            }
        case .rejected:
            let field = ack.field.isEmpty ? "" : ack.field + ": "
            throw Failure(
                status: .refused,
                message: "the server rejected the event (\(EventText.kind(kind)) on \(subject)): "
                    + field + ack.reason)
        default:
            throw Failure(
                status: .failure,
                message: "the server answered with an unknown status "
                    + "\(ack.status.rawValue) for event \(ack.eventID)")
        }
    }

    // MARK: The events

    static var receive: Command {
        event(
            "receive", "Record that an application was received (收件); intake starts.",
            discussion: """
                The intake limit (5 working days unless the item says otherwise) starts: \
                accept, refuse or request a correction within it.
                """,
            options: [
                .value("item", "code", "The catalogue item applied for.", required: true),
                .value("title", "text", "A short title of the application."),
                .value("channel", "channel", "counter or online."),
                .value("applicant", "name", "The applicant's name (personal data)."),
                .value("applicant-type", "type", "person or organisation."),
                .value(
                    "id-type", "type",
                    "resident-id-card, passport, unified-social-credit-code or other."),
                .value("id-number", "number", "The identity document's number."),
                .value("phone", "number", "The applicant's phone number."),
            ],
            examples: [
                "monctl case receive 330899-WJJ 2026-0001 --item 330899-WJJ-002 "
                    + "--applicant 张三 --applicant-type person --channel counter",
                "monctl case receive 330899-WJJ 2026-0002 --item 330899-WJJ-002 "
                    + "--at 2026-03-02T09:30",
            ],
            build: { invocation in
                var received = CaseReceived(
                    itemCode: invocation.required("item"), title: invocation.option("title") ?? "")
                received.channel = try invocation.choice("channel", Choices.channel) ?? .unspecified
                let applicant = Applicant(
                    type: try invocation.choice("applicant-type", Choices.applicantType)
                        ?? .unspecified,
                    name: invocation.option("applicant") ?? "",
                    idType: try invocation.choice("id-type", Choices.idType) ?? .unspecified,
                    idNumber: invocation.option("id-number") ?? "",
                    phone: invocation.option("phone") ?? "")
                if applicant != Applicant() { received.applicant = applicant }
                return .received(received)
            })
    }

    static var accept: Command {
        event(
            "accept", "Record that a case was accepted (受理); the case clock starts.",
            options: [.value("handler", "name", "Who accepted it.")],
            examples: ["monctl case accept 330899-WJJ 2026-0001 --handler 李四"],
            build: { .accepted(CaseAccepted(handler: $0.option("handler") ?? "")) })
    }

    static var refuse: Command {
        event(
            "refuse", "Record a refusal at intake (不予受理); the case ends.",
            discussion: "The law requires a reason; a refusal without one raises a yellow card.",
            options: [
                .value("reason", "text", "Why the application is refused.", required: true),
                .value("handler", "name", "Who refused it."),
            ],
            examples: [
                "monctl case refuse 330899-WJJ 2026-0003 --reason 不属于本机关职权范围 --handler 李四"
            ],
            build: { invocation in
                .intakeRefused(
                    IntakeRefused(
                        reason: invocation.required("reason"),
                        handler: invocation.option("handler") ?? ""))
            })
    }

    static var correction: Command {
        Command(
            name: "correction",
            abstract: "Record a correction notice (补正告知) or the corrected materials.",
            subcommands: [
                event(
                    "request", "Record one complete correction notice; intake stops.",
                    options: [
                        .value(
                            "missing", "material", "One missing material; repeat for each.",
                            required: true, repeatable: true),
                        .value("handler", "name", "Who sent the notice."),
                    ],
                    examples: [
                        "monctl case correction request 330899-WJJ 2026-0001 "
                            + "--missing 土地权属证明 --missing 规划设计方案"
                    ],
                    build: { invocation in
                        .correctionRequested(
                            CorrectionRequested(
                                missingMaterials: invocation.options(
                                    "missing", splittingCommas: false),
                                handler: invocation.option("handler") ?? ""))
                    }),
                event(
                    "received", "Record that the corrected materials arrived (补正收到).",
                    discussion: "The intake limit runs again from this day.",
                    options: [.value("note", "text", "What was received.")],
                    examples: [
                        "monctl case correction received 330899-WJJ 2026-0001 --note 材料已补齐"
                    ],
                    build: {
                        .correctionReceived(CorrectionReceived(note: $0.option("note") ?? ""))
                    }),
            ])
    }

    static var step: Command {
        Command(
            name: "step",
            abstract: "Record that a step of handling completed (承办, 审核, 批准).",
            discussion: """
                The step is undertake (承办), review (审核) or approve (批准). The next \
                step's clock starts when this one completes.
                """,
            arguments: caseArguments + [
                Argument(name: "step", help: "undertake, review or approve.")
            ],
            options: [
                .value("outcome", "outcome", "pass (default) or return to the previous step."),
                .value("handler", "name", "Who completed the step."),
                .value("opinion", "text", "The written opinion."),
            ] + eventOptions,
            examples: [
                "monctl case step 330899-WJJ 2026-0001 undertake --handler 李四 "
                    + "--opinion 符合条件，拟同意",
                "monctl case step 330899-WJJ 2026-0001 review --outcome return --opinion 材料不全",
            ],
            run: { invocation in
                let step = try Choices.step.parse(invocation.argument("step"), name: "<step>")
                let completed = StepCompleted(
                    step: step, handler: invocation.option("handler") ?? "",
                    opinion: invocation.option("opinion") ?? "",
                    outcome: try invocation.choice("outcome", Choices.stepOutcome) ?? .pass)
                try await report(.stepCompleted(completed), invocation)
            })
    }

    static var procedure: Command {
        Command(
            name: "procedure",
            abstract: "Record a special procedure (特别程序) starting or ending.",
            discussion: """
                Special procedures (hearing, tender, auction, inspection, testing, \
                quarantine, appraisal, expert review) do not count toward the case's \
                limits: the case clock pauses while one runs.
                """,
            subcommands: [
                event(
                    "start", "Record that a special procedure started; the case clock pauses.",
                    options: [
                        .value("id", "id", "Names the procedure within the case.", required: true),
                        .value(
                            "type", "type",
                            "hearing, tender, auction, inspection, testing, quarantine, "
                                + "appraisal or expert-review.",
                            required: true),
                        .value(
                            "days", "n", "The working days granted to it (at least 1).",
                            required: true),
                        .value("reason", "text", "Why it is needed."),
                    ],
                    examples: [
                        "monctl case procedure start 330899-ZRGH 2026-0007 --id P1 "
                            + "--type expert-review --days 10 --reason 规划方案需专家评审"
                    ],
                    build: { invocation in
                        .specialProcedureStarted(
                            SpecialProcedureStarted(
                                procedureID: invocation.required("id"),
                                type: try invocation.choice("type", Choices.procedure)!,
                                grantedDays: try invocation.integer(
                                    "days", in: 1...1000, unit: "working days")!,
                                reason: invocation.option("reason") ?? ""))
                    }),
                event(
                    "end", "Record that a special procedure ended; the case clock runs again.",
                    options: [
                        .value("id", "id", "The id given when it started.", required: true),
                        .value("result", "text", "Its result."),
                        .value("fee-fen", "fen", "A fee charged for it, in fen (default 0)."),
                    ],
                    examples: [
                        "monctl case procedure end 330899-ZRGH 2026-0007 --id P1 --result 评审通过"
                    ],
                    build: { invocation in
                        .specialProcedureEnded(
                            SpecialProcedureEnded(
                                procedureID: invocation.required("id"),
                                result: invocation.option("result") ?? "",
                                feeFen: try invocation.integer(
                                    "fee-fen", in: 0...Int64.max, unit: "fen") ?? 0))
                    }),
            ])
    }

    static var extend: Command {
        event(
            "extend", "Record an extension of the case's limits (延期).",
            discussion: """
                Allowed once per case, for at most the item's legal extension, with an \
                approver and a reason, before the legal deadline. An extension that breaks \
                any of these is recorded, raises a red card and moves no deadline.
                """,
            options: [
                .value("days", "n", "Working days added.", required: true),
                .value("approver", "name", "Who approved it.", required: true),
                .value("reason", "text", "Why.", required: true),
            ],
            examples: [
                "monctl case extend 330899-ZRGH 2026-0007 --days 5 --approver 王局长 --reason 需现场踏勘"
            ],
            build: { invocation in
                .extensionGranted(
                    ExtensionGranted(
                        days: try invocation.integer("days", in: 1...1000, unit: "working days")!,
                        approver: invocation.required("approver"),
                        reason: invocation.required("reason")))
            })
    }

    static var fee: Command {
        event(
            "fee", "Record a fee charged (收费).",
            discussion: """
                Only items with a published fee standard may charge, and a case's total \
                never above it. Give the amount in fen (--fen 1000) or in yuan (--yuan 10.00).
                """,
            options: [
                .value("fee-item", "name", "The fee item, as published.", required: true),
                .value("fen", "n", "The amount in fen."),
                .value("yuan", "amount", "The amount in yuan, e.g. 10.00."),
            ],
            examples: [
                "monctl case fee 330899-ZRGH 2026-0007 --fee-item 工本费 --yuan 10",
                "monctl case fee 330899-ZRGH 2026-0007 --fee-item 工本费 --fen 1000",
            ],
            build: { invocation in
                let fen: Int64
                switch (invocation.option("fen"), invocation.option("yuan")) {
                case (.some, .some):
                    throw invocation.usage("give --fen or --yuan, not both")
                case (.some(let text), nil):
                    fen = try parseInteger(text, name: "--fen", in: 0...Int64.max, unit: "fen")
                case (nil, .some(let text)):
                    fen = try parseYuan(text, name: "--yuan")
                case (nil, nil):
                    throw invocation.usage("missing the amount: --fen <n> or --yuan <amount>")
                }
                return .feeCharged(
                    FeeCharged(feeItem: invocation.required("fee-item"), amountFen: fen))
            })
    }

    static var conclude: Command {
        event(
            "conclude", "Record the decision (办结); the case clock stops.",
            discussion: """
                An approval starts the delivery limit (10 working days). A denial needs a \
                reason; one without raises a yellow card.
                """,
            options: [
                .value(
                    "result", "result", "approved, denied, withdrawn, voided or forwarded.",
                    required: true),
                .value("reason", "text", "The reason, required by law for a denial."),
                .value("certificate-name", "name", "For an approval: the certificate issued."),
                .value("certificate-number", "number", "Its number."),
            ],
            examples: [
                "monctl case conclude 330899-WJJ 2026-0001 --result approved "
                    + "--certificate-name 卫生许可证 --certificate-number 卫字2026001",
                "monctl case conclude 330899-WJJ 2026-0004 --result denied --reason 不符合卫生条件",
            ],
            build: { invocation in
                .concluded(
                    CaseConcluded(
                        result: try invocation.choice("result", Choices.conclusion)!,
                        reason: invocation.option("reason") ?? "",
                        certificateName: invocation.option("certificate-name") ?? "",
                        certificateNumber: invocation.option("certificate-number") ?? ""))
            })
    }

    static var deliver: Command {
        event(
            "deliver", "Record that the decision or certificate was delivered (送达).",
            options: [
                .value("method", "method", "in-person, post, electronic or other."),
                .value("recipient", "name", "Who received it."),
            ],
            examples: [
                "monctl case deliver 330899-WJJ 2026-0001 --method in-person --recipient 张三"
            ],
            build: { invocation in
                .delivered(
                    CertificateDelivered(
                        method: try invocation.choice("method", Choices.delivery) ?? .unspecified,
                        recipient: invocation.option("recipient") ?? ""))
            })
    }
}
