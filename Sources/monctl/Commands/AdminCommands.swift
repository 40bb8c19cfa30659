import Messages
import Services

/// `status`, `tokens` and `audit`: the server's state, access tokens and the
/// audit record.
enum AdminCommands {
    static var status: Command {
        Command(
            name: "status",
            abstract: "Show the server's state, the services it offers, and who you are to it.",
            discussion: """
                Any token may ask. The services line lists what this server offers; \
                a service of the interface standard missing from it is not offered yet, \
                and its commands exit with status 4.
                """,
            examples: ["monctl status", "monctl status --server 10.0.0.5:50051 --json"],
            run: { invocation in
                let info = try await invocation.withConnection {
                    try await $0.call(AdminService.getServerInfo, GetServerInfoRequest())
                }
                if invocation.json { return invocation.output.json(info) }
                invocation.output.write(render(info, invocation))
            })
    }

    private static func render(_ info: ServerInfo, _ invocation: Invocation) -> String {
        var details = Details()
        let name = info.serverName.isEmpty ? "server" : info.serverName
        details.add("server", "\(name) version \(info.version)")
        details.add("region", info.regionCode)
        details.add("now", Format.time(info.now) + " (China Standard Time)")
        details.add("started", Format.time(info.startedAt))
        if let store = info.store {
            var text = store.healthy ? "healthy" : "NOT HEALTHY: \(store.problem)"
            text += ", schema \(store.schemaVersion), \(bytes(store.sizeBytes))"
            text += ", \(counted(Int(store.eventsStored), "event")) stored"
            details.add("store", text)
        }
        details.add("catalogue", "version \(info.catalogueVersion)")
        details.add("open cases", "\(info.openCases)")
        details.add("alert log", "position \(info.alertPosition)")
        details.add("services", info.services.joined(separator: "\n"))
        let standard = InterfaceStandard.services.map(\.name)
            .filter { $0.hasPrefix("monitor.") && !info.services.contains($0) }
        details.add("not offered", standard.joined(separator: "\n"))
        var you = Choices.role.shortName(info.callerRole)
        if !info.callerName.isEmpty { you += " " + quote(info.callerName) }
        if !info.callerDepartmentCode.isEmpty {
            you += " of department \(info.callerDepartmentCode)"
        }
        details.add("you", you)
        return details.render()
    }

    private static func bytes(_ count: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    // MARK: Tokens

    static var tokens: Command {
        Command(
            name: "tokens",
            abstract: "Create, list and revoke access tokens (administrators).",
            discussion: """
                Every call carries a token, and the token's role decides what it may do: \
                department (reports and reads its own cases, answers notices, appeals), \
                supervisor (reads everything, acts on alerts), dashboard (reads, personal \
                data masked), administrator (catalogue, calendars, tokens), forwarder \
                (a lower server forwarding upward).
                """,
            subcommands: [createToken, listTokens, revokeToken])
    }

    static var createToken: Command {
        Command(
            name: "create",
            abstract: "Create a token; its secret is shown once, here only.",
            options: [
                .value("name", "name", "Who or what it is for, e.g. \"Land bureau system\".",
                       required: true),
                .value(
                    "role", "role",
                    "department, supervisor, dashboard, administrator or forwarder.",
                    required: true),
                .value(
                    "department", "code",
                    "For a department's token: the department it may write and read."),
                .flag("secret-only", "Print only the secret, for scripts."),
            ],
            examples: [
                "monctl tokens create --name \"Supervisor Li\" --role supervisor",
                "monctl tokens create --name \"Health desk\" --role department "
                    + "--department 330899-WJJ --secret-only > desk.token",
            ],
            run: { invocation in
                let role = try invocation.choice("role", Choices.role)!
                let department = invocation.option("department") ?? ""
                if role == .department && department.isEmpty {
                    throw invocation.usage(
                        "--role department needs --department <code>: the department whose "
                            + "cases the token writes and reads")
                }
                let request = CreateTokenRequest(
                    name: invocation.required("name"), role: role, departmentCode: department)
                let response = try await invocation.withConnection {
                    try await $0.call(AdminService.createToken, request)
                }
                let output = invocation.output
                if invocation.flag("secret-only") { return output.line(response.secret) }
                if invocation.json { return output.json(response) }
                var details = Details()
                if let token = response.token {
                    details.add("token", token.tokenID)
                    details.add("name", token.name)
                    details.add("role", Choices.role.shortName(token.role))
                    details.add("department", token.departmentCode)
                }
                details.add("secret", response.secret)
                output.write(details.render())
                output.note("The secret is shown once: store it now. The server keeps only a hash.")
            })
    }

    static var listTokens: Command {
        Command(
            name: "list",
            abstract: "List the tokens, never their secrets.",
            options: [.flag("include-revoked", "Show revoked tokens too.")],
            examples: ["monctl tokens list", "monctl tokens list --include-revoked --json"],
            run: { invocation in
                let request = ListTokensRequest(includeRevoked: invocation.flag("include-revoked"))
                let response = try await invocation.withConnection {
                    try await $0.call(AdminService.listTokens, request)
                }
                if invocation.json { return invocation.output.json(response) }
                guard !response.tokens.isEmpty else {
                    return noteEmpty(invocation, "no tokens")
                }
                var table = Table("ID", "NAME", "ROLE", "DEPARTMENT", "CREATED", "BY", "REVOKED")
                for token in response.tokens {
                    table.append(
                        token.tokenID, token.name, Choices.role.shortName(token.role),
                        token.departmentCode, Format.time(token.createdAt), token.createdBy,
                        Format.time(token.revokedAt))
                }
                invocation.output.write(table.render())
            })
    }

    static var revokeToken: Command {
        Command(
            name: "revoke",
            abstract: "Revoke a token; calls with it fail from then on.",
            arguments: [Argument(name: "token-id", help: "The token's id, as tokens list shows.")],
            examples: ["monctl tokens revoke tok_01J0ABCD"],
            run: { invocation in
                let request = RevokeTokenRequest(tokenID: invocation.argument("token-id"))
                let token = try await invocation.withConnection {
                    try await $0.call(AdminService.revokeToken, request)
                }
                if invocation.json { return invocation.output.json(token) }
                invocation.output.line(
                    "revoked token \(token.tokenID) (\(quote(token.name)), "
                        + "\(Choices.role.shortName(token.role))) at "
                        + Format.time(token.revokedAt))
            })
    }

    // MARK: Audit

    static var audit: Command {
        Command(
            name: "audit",
            abstract: "Read the audit record: who changed what, and who read personal data.",
            subcommands: [
                Command(
                    name: "list",
                    abstract: "List audit records, newest first (administrators, supervisors).",
                    options: [
                        .value("actor", "name", "Only records of this token's name."),
                        .value("from", "instant", "Only records at or after this instant."),
                        .value("to", "instant", "Only records before this instant."),
                    ] + PagingOptions.all,
                    examples: [
                        "monctl audit list --limit 20",
                        "monctl audit list --actor \"Supervisor Li\" --from 2026-03-01",
                    ],
                    run: listAudit)
            ])
    }

    private static func listAudit(_ invocation: Invocation) async throws {
        var request = ListAuditRecordsRequest(actor: invocation.option("actor") ?? "")
        let from = try invocation.instant("from", allowDate: true)
        let to = try invocation.instant("to", allowDate: true)
        if from != nil || to != nil { request.at = TimeRange(start: from, end: to) }
        let paging = try invocation.paging()
        let (records, next) = try await invocation.withConnection { connection in
            try await paging.collect { token, size in
                var page = request
                page.pageToken = token
                page.pageSize = size
                let response = try await connection.call(AdminService.listAuditRecords, page)
                return (response.records, response.nextPageToken)
            }
        }
        if invocation.json {
            return invocation.output.json(
                ListAuditRecordsResponse(records: records, nextPageToken: next))
        }
        guard !records.isEmpty else { return noteEmpty(invocation, "no audit records match") }
        var table = Table("SEQ", "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME")
        table.rightAligned = [0]
        for record in records {
            let action = record.action.split(separator: "/").last.map(String.init) ?? record.action
            table.append(
                "\(record.sequence)", Format.time(record.at), record.actor,
                Choices.role.shortName(record.role), action, record.target, record.outcome)
        }
        invocation.output.write(table.render())
        noteMore(next, invocation, noun: "records")
    }
}
