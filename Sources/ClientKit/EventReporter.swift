import Foundation
import Services
import Synchronization
import Transport

/// Reports case events to the server and never loses one: each event is
/// written to a local spool before `report` returns, and stays there until
/// the server has acknowledged it.
///
/// A background task keeps one `IntakeService/ReportEvents` stream open and
/// sends spooled events in the order they were reported, with at most
/// `Configuration.window` events awaiting their acknowledgement. The server
/// acknowledges each event once, in order:
///
/// - ACCEPTED, DUPLICATE (sent before) and SUPERSEDED (a later revision is
///   recorded): the event leaves the spool.
/// - REJECTED: the event moves to the spool's rejected table and is handed to
///   the application (`rejections()`, `rejectedEvents()`); it is never sent
///   again as it is.
///
/// After any failure (server down or restarting, network lost, token refused)
/// the reporter waits (exponential backoff with full jitter), reconnects, and
/// sends again everything not yet acknowledged; the server answers events it
/// already has as duplicates, so nothing is counted twice. When the spool is
/// full, `report` waits for room instead of dropping anything.
///
/// ```swift
/// let client = MonitorClient(host: "127.0.0.1", port: 50051, token: secret)
/// let reporter = try EventReporter(client: client, spoolPath: "/var/lib/app/spool.sqlite")
/// try await reporter.report(event)         // durable once this returns
/// try await reporter.flush(timeout: .seconds(10))
/// await reporter.close()
/// ```
///
/// One spool belongs to one reporter: opening a spool that another process
/// holds fails.
public actor EventReporter {
    /// Limits and timing of a reporter.
    public struct Configuration: Sendable {
        /// The most events the spool holds before `report` waits for room.
        public var maximumSpooledEvents = 100_000
        /// The most bytes (encoded events) the spool holds before `report`
        /// waits for room.
        public var maximumSpooledBytes = 256 * 1024 * 1024
        /// The most events sent and not yet acknowledged.
        public var window = 256
        /// The waits between reconnection attempts.
        public var backoff = Backoff()
        /// The department code given to events reported without one.
        public var departmentCode: String? = nil

        /// The defaults: 100,000 events or 256 MiB, a window of 256 events.
        public init() {}
    }

    /// One event sent on the current stream and not yet acknowledged.
    private struct InFlight {
        var sequence: Int64
        var eventID: String
        var revision: UInt32
        var index: UInt64
        var bytes: [UInt8]
    }

    /// A `report` call waiting for room in the spool.
    private struct RoomWaiter {
        var id: UInt64
        var events: Int
        var bytes: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// The spool file's path.
    public nonisolated let spoolPath: String

    private let configuration: Configuration
    private let spool: Spool
    private let channel: GRPCChannel
    private let metadata: Metadata
    private static let method = IntakeService.reportEvents.path

    private var spooledEvents: Int
    private var spooledBytes: Int
    private var rejectedCount: Int
    private var acknowledgedCount = 0
    private var connected = false
    private var lastError: MonitorError?

    /// Counts streams; a stream's tasks check it so that stale work is dropped.
    private var generation = 0
    private var answered = false
    private var inFlight: [InFlight] = []
    private var inFlightHead = 0
    private var nextIndex: UInt64 = 0
    /// The spool sequence of the last event sent on the current stream.
    private var cursor: Int64 = 0
    private var wake: AsyncStream<Void>.Continuation?

    private var nextWaiterID: UInt64 = 0
    private var roomWaiters: [RoomWaiter] = []
    private var emptyWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var backlogObservers: [UInt64: AsyncStream<ReporterBacklog>.Continuation] = [:]
    private var rejectionObservers: [UInt64: AsyncStream<RejectedEvent>.Continuation] = [:]

    private var closed = false
    /// The background task that runs the stream; cancelled by `close`.
    private let link = LinkTask()

    /// Opens (or creates) the spool at `spoolPath` and starts sending what it
    /// holds, including events left from an earlier run.
    ///
    /// - Throws: `ReporterError.spool` when the file cannot be opened or
    ///   another process holds it.
    public init(
        client: MonitorClient, spoolPath: String, configuration: Configuration = Configuration()
    ) throws {
        precondition(configuration.window > 0, "the window must hold at least one event")
        self.spoolPath = spoolPath
        self.configuration = configuration
        do {
            spool = try Spool(path: spoolPath)
        } catch {
            throw ReporterError.spool(error)
        }
        channel = client.channel
        metadata = client.caller.rpc.metadata
        spooledEvents = spool.totals.events
        spooledBytes = spool.totals.bytes
        rejectedCount = spool.totals.rejected
        // Through a local: a nonisolated initializer may not touch stored
        // properties once `self` has escaped into the task.
        let link = self.link
        link.start(Task { [self] in await runLink() })
    }

    // MARK: Reporting

    /// Writes one event to the spool and returns its event id once the event
    /// is durable; the server gets it as soon as it can be sent.
    ///
    /// An event without an id gets a time-ordered one (`TimeOrderedID`), and
    /// one without a department code gets `Configuration.departmentCode`.
    /// Waits while the spool is full.
    ///
    /// - Throws: `ReporterError.invalidEvent` for an event the server could
    ///   never accept (no kind, no case id, no time, an id over 64
    ///   characters); `.closed`; `.spool` when the file fails;
    ///   `CancellationError` when the task is cancelled while waiting for room.
    @discardableResult
    public func report(_ event: CaseEvent) async throws -> String {
        try await report(contentsOf: [event])[0]
    }

    /// Writes events to the spool in one transaction, in order, and returns
    /// their event ids once all of them are durable.
    ///
    /// - Throws: as `report(_:)`, and `.batchTooLarge` when the events could
    ///   never fit in the spool at once.
    @discardableResult
    public func report(contentsOf events: [CaseEvent]) async throws -> [String] {
        guard !closed else { throw ReporterError.closed }
        guard !events.isEmpty else { return [] }

        var entries: [SpoolEntry] = []
        entries.reserveCapacity(events.count)
        var bytes = 0
        for var event in events {
            if event.eventID.isEmpty { event.eventID = TimeOrderedID.next() }
            if event.departmentCode.isEmpty, let code = configuration.departmentCode {
                event.departmentCode = code
            }
            try Self.validate(event)
            let encoded = event.serializedBytes()
            bytes += encoded.count
            entries.append(SpoolEntry(
                eventID: event.eventID, revision: event.revision, caseID: event.caseID,
                bytes: encoded))
        }
        guard entries.count <= configuration.maximumSpooledEvents,
            bytes <= configuration.maximumSpooledBytes
        else {
            throw ReporterError.batchTooLarge(
                events: entries.count, bytes: bytes,
                maximumEvents: configuration.maximumSpooledEvents,
                maximumBytes: configuration.maximumSpooledBytes)
        }

        try await reserveRoom(events: entries.count, bytes: bytes)
        do {
            _ = try await spool.append(entries)
        } catch {
            release(events: entries.count, bytes: bytes)
            if closed { throw ReporterError.closed }
            throw (error as? SpoolError).map(ReporterError.spool) ?? error
        }
        wake?.yield()
        publish()
        return entries.map(\.eventID)
    }

    /// Checks what the server would reject whatever its catalogue says.
    static func validate(_ event: CaseEvent) throws(ReporterError) {
        func invalid(_ field: String, _ value: String, _ expected: String) -> ReporterError {
            .invalidEvent(eventID: event.eventID, field: field, value: value, expected: expected)
        }
        if event.eventID.count > 64 {
            throw invalid("event_id", "\(event.eventID.count) characters long", "1 to 64")
        }
        if event.caseID.isEmpty || event.caseID.count > 64 {
            let value = event.caseID.isEmpty ? "empty" : "\(event.caseID.count) characters long"
            throw invalid("case_id", value, "the case's number, 1 to 64 characters")
        }
        if event.departmentCode.isEmpty {
            throw invalid(
                "department_code", "empty",
                "the reporting department's catalogue code (or set"
                    + " Configuration.departmentCode)")
        }
        if event.occurredAt == nil {
            throw invalid("occurred_at", "not set", "the instant the event happened")
        }
        if event.kind == nil {
            throw invalid(
                "kind", "not set", "exactly one event kind, such as received or accepted")
        }
    }

    // MARK: Waiting and stopping

    /// Waits until every reported event is acknowledged (or rejected) and the
    /// spool has recorded that.
    ///
    /// - Throws: `ReporterError.flushTimedOut` with the backlog when
    ///   `timeout` passes first; `.closed`; `CancellationError`.
    public func flush(timeout: Duration? = nil) async throws {
        if spooledEvents > 0 {
            nextWaiterID += 1
            let id = nextWaiterID
            let timer = timeout.map { timeout in
                Task { [self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self.failEmptyWaiter(id, ReporterError.flushTimedOut(self.backlog))
                }
            }
            defer { timer?.cancel() }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation {
                    (continuation: CheckedContinuation<Void, any Error>) in
                    if closed {
                        continuation.resume(throwing: ReporterError.closed)
                    } else if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else if spooledEvents == 0 {
                        continuation.resume()
                    } else {
                        emptyWaiters[id] = continuation
                    }
                }
            } onCancel: {
                Task { await self.failEmptyWaiter(id, CancellationError()) }
            }
        }
        do {
            try await spool.sync()
        } catch let error as SpoolError {
            throw ReporterError.spool(error)
        }
    }

    /// Stops sending and closes the spool. Events not yet acknowledged stay in
    /// the spool and are sent by the next reporter opened on it. Waiting
    /// `report` and `flush` calls fail with `ReporterError.closed`.
    public func close() async {
        guard !closed else { return }
        closed = true
        await link.stop()

        for waiter in roomWaiters { waiter.continuation.resume(throwing: ReporterError.closed) }
        roomWaiters = []
        for (_, waiter) in emptyWaiters { waiter.resume(throwing: ReporterError.closed) }
        emptyWaiters = [:]
        await spool.close()
        connected = false
        publish()
        for (_, observer) in backlogObservers { observer.finish() }
        for (_, observer) in rejectionObservers { observer.finish() }
        backlogObservers = [:]
        rejectionObservers = [:]
    }

    // MARK: Observing

    /// The backlog now.
    public var backlog: ReporterBacklog {
        ReporterBacklog(
            spooled: spooledEvents, spooledBytes: spooledBytes,
            inFlight: inFlight.count - inFlightHead, rejected: rejectedCount,
            acknowledged: acknowledgedCount, isConnected: connected, lastError: lastError)
    }

    /// The backlog now and after every change; a slow reader sees the latest
    /// value, not every step. Ends when the reporter closes.
    public func backlogUpdates() -> AsyncStream<ReporterBacklog> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ReporterBacklog.self, bufferingPolicy: .bufferingNewest(1))
        continuation.yield(backlog)
        if closed {
            continuation.finish()
            return stream
        }
        nextWaiterID += 1
        let id = nextWaiterID
        backlogObservers[id] = continuation
        continuation.onTermination = { _ in
            Task { await self.removeBacklogObserver(id) }
        }
        return stream
    }

    /// Every event the server rejects from now on, as it happens; none is
    /// dropped however slowly the stream is read. Events rejected before the
    /// call are in `rejectedEvents()`. Ends when the reporter closes.
    public func rejections() -> AsyncStream<RejectedEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RejectedEvent.self)
        if closed {
            continuation.finish()
            return stream
        }
        nextWaiterID += 1
        let id = nextWaiterID
        rejectionObservers[id] = continuation
        continuation.onTermination = { _ in
            Task { await self.removeRejectionObserver(id) }
        }
        return stream
    }

    /// Every rejected event the spool keeps, oldest first, including those
    /// rejected in earlier runs.
    public func rejectedEvents() async throws -> [RejectedEvent] {
        guard !closed else { throw ReporterError.closed }
        let rows: [StoredRejection]
        do {
            rows = try await spool.listRejected()
        } catch let error as SpoolError {
            throw ReporterError.spool(error)
        }
        return rows.map { row in
            RejectedEvent(
                id: row.sequence,
                event: (try? CaseEvent(serializedBytes: row.bytes)) ?? CaseEvent(),
                field: row.field, reason: row.reason,
                rejectedAt: Date(timeIntervalSince1970: Double(row.rejectedAtMilliseconds) / 1000))
        }
    }

    /// Removes rejected events the application has dealt with (corrected and
    /// reported again, or decided to drop).
    public func discardRejected(_ ids: [RejectedEvent.ID]) async throws {
        guard !closed else { throw ReporterError.closed }
        do {
            rejectedCount -= try await spool.removeRejected(ids)
        } catch let error as SpoolError {
            throw ReporterError.spool(error)
        }
        publish()
    }

    private func removeBacklogObserver(_ id: UInt64) {
        backlogObservers[id] = nil
    }

    private func removeRejectionObserver(_ id: UInt64) {
        rejectionObservers[id] = nil
    }

    private func publish() {
        guard !backlogObservers.isEmpty else { return }
        let value = backlog
        for (_, observer) in backlogObservers { observer.yield(value) }
    }

    // MARK: Room in the spool

    private func fits(events: Int, bytes: Int) -> Bool {
        spooledEvents + events <= configuration.maximumSpooledEvents
            && spooledBytes + bytes <= configuration.maximumSpooledBytes
    }

    /// Counts the events as spooled, first waiting (in arrival order) until
    /// they fit.
    private func reserveRoom(events: Int, bytes: Int) async throws {
        if roomWaiters.isEmpty && fits(events: events, bytes: bytes) {
            spooledEvents += events
            spooledBytes += bytes
            return
        }
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Void, any Error>) in
                if closed {
                    continuation.resume(throwing: ReporterError.closed)
                } else if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    roomWaiters.append(RoomWaiter(
                        id: id, events: events, bytes: bytes, continuation: continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelRoomWaiter(id) }
        }
    }

    private func cancelRoomWaiter(_ id: UInt64) {
        guard let position = roomWaiters.firstIndex(where: { $0.id == id }) else { return }
        roomWaiters.remove(at: position).continuation.resume(throwing: CancellationError())
        admitWaiters()
    }

    private func release(events: Int, bytes: Int) {
        spooledEvents -= events
        spooledBytes -= bytes
        admitWaiters()
        if spooledEvents == 0 {
            for (_, waiter) in emptyWaiters { waiter.resume() }
            emptyWaiters = [:]
        }
    }

    /// Lets waiting `report` calls in, oldest first, while they fit.
    private func admitWaiters() {
        while let first = roomWaiters.first, fits(events: first.events, bytes: first.bytes) {
            roomWaiters.removeFirst()
            spooledEvents += first.events
            spooledBytes += first.bytes
            first.continuation.resume()
        }
    }

    private func failEmptyWaiter(_ id: UInt64, _ error: any Error) {
        emptyWaiters.removeValue(forKey: id)?.resume(throwing: error)
    }

    // MARK: The stream

    /// Keeps a stream open until the reporter closes, reconnecting after
    /// failures.
    private func runLink() async {
        var failures = 0
        while !Task.isCancelled {
            let (signals, continuation) = AsyncStream.makeStream(
                of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let generation = beginStream(wake: continuation)
            var failure: (any Error)?
            do {
                try await runStream(generation: generation, signals: signals)
            } catch {
                failure = error
            }
            let wasAnswered = endStream(generation, failure)
            if Task.isCancelled { return }
            failures = wasAnswered ? 0 : failures + 1
            try? await Task.sleep(for: configuration.backoff.delay(afterFailures: failures))
        }
    }

    private nonisolated func runStream(
        generation: Int, signals: AsyncStream<Void>
    ) async throws {
        let call = try await channel.makeCall(path: Self.method, metadata: metadata)
        defer { call.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.sendEvents(call, generation, signals) }
            group.addTask { try await self.receiveAcknowledgements(call, generation) }
            group.addTask { await self.watchConnection(generation) }
            for try await _ in group {}
        }
    }

    private nonisolated func sendEvents(
        _ call: ClientCall, _ generation: Int, _ signals: AsyncStream<Void>
    ) async throws {
        var wakeups = signals.makeAsyncIterator()
        while true {
            let batch = try await takeBatch(generation)
            if batch.isEmpty {
                guard await wakeups.next() != nil else { throw CancellationError() }
                continue
            }
            for record in batch {
                try await call.send(record.bytes)
            }
        }
    }

    private nonisolated func receiveAcknowledgements(
        _ call: ClientCall, _ generation: Int
    ) async throws {
        for try await bytes in call.responses {
            let ack: EventAck
            do {
                ack = try EventAck(serializedBytes: bytes)
            } catch {
                throw MonitorError(
                    code: .internal, message: "cannot parse an acknowledgement: \(error)")
            }
            try await acknowledge(ack, generation)
        }
        throw MonitorError(
            code: .unavailable, message: "the server ended the stream; reconnecting")
    }

    /// Marks the stream connected once the channel has a live connection.
    private nonisolated func watchConnection(_ generation: Int) async {
        while !Task.isCancelled {
            if channel.counters.connectionsOpen > 0 {
                await markConnected(generation)
                return
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func beginStream(wake: AsyncStream<Void>.Continuation) -> Int {
        generation += 1
        answered = false
        inFlight = []
        inFlightHead = 0
        nextIndex = 0
        cursor = 0
        self.wake = wake
        return generation
    }

    /// Ends the stream's bookkeeping; what was in flight stays in the spool and
    /// goes again on the next stream. Returns whether the server answered.
    private func endStream(_ generation: Int, _ failure: (any Error)?) -> Bool {
        guard generation == self.generation else { return false }
        wake?.finish()
        wake = nil
        inFlight = []
        inFlightHead = 0
        connected = false
        if let failure, !closed {
            if let spoolError = failure as? SpoolError {
                lastError = MonitorError(code: .unknown, message: spoolError.description)
            } else {
                lastError = MonitorError(failure, path: Self.method)
            }
        }
        publish()
        return answered
    }

    private func markConnected(_ generation: Int) {
        guard generation == self.generation, !connected else { return }
        connected = true
        publish()
    }

    /// The next events to send on the stream: those after the cursor, as many
    /// as the window has room for; empty when there are none or no room.
    private func takeBatch(_ generation: Int) async throws -> [SpoolRecord] {
        guard generation == self.generation else { throw CancellationError() }
        let room = configuration.window - (inFlight.count - inFlightHead)
        guard room > 0 else { return [] }
        let records = try await spool.load(after: cursor, limit: room)
        // The stream may have ended while the spool was read.
        guard generation == self.generation else { throw CancellationError() }
        for record in records {
            nextIndex += 1
            inFlight.append(InFlight(
                sequence: record.sequence, eventID: record.eventID, revision: record.revision,
                index: nextIndex, bytes: record.bytes))
            cursor = record.sequence
        }
        if !records.isEmpty { publish() }
        return records
    }

    /// Applies one acknowledgement to the oldest event in flight.
    ///
    /// - Throws: `MonitorError` when it does not match that event or its
    ///   status is unknown: the stream is then restarted and the event stays
    ///   in the spool.
    private func acknowledge(_ ack: EventAck, _ generation: Int) throws {
        guard generation == self.generation else { throw CancellationError() }
        guard inFlightHead < inFlight.count else {
            throw MonitorError(
                code: .internal,
                message: "acknowledgement \(ack.index) (event \(ack.eventID)) arrived with no"
                    + " event in flight", method: String(Self.method.dropFirst()))
        }
        let head = inFlight[inFlightHead]
        let sameEvent = ack.eventID.isEmpty
            || (ack.eventID == head.eventID && ack.revision == head.revision)
        guard ack.index == head.index, sameEvent else {
            throw MonitorError(
                code: .internal,
                message: "acknowledgement \(ack.index) names event \(ack.eventID) revision"
                    + " \(ack.revision); expected \(head.index), event \(head.eventID) revision"
                    + " \(head.revision)", method: String(Self.method.dropFirst()))
        }

        switch ack.status {
        case .accepted, .duplicate, .superseded:
            spool.acknowledge(head.sequence)
            acknowledgedCount += 1
        case .rejected:
            let now = Date()
            spool.reject(
                head.sequence, field: ack.field, reason: ack.reason,
                atMilliseconds: Int64(now.timeIntervalSince1970 * 1000))
            rejectedCount += 1
            let rejected = RejectedEvent(
                id: head.sequence,
                event: (try? CaseEvent(serializedBytes: head.bytes)) ?? CaseEvent(),
                field: ack.field, reason: ack.reason, rejectedAt: now)
            for (_, observer) in rejectionObservers { observer.yield(rejected) }
        case .unspecified, .unrecognized:
            throw MonitorError(
                code: .internal,
                message: "acknowledgement \(ack.index) for event \(head.eventID) has status"
                    + " \(ack.status.rawValue), which this client does not know; the event"
                    + " stays in the spool", method: String(Self.method.dropFirst()))
        }

        inFlightHead += 1
        if inFlightHead > 1024 && inFlightHead * 2 > inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
        answered = true
        connected = true
        release(events: 1, bytes: head.bytes.count)
        wake?.yield()
        publish()
    }
}

/// Holds the reporter's background task so that `close` can stop it.
final class LinkTask: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    func start(_ running: Task<Void, Never>) {
        task.withLock { $0 = running }
    }

    /// Cancels the task and waits for it to end.
    func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
