import Engine
import Messages
import Services
import Store
import Synchronization
import Transport

/// Server status, access tokens and the audit record.
struct AdminEndpoint {
    let runtime: Runtime
    /// The services this server offers, for `ServerInfo.services`.
    let offered: [String]

    func register(into router: inout MethodRouter) {
        router.registerUnary(AdminService.getServerInfo) { _, context in
            let caller = try await runtime.authenticator.authorize(context)
            return try await serverInfo(caller)
        }
        router.registerUnary(AdminService.createToken) { request, context in
            try await createToken(request, context)
        }
        router.registerUnary(AdminService.listTokens) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            var response = ListTokensResponse()
            response.tokens = try await runtime.read { try $0.tokens() }
                .filter { request.includeRevoked || $0.revokedAt == nil }
                .map(Self.token)
            return response
        }
        router.registerUnary(AdminService.revokeToken) { request, context in
            let caller = try await runtime.authenticator.authorize(context)
            let clock = runtime.clock
            let path = context.path
            let record = try await runtime.write { transaction in
                guard try transaction.token(id: request.tokenID) != nil else {
                    throw RPCError(
                        code: .notFound, message: "no token has the id \"\(request.tokenID)\"")
                }
                let now = clock.now()
                let record = try transaction.revokeToken(
                    id: request.tokenID, at: now.millisecondsSinceEpoch)
                try transaction.appendAudit(
                    Audit.record(caller, action: path, target: "token \(request.tokenID)", at: now))
                return record
            }
            runtime.authenticator.revoked(tokenID: request.tokenID)
            return Self.token(record)
        }
        router.registerUnary(AdminService.listAuditRecords) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            let from = request.at?.start.map { Instant($0).millisecondsSinceEpoch }
            let before = request.at?.end.map { Instant($0).millisecondsSinceEpoch }
            let page = try await runtime.read {
                try $0.auditRecords(
                    actor: request.actor.isEmpty ? nil : request.actor, from: from,
                    before: before, pageSize: Int(request.pageSize),
                    pageToken: request.pageToken.isEmpty ? nil : request.pageToken)
            }
            var response = ListAuditRecordsResponse()
            response.records = page.items.map { row in
                var record = Messages.AuditRecord()
                record.sequence = UInt64(row.sequence)
                record.at = Timestamp(Instant(millisecondsSinceEpoch: row.at))
                record.actor = row.actor
                record.role = Role(rawValue: Int32(row.role))
                record.action = row.action
                record.target = row.target
                record.outcome = row.outcome
                return record
            }
            response.nextPageToken = page.nextPageToken ?? ""
            return response
        }
    }

    func serverInfo(_ caller: Caller) async throws -> ServerInfo {
        var info = ServerInfo()
        info.version = MonitorServer.version
        info.regionCode = runtime.region
        info.serverName = runtime.serverName
        info.now = Timestamp(runtime.clock.now())
        info.startedAt = Timestamp(runtime.startedAt)
        var store = Messages.StoreHealth()
        do {
            let health = try await runtime.store.health()
            store.healthy = true
            store.schemaVersion = UInt32(health.schemaVersion)
            store.sizeBytes = UInt64(health.sizeBytes)
            store.eventsStored = UInt64(health.eventCount)
        } catch {
            store.healthy = false
            store.problem = "\(error)"
        }
        info.store = store
        info.alertPosition = runtime.hub.position
        info.openCases = UInt64(runtime.core.published.withLock { $0.openCases })
        info.services = offered
        info.callerRole = caller.role
        info.callerName = caller.name
        info.callerDepartmentCode = caller.departmentCode
        info.catalogueVersion = UInt64(runtime.catalogue.current.version)
        return info
    }

    private func createToken(_ request: CreateTokenRequest, _ context: ServerContext)
        async throws -> CreateTokenResponse
    {
        let caller = try await runtime.authenticator.authorize(context)
        try require(request.name, "name")
        switch request.role {
        case .department:
            guard runtime.catalogue.current.document.departments
                .contains(where: { $0.code == request.departmentCode })
            else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "department_code: a department token needs a department of the "
                        + "catalogue; \"\(request.departmentCode)\" is not one")
            }
        case .supervisor, .dashboard, .administrator, .forwarder:
            guard request.departmentCode.isEmpty else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "department_code: only department tokens name a department")
            }
        default:
            throw RPCError(
                code: .invalidArgument,
                message: "role: expected ROLE_DEPARTMENT, ROLE_SUPERVISOR, ROLE_DASHBOARD, "
                    + "ROLE_ADMINISTRATOR or ROLE_FORWARDER")
        }
        let clock = runtime.clock
        let path = context.path
        return try await runtime.write { transaction in
            let now = clock.now()
            let (record, secret) = Tokens.make(
                name: request.name, role: request.role, department: request.departmentCode,
                by: caller.description, at: now)
            try transaction.insertToken(record)
            try transaction.appendAudit(
                Audit.record(
                    caller, action: path,
                    target: "token \(record.tokenID) (\(request.role.displayName))", at: now))
            var response = CreateTokenResponse()
            response.token = Self.token(record)
            response.secret = secret
            return response
        }
    }

    static func token(_ record: TokenRecord) -> Messages.Token {
        var token = Messages.Token()
        token.tokenID = record.tokenID
        token.name = record.name
        token.role = Role(rawValue: Int32(record.role))
        token.departmentCode = record.department
        token.createdAt = Timestamp(Instant(millisecondsSinceEpoch: record.createdAt))
        token.createdBy = record.createdBy
        token.revokedAt = record.revokedAt.map { Timestamp(Instant(millisecondsSinceEpoch: $0)) }
        return token
    }
}

/// Making tokens: a random secret, returned once, and the record that keeps
/// only its hash.
enum Tokens {
    static func make(
        name: String, role: Role, department: String, by creator: String, at now: Instant
    ) -> (TokenRecord, String) {
        let secret = Secrets.newSecret()
        let hash = Secrets.hash(secret)
        // The id is derived from the hash, so it names the token without
        // revealing anything that would let one use it.
        let id = "tok_" + String(Secrets.hex(Secrets.hash(Secrets.hex(hash))).prefix(16))
        let record = TokenRecord(
            tokenID: id, secretHash: hash, name: name, role: Int(role.rawValue),
            department: department, createdAt: now.millisecondsSinceEpoch, createdBy: creator)
        return (record, secret)
    }
}
