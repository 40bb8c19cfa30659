import Engine
import Interchange
import Messages
import Services
import Store
import Transport

/// Cases as the server sees them: one case with its timeline, deadlines and
/// alerts; lists; live counts for dashboards.
struct CaseEndpoint {
    let runtime: Runtime

    func register(into router: inout MethodRouter) {
        router.registerUnary(CaseService.getCase) { request, context in
            try await getCase(request, context)
        }
        router.registerUnary(CaseService.listCases) { request, context in
            try await listCases(request, context)
        }
        router.registerUnary(CaseService.getCaseCounts) { request, context in
            let caller = try await runtime.authenticator.authorize(context)
            var wanted = Set(request.departmentCodes)
            if caller.role == .department { wanted = [caller.departmentCode] }
            let core = runtime.core
            let clock = runtime.clock
            // The followed cases belong to the writer thread: count them there,
            // with the standing alerts of the same moment.
            let counts = try await runtime.write(mayRunAgain: true) { transaction in
                try core.liveCounts(now: clock.now(), transaction)
            }
            var response = CaseCounts()
            response.departments = counts.values
                .filter { wanted.isEmpty || wanted.contains($0.departmentCode) }
                .sorted { $0.departmentCode < $1.departmentCode }
            response.asOf = Timestamp(clock.now())
            response.alertPosition = runtime.hub.position
            return response
        }
    }

    private func getCase(_ request: GetCaseRequest, _ context: ServerContext) async throws
        -> CaseView
    {
        let caller = try await runtime.authenticator.authorize(context)
        try require(request.departmentCode, "department_code")
        try require(request.caseID, "case_id")
        guard caller.mayRead(department: request.departmentCode) else {
            throw RPCError(
                code: .permissionDenied,
                message: "a department's token reads only its own department's cases "
                    + "(\(caller.departmentCode))")
        }
        let (events, alerts) = try await runtime.read { transaction in
            let events = try transaction.events(
                department: request.departmentCode, caseID: request.caseID)
            var alerts: [Messages.Alert] = []
            var token: String?
            repeat {
                let page = try transaction.alerts(
                    StoredAlertFilter(
                        departments: [request.departmentCode], caseID: request.caseID),
                    pageSize: 500, pageToken: token)
                alerts += page.items.compactMap {
                    try? AlertView(serializedBytes: $0.payload).alert
                }
                token = page.nextPageToken
            } while token != nil
            return (events, alerts)
        }
        guard !events.isEmpty else {
            throw RPCError(
                code: .notFound,
                message: "department \(request.departmentCode) has reported no case "
                    + "\"\(request.caseID)\"")
        }

        let snapshot = runtime.catalogue.current
        let now = runtime.clock.now()
        var recorded: [(StoredEvent, RecordedEvent)] = []
        for row in events {
            let reportedAt = Instant(millisecondsSinceEpoch: row.event.reportedAt)
            if let event = try? RecordedEvent(
                serializedBytes: row.event.payload, reportedAt: reportedAt)
            {
                recorded.append((row, event))
            }
        }
        let evaluation = Supervision.evaluate(
            events: recorded.map(\.1.event), context: snapshot.context, now: now)
        let item = evaluation.itemCode.flatMap { snapshot.context.catalogue.items[$0] }
        let current = recorded.filter { $0.0.isCurrent }.map(\.1.message)
        let received = current.first { if case .received = $0.kind { true } else { false } }
        var title = ""
        var applicant: Messages.Applicant?
        if case .received(let receipt) = received?.kind {
            title = receipt.title
            applicant = receipt.applicant
        }
        let standing = alerts.filter { $0.status != .withdrawn && $0.status != .revoked }

        var view = CaseView()
        var summary = Messages.CaseSummary(evaluation, item: item, title: title)
        summary.highestLevel = standing.filter { $0.rule != .calendarMissing }
            .map(\.level).max { $0.rawValue < $1.rawValue } ?? .unspecified
        view.summary = summary
        view.deadlines = evaluation.deadlineMessages(in: snapshot.context.catalogue)
        view.extensionDays = UInt32(evaluation.deadlines.extensionDays)
        let lateLimit = Int64(24 * 3_600_000)
        view.timeline = recorded.sorted {
            ($0.1.event.occurredAt, $0.0.sequence) < ($1.1.event.occurredAt, $1.0.sequence)
        }.map { row, event in
            let late = row.event.reportedAt - row.event.occurredAt > lateLimit
            return event.timelineEntry(superseded: !row.isCurrent, reportedLate: late)
        }
        view.alerts = alerts
        view.feesTotalFen = current.reduce(0) { total, message in
            if case .feeCharged(let fee) = message.kind { return total + fee.amountFen }
            return total
        }
        if case .maximum(let fen) = item?.feeStandard { view.feeStandardFen = fen }
        if let applicant {
            view.applicant = caller.seesPersonalData ? applicant : Masking.masked(applicant)
        }
        if !caller.seesPersonalData {
            view.timeline = view.timeline.map(Masking.masked)
        } else if applicant != nil {
            try await auditRead(caller, context.path, request)
        }
        return view
    }

    /// Every read of personal data is recorded with who read it.
    private func auditRead(_ caller: Caller, _ path: String, _ request: GetCaseRequest)
        async throws
    {
        let clock = runtime.clock
        _ = try await runtime.write { transaction in
            try transaction.appendAudit(
                Audit.record(
                    caller, action: path,
                    target: "case \(request.departmentCode)/\(request.caseID) (personal data)",
                    at: clock.now()))
        }
    }

    private func listCases(_ request: ListCasesRequest, _ context: ServerContext) async throws
        -> ListCasesResponse
    {
        let caller = try await runtime.authenticator.authorize(context)
        var department = request.departmentCodes.first
        if request.departmentCodes.count > 1 {
            throw RPCError(
                code: .invalidArgument,
                message: "department_codes: give at most one department per list")
        }
        if caller.role == .department {
            if let department, department != caller.departmentCode {
                throw RPCError(
                    code: .permissionDenied,
                    message: "a department's token lists only its own department's cases "
                        + "(\(caller.departmentCode))")
            }
            department = caller.departmentCode
        }
        let query = CaseQuery(
            department: department, itemCode: request.itemCode.isEmpty ? nil : request.itemCode,
            states: Set(request.states.map { Int($0.rawValue) }),
            receivedFrom: request.received?.start.map { Instant($0).millisecondsSinceEpoch },
            receivedBefore: request.received?.end.map { Instant($0).millisecondsSinceEpoch },
            minimumAlertLevel: request.minLevel == .unspecified
                ? nil : Int(request.minLevel.rawValue),
            newestFirst: true)
        let size = Int(request.pageSize)
        let token = request.pageToken.isEmpty ? nil : request.pageToken
        let page = try await runtime.read { try $0.cases(query, pageSize: size, pageToken: token) }
        let items = runtime.catalogue.current.context.catalogue.items
        var response = ListCasesResponse()
        response.cases = page.items
            .map { row in
                Messages.CaseSummary(
                    departmentCode: row.department, caseID: row.caseID, itemCode: row.itemCode,
                    itemName: items[row.itemCode]?.name ?? "", title: "",
                    state: CaseState(rawValue: Int32(row.state)),
                    receivedAt: Timestamp(Instant(millisecondsSinceEpoch: row.receivedAt)),
                    acceptedAt: row.acceptedAt.map {
                        Timestamp(Instant(millisecondsSinceEpoch: $0))
                    },
                    concludedAt: row.concludedAt.map {
                        Timestamp(Instant(millisecondsSinceEpoch: $0))
                    },
                    result: Messages.ConclusionResult(rawValue: Int32(row.result)),
                    promisedDeadline: row.promisedDeadline.map {
                        Timestamp(Instant(millisecondsSinceEpoch: $0))
                    },
                    legalDeadline: row.legalDeadline.map {
                        Timestamp(Instant(millisecondsSinceEpoch: $0))
                    },
                    highestLevel: Level(rawValue: Int32(row.alertLevel)))
            }
        response.nextPageToken = page.nextPageToken ?? ""
        return response
    }
}

/// Personal data as a dashboard sees it: enough to tell people apart, not
/// enough to identify them.
enum Masking {
    static func masked(_ applicant: Messages.Applicant) -> Messages.Applicant {
        var masked = applicant
        masked.name = maskName(applicant.name)
        masked.idNumber = maskMiddle(applicant.idNumber, keepFirst: 3, keepLast: 2)
        masked.phone = maskMiddle(applicant.phone, keepFirst: 3, keepLast: 4)
        return masked
    }

    static func masked(_ entry: TimelineEntry) -> TimelineEntry {
        var entry = entry
        if case .received(var receipt) = entry.event?.kind, let applicant = receipt.applicant {
            receipt.applicant = masked(applicant)
            entry.event?.kind = .received(receipt)
        }
        return entry
    }

    /// The first character, the rest as stars: 张三丰 -> 张**.
    static func maskName(_ name: String) -> String {
        guard let first = name.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }

    static func maskMiddle(_ text: String, keepFirst: Int, keepLast: Int) -> String {
        guard text.count > keepFirst + keepLast else {
            return String(repeating: "*", count: text.count)
        }
        return String(text.prefix(keepFirst))
            + String(repeating: "*", count: text.count - keepFirst - keepLast)
            + String(text.suffix(keepLast))
    }
}
