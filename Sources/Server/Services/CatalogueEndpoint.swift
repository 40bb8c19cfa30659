import Engine
import Interchange
import Messages
import Services
import Store
import Transport

/// The catalogue: departments, items, rule settings, calendars and scoring
/// schemes. Every change is a new catalogue version, stored in the same
/// commit as the recomputation of the cases it affects.
struct CatalogueEndpoint {
    let runtime: Runtime

    func register(into router: inout MethodRouter) {
        router.registerUnary(CatalogueService.putDepartments) { request, context in
            try await change(context, note: "\(request.departments.count) departments") {
                document in
                for department in request.departments {
                    if let index = document.departments.firstIndex(where: {
                        $0.code == department.code
                    }) {
                        document.departments[index] = department
                    } else {
                        document.departments.append(department)
                    }
                }
            }
        }
        router.registerUnary(CatalogueService.putItems) { request, context in
            try await change(context, note: "\(request.items.count) items") { document in
                for item in request.items {
                    var item = item
                    item.version = 0
                    if let index = document.items.firstIndex(where: { $0.code == item.code }) {
                        document.items[index] = item
                    } else {
                        document.items.append(item)
                    }
                }
            }
        }
        router.registerUnary(CatalogueService.putRuleSettings) { request, context in
            try await change(context, note: "rule settings") { document in
                document.ruleSettings = request.settings
            }
        }
        router.registerUnary(CatalogueService.putCalendar) { request, context in
            guard let calendar = request.calendar else {
                // Authorized first: a caller without the right is told that.
                _ = try await runtime.authenticator.authorize(context)
                throw RPCError(code: .invalidArgument, message: "calendar: required")
            }
            return try await change(
                context, note: "calendar \(calendar.regionCode)/\(calendar.year)",
                calendar: calendar
            ) { document in
                document.calendars.removeAll {
                    $0.regionCode == calendar.regionCode && $0.year == calendar.year
                }
                document.calendars.append(calendar)
            }
        }
        router.registerUnary(CatalogueService.listDepartments) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            let snapshot = runtime.catalogue.current
            var response = ListDepartmentsResponse()
            response.departments = snapshot.document.departments
                .filter { request.includeRetired || !$0.retired }
                .sorted { $0.code < $1.code }
            response.version = UInt64(snapshot.version)
            return response
        }
        router.registerUnary(CatalogueService.listItems) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            return try listItems(request)
        }
        router.registerUnary(CatalogueService.getItem) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            guard let item = runtime.catalogue.current.document.items
                .first(where: { $0.code == request.code })
            else {
                throw RPCError(code: .notFound, message: "no item has the code \"\(request.code)\"")
            }
            return item
        }
        router.registerUnary(CatalogueService.getRuleSettings) { _, context in
            _ = try await runtime.authenticator.authorize(context)
            return runtime.catalogue.current.document.ruleSettings ?? RuleSettings()
        }
        router.registerUnary(CatalogueService.getCalendar) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            return try calendar(region: request.regionCode, year: Int(request.year))
        }
        router.registerUnary(CatalogueService.listCalendars) { request, context in
            _ = try await runtime.authenticator.authorize(context)
            let calendar = runtime.catalogue.current.context.calendar
            var response = ListCalendarsResponse()
            response.calendars = calendar.calendarMessages
                .filter { request.regionCode.isEmpty || $0.regionCode == request.regionCode }
                .map { message in
                    var summary = message
                    summary.holidays = []
                    summary.makeupWorkdays = []
                    return summary
                }
            return response
        }
        router.registerUnary(CatalogueService.putScoringScheme) { request, context in
            try await putScheme(request, context)
        }
        router.registerUnary(CatalogueService.listScoringSchemes) { _, context in
            _ = try await runtime.authenticator.authorize(context)
            var response = ListScoringSchemesResponse()
            response.schemes = try await runtime.read { transaction in
                try transaction.scoringSchemes().compactMap {
                    try? ScoringScheme(serializedBytes: $0.payload)
                }
            }
            if response.schemes.isEmpty { response.schemes = [ScoringScheme.standard] }
            return response
        }
    }

    /// Applies a change to the catalogue document as a new version and
    /// recomputes the followed cases against it, in one commit.
    private func change(
        _ context: ServerContext, note: String, calendar: Messages.Calendar? = nil,
        _ mutate: @escaping @Sendable (inout CatalogueDocument) -> Void
    ) async throws -> Messages.CatalogueChange {
        let caller = try await runtime.authenticator.authorize(context)
        let book = runtime.catalogue
        let core = runtime.core
        let clock = runtime.clock
        let path = context.path
        let (change, snapshot) = try await runtime.write {
            transaction -> (Messages.CatalogueChange, CatalogueBook.Snapshot) in
            let now = clock.now()
            let current = book.latest
            var document = current.document
            mutate(&document)
            let version = current.version + 1
            let snapshot: CatalogueBook.Snapshot
            do throws(ValidationError) {
                snapshot = try book.snapshot(document, version: version, at: now)
            } catch {
                throw RPCError(code: .invalidArgument, message: error.description)
            }
            try CatalogueBook.store(snapshot, by: caller.description, note: note, transaction)
            if let calendar {
                _ = try transaction.putCalendar(
                    CalendarRecord(
                        region: calendar.regionCode, year: Int(calendar.year),
                        recordedAt: now.millisecondsSinceEpoch, recordedBy: caller.description,
                        payload: calendar.serializedBytes()))
            }
            let reason: RecomputeReason = calendar == nil
                ? .catalogueChanged(version: Int(version))
                : .calendarChanged(version: Int(version))
            let (recomputed, _) = try core.changeContext(
                snapshot.context, version: version, reason: reason, transaction, now: now)
            try transaction.appendAudit(
                Audit.record(caller, action: path, target: "catalogue: \(note)", at: now))
            // Last, once nothing can fail: later writes in the writer's queue
            // see the new catalogue at once, readers once it is durable.
            book.stage(snapshot)
            var change = Messages.CatalogueChange()
            change.version = UInt64(version)
            change.changedAt = Timestamp(now)
            change.casesRecomputed = UInt64(recomputed)
            return (change, snapshot)
        }
        runtime.log.info(
            "catalogue changed",
            ["version": snapshot.version, "change": note, "by": caller.description,
             "recomputed": change.casesRecomputed])
        return change
    }

    private func listItems(_ request: ListItemsRequest) throws -> ListItemsResponse {
        let snapshot = runtime.catalogue.current
        let all = snapshot.document.items
            .filter {
                request.departmentCode.isEmpty || $0.departmentCode == request.departmentCode
            }
            .filter { request.includeRetired || !$0.retired }
            .sorted { $0.code < $1.code }
        let size = request.pageSize == 0 ? 200 : min(Int(request.pageSize), 1000)
        var start = 0
        if !request.pageToken.isEmpty {
            guard let index = all.firstIndex(where: { $0.code > request.pageToken }) else {
                return ListItemsResponse(version: UInt64(snapshot.version))
            }
            start = index
        }
        let page = all[start..<min(all.count, start + size)]
        var response = ListItemsResponse()
        response.items = page.map { item in
            var item = item
            item.version = UInt64(snapshot.version)
            return item
        }
        if start + size < all.count, let last = page.last { response.nextPageToken = last.code }
        response.version = UInt64(snapshot.version)
        return response
    }

    private func calendar(region: String, year: Int) throws -> Messages.Calendar {
        let calendar = runtime.catalogue.current.context.calendar
        let regionCode = region.isEmpty ? "000000" : region
        guard let message = calendar.calendarMessages.first(where: {
            $0.regionCode == regionCode && Int($0.year) == year
        }) else {
            throw RPCError(
                code: .notFound,
                message: "no calendar is loaded for region \(regionCode) in \(year); "
                    + "deadlines in that year are provisional until one is")
        }
        return message
    }

    private func putScheme(_ request: PutScoringSchemeRequest, _ context: ServerContext)
        async throws -> ScoringScheme
    {
        let caller = try await runtime.authenticator.authorize(context)
        guard let proposed = request.scheme else {
            throw RPCError(code: .invalidArgument, message: "scheme: required")
        }
        if let problem = proposed.validationProblems.first {
            throw RPCError(code: .invalidArgument, message: "scheme.\(problem)")
        }
        let clock = runtime.clock
        let path = context.path
        return try await runtime.write { transaction in
            let now = clock.now()
            var scheme = proposed
            scheme.publishedAt = Timestamp(now)
            let latest = try transaction.latestScoringScheme()?.version ?? 0
            scheme.version = UInt32(latest + 1)
            _ = try transaction.appendScoringScheme(
                ScoringSchemeRecord(
                    version: latest + 1, name: scheme.name,
                    recordedAt: now.millisecondsSinceEpoch, recordedBy: caller.description,
                    payload: scheme.serializedBytes()))
            try transaction.appendAudit(
                Audit.record(
                    caller, action: path, target: "scoring scheme \(scheme.name)", at: now))
            return scheme
        }
    }
}
