import Engine
import Interchange
import Messages
import Services
import Store
import Transport

/// Alerts: watching them live, looking them up, and the supervision that
/// follows them (notice, feedback, close, return, escalate, appeal, manual
/// cards).
struct AlertEndpoint {
    let runtime: Runtime
    /// Shared by every watch call of this server.
    let encodings = TransitionEncodings()

    func register(into router: inout MethodRouter) {
        router.registerServerStreaming(AlertService.watchAlerts) { request, writer, context in
            try await watch(request, writer, context)
        }
        router.registerUnary(AlertService.listAlerts) { request, context in
            try await list(request, context)
        }
        router.registerUnary(AlertService.getAlert) { request, context in
            let caller = try await runtime.authenticator.authorize(context)
            let view = try await runtime.read { transaction -> AlertView? in
                guard let row = try transaction.alert(id: request.alertID) else { return nil }
                return try AlertView(serializedBytes: row.payload)
            }
            guard let view, let alert = view.alert, caller.mayRead(department: alert.departmentCode)
            else {
                throw RPCError(
                    code: .notFound, message: "no alert has the id \"\(request.alertID)\"")
            }
            return view
        }
        registerActions(into: &router)
    }

    // MARK: Watching

    private func watch(
        _ request: WatchAlertsRequest, _ writer: ResponseWriter<WatchAlertsResponse>,
        _ context: ServerContext
    ) async throws {
        let caller = try await runtime.authenticator.authorize(context)
        let filter = try storeFilter(request.filter, caller)
        let heartbeat = request.heartbeatSeconds > 0
            ? Duration.seconds(Int64(request.heartbeatSeconds)) : runtime.heartbeatDefault

        // Attach to the live feed before reading history: whatever commits
        // meanwhile arrives by both ways and is dropped the second time, so
        // there is no gap between the two.
        let subscription = runtime.hub.subscribe { filter.matches($0) }
        runtime.metrics.watchers.add(1)
        defer {
            subscription.cancel()
            runtime.metrics.watchers.add(-1)
        }

        var cursor: UInt64
        if request.liveOnly {
            cursor = subscription.startPosition
        } else {
            cursor = request.afterSequence
            if cursor == 0 {
                cursor = try await runtime.read { try $0.oldestKeptAlertLogSequence() } - 1
            }
            let pageSize = 256
            while true {
                let start = cursor
                let page = try await runtime.read {
                    try $0.alertLog(after: start, filter: filter.store, limit: pageSize)
                }
                for entry in page.entries {
                    try await writer.send(serialized: encodings.response(for: entry))
                }
                cursor = max(cursor, page.position)
                if page.entries.count < pageSize { break }
            }
        }

        while true {
            switch await subscription.next(timeout: heartbeat) {
            case .entry(let entry):
                guard entry.sequence > cursor else { continue }
                try await writer.send(serialized: encodings.response(for: entry))
                cursor = entry.sequence
            case .idle(let position):
                cursor = max(cursor, position)
                var beat = Heartbeat()
                beat.position = cursor
                beat.at = Timestamp(runtime.clock.now())
                var response = WatchAlertsResponse()
                response.message = .heartbeat(beat)
                try await writer.send(response)
            case .overflowed:
                var trailers = Metadata()
                trailers.add("monitor-resume-after", String(cursor))
                throw RPCError(
                    code: .resourceExhausted,
                    message: "the watcher fell more than \(runtime.hub.capacity) transitions "
                        + "behind and was cut off; resume after sequence \(cursor)",
                    metadata: trailers)
            case .ended:
                var trailers = Metadata()
                trailers.add("monitor-resume-after", String(cursor))
                throw RPCError(
                    code: .unavailable,
                    message: "the server is stopping; watch again, after sequence \(cursor)",
                    metadata: trailers)
            }
        }
    }

    // MARK: Listing

    private func list(_ request: ListAlertsRequest, _ context: ServerContext) async throws
        -> ListAlertsResponse
    {
        let caller = try await runtime.authenticator.authorize(context)
        let filter = try storeFilter(request.filter, caller)
        let from = request.due?.start.map { Instant($0).millisecondsSinceEpoch }
        let before = request.due?.end.map { Instant($0).millisecondsSinceEpoch }
        let token = request.pageToken.isEmpty ? nil : request.pageToken
        let size = Int(request.pageSize)
        let (page, position) = try await runtime.read { transaction in
            (
                try transaction.alerts(
                    filter.store, dueFrom: from, dueBefore: before, pageSize: size,
                    pageToken: token, newestFirst: true),
                try transaction.alertLogPosition()
            )
        }
        var response = ListAlertsResponse()
        response.alerts = page.items.compactMap {
            try? AlertView(serializedBytes: $0.payload).alert
        }
        response.nextPageToken = page.nextPageToken ?? ""
        response.position = position
        return response
    }

    /// A request's filter as the store's, with a department's token held to
    /// its own department.
    private func storeFilter(_ filter: Messages.AlertFilter?, _ caller: Caller) throws
        -> WatchFilter
    {
        let filter = filter ?? Messages.AlertFilter()
        var departments = Set(filter.departmentCodes)
        if caller.role == .department {
            if departments.isEmpty || departments == [caller.departmentCode] {
                departments = [caller.departmentCode]
            } else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "a department's token sees only its own department's alerts "
                        + "(\(caller.departmentCode))")
            }
        }
        return WatchFilter(
            store: StoredAlertFilter(
                departments: departments, levels: Set(filter.levels.map { Int($0.rawValue) }),
                rules: Set(filter.rules.map { Int($0.rawValue) }),
                statuses: Set(filter.statuses.map { Int($0.rawValue) }),
                caseID: filter.caseID.isEmpty ? nil : filter.caseID))
    }
}

/// A watch's filter, matched against log entries in memory for the live
/// feed and handed to the store for history.
struct WatchFilter: Sendable {
    var store: StoredAlertFilter

    func matches(_ entry: AlertLogEntry) -> Bool {
        (store.departments.isEmpty || store.departments.contains(entry.department))
            && (store.levels.isEmpty || store.levels.contains(entry.level))
            && (store.rules.isEmpty || store.rules.contains(entry.rule))
            && (store.statuses.isEmpty || store.statuses.contains(entry.status))
            && (store.caseID == nil || store.caseID == entry.caseID)
    }
}
