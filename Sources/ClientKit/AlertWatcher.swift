import Foundation
import Services
import Synchronization
import Transport

/// Watches alert transitions and resumes exactly where it left off: the
/// application sees every transition once, in sequence order, across
/// disconnects, server restarts and process restarts.
///
/// The watcher remembers the sequence of the last transition it handed out.
/// After any disconnect it asks `AlertService/WatchAlerts` for what came
/// after that position, and drops anything at or below it. Heartbeats move
/// the position on while nothing matches the filter.
///
/// When the server no longer keeps the log that far back (OUT_OF_RANGE), the
/// watcher takes a snapshot of the alerts as they stand (`ListAlerts`),
/// hands it out as `.snapshot`, and continues after the snapshot's position.
/// A watcher cut off for reading too slowly (RESOURCE_EXHAUSTED) continues
/// from its position at once. Other failures are retried with backoff;
/// failures that retrying cannot mend (an unknown token, a forbidden filter)
/// are thrown.
///
/// ```swift
/// let watcher = try AlertWatcher(
///     client: client, positionFile: URL(fileURLWithPath: "alerts.position"))
/// for try await update in watcher {
///     switch update {
///     case .transition(let transition): show(transition)
///     case .snapshot(let snapshot): replaceAll(with: snapshot.alerts)
///     case .heartbeat: break
///     }
///     try watcher.savePosition()
/// }
/// ```
///
/// Iterate from one task at a time. Cancelling that task ends the iteration.
public final class AlertWatcher: AsyncSequence, Sendable {
    /// One thing the watcher hands to the application.
    public enum Update: Sendable, Hashable {
        /// One change of one alert, newer than everything handed out before.
        case transition(AlertTransition)
        /// The alerts as they stood at a position, given when the log no longer
        /// reaches back to where the watcher was (or when it starts that way);
        /// transitions after it follow.
        case snapshot(AlertSnapshot)
        /// Nothing matched the filter for a while; the server has looked at
        /// everything up to the position.
        case heartbeat(position: UInt64)
    }

    /// Where a watcher without a saved position begins.
    public enum Start: Sendable, Hashable {
        /// With the oldest transition the server keeps.
        case oldest
        /// After this sequence number.
        case after(UInt64)
        /// With a snapshot of the alerts as they stand, then what follows.
        case snapshot
    }

    /// What the watcher watches and how it reconnects.
    public struct Configuration: Sendable {
        /// Which alerts; empty lists match everything.
        public var filter = AlertFilter()
        /// Seconds of silence before the server sends a heartbeat; 0 leaves it
        /// to the server.
        public var heartbeatSeconds: UInt32 = 0
        /// The waits between reconnection attempts.
        public var backoff = Backoff()
        /// Alerts per `ListAlerts` page when taking a snapshot.
        public var snapshotPageSize: UInt32 = 1000

        /// The defaults: every alert, the server's heartbeat, default backoff.
        public init() {}
    }

    /// The element type: one update.
    public typealias Element = Update
    /// Always a `MonitorError` (or a `WatcherError` for the position file).
    public typealias Failure = any Error

    private struct State {
        var position: UInt64
        var needsSnapshot: Bool
    }

    let client: MonitorClient
    /// The configuration the watcher was made with.
    public let configuration: Configuration
    /// The file `savePosition()` writes, if any.
    public let positionFile: URL?
    private let state: Mutex<State>

    /// Makes a watcher that starts at `start`.
    public init(
        client: MonitorClient, start: Start = .oldest,
        configuration: Configuration = Configuration()
    ) {
        self.client = client
        self.configuration = configuration
        self.positionFile = nil
        state = Mutex(Self.initialState(start))
    }

    /// Makes a watcher that continues from the position saved in
    /// `positionFile`, or starts at `start` when there is no such file yet.
    ///
    /// - Throws: `WatcherError.unreadablePosition` when the file exists but
    ///   does not hold a position.
    public init(
        client: MonitorClient, positionFile: URL, start: Start = .oldest,
        configuration: Configuration = Configuration()
    ) throws {
        self.client = client
        self.configuration = configuration
        self.positionFile = positionFile
        if let saved = try Self.readPosition(positionFile) {
            state = Mutex(State(position: saved, needsSnapshot: false))
        } else {
            state = Mutex(Self.initialState(start))
        }
    }

    private static func initialState(_ start: Start) -> State {
        switch start {
        case .oldest: return State(position: 0, needsSnapshot: false)
        case .after(let sequence): return State(position: sequence, needsSnapshot: false)
        case .snapshot: return State(position: 0, needsSnapshot: true)
        }
    }

    /// The sequence of the last transition handed out (or the position of the
    /// last snapshot or heartbeat, when later): a new watch continues after it.
    public var position: UInt64 {
        state.withLock { $0.position }
    }

    /// Writes the position to `positionFile` so that a watcher made after a
    /// restart continues from it. The file is replaced atomically: a crash
    /// leaves the old position or the new one, never a torn file.
    ///
    /// - Throws: `WatcherError.cannotSavePosition` naming the file and the
    ///   system's reason.
    public func savePosition() throws {
        guard let positionFile else {
            throw WatcherError.cannotSavePosition(
                path: "", reason: "the watcher was made without a position file")
        }
        try PositionFile.write("\(position)\n", to: positionFile)
    }

    /// The iterator; see the type's description for what it does.
    public func makeAsyncIterator() -> Iterator {
        Iterator(watcher: self)
    }

    fileprivate func advance(to position: UInt64) {
        state.withLock { state in
            state.position = Swift.max(state.position, position)
            state.needsSnapshot = false
        }
    }

    fileprivate func requireSnapshot() {
        state.withLock { $0.needsSnapshot = true }
    }

    fileprivate var needsSnapshot: Bool {
        state.withLock { $0.needsSnapshot }
    }

    private static func readPosition(_ url: URL) throws -> UInt64? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let position = UInt64(text) else {
            throw WatcherError.unreadablePosition(path: url.path, content: String(text.prefix(40)))
        }
        return position
    }

    /// Reads updates, reconnecting as needed.
    public struct Iterator: AsyncIteratorProtocol {
        let watcher: AlertWatcher
        private var responses: StreamedResponses<WatchAlertsResponse>.AsyncIterator? {
            didSet { if responses == nil { call.current = nil } }
        }
        /// Cancels the open watch when the iterator is dropped (a `break` out
        /// of the loop), so that no stream outlives its reader.
        private let call = OpenCall()
        private var failures = 0
        private static let path = AlertService.watchAlerts.path

        init(watcher: AlertWatcher) {
            self.watcher = watcher
        }

        /// The next update; nil once the iterating task is cancelled.
        ///
        /// - Throws: `MonitorError` for a failure that retrying cannot mend:
        ///   UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, NOT_FOUND,
        ///   FAILED_PRECONDITION or UNIMPLEMENTED.
        public mutating func next() async throws -> Update? {
            while !Task.isCancelled {
                do {
                    if watcher.needsSnapshot {
                        responses = nil
                        let snapshot = try await takeSnapshot()
                        watcher.advance(to: snapshot.position)
                        return .snapshot(snapshot)
                    }
                    if responses == nil {
                        let stream = try await subscribe()
                        call.current = stream
                        responses = stream.makeAsyncIterator()
                    }
                    guard let response = try await responses?.next() else {
                        throw MonitorError(
                            code: .unavailable, message: "the server ended the watch",
                            method: String(Self.path.dropFirst()))
                    }
                    failures = 0
                    if let update = apply(response) { return update }
                } catch {
                    responses = nil
                    if Task.isCancelled { return nil }
                    try await recover(from: MonitorError(error, path: Self.path))
                }
            }
            return nil
        }

        private func subscribe() async throws -> StreamedResponses<WatchAlertsResponse> {
            let request = WatchAlertsRequest(
                afterSequence: watcher.position, filter: watcher.configuration.filter,
                heartbeatSeconds: watcher.configuration.heartbeatSeconds)
            return try await watcher.client.alerts.watchAlerts(request)
        }

        /// Turns a response into an update, or nil for one already handed out.
        private func apply(_ response: WatchAlertsResponse) -> Update? {
            switch response.message {
            case .transition(let transition):
                guard transition.sequence > watcher.position else { return nil }
                watcher.advance(to: transition.sequence)
                return .transition(transition)
            case .heartbeat(let heartbeat):
                watcher.advance(to: heartbeat.position)
                return .heartbeat(position: heartbeat.position)
            case nil:
                return nil
            }
        }

        /// Decides what a failure means: a snapshot, an immediate resume, a
        /// wait, or the end.
        private mutating func recover(from error: MonitorError) async throws {
            switch error.code {
            case .outOfRange:
                watcher.requireSnapshot()
            case .resourceExhausted where error.metadata["monitor-resume-after"] != nil:
                // Cut off for reading slowly. Everything the server sent came
                // before its status, so the position already covers the
                // trailer's sequence: continue from it at once.
                break
            case .unauthenticated, .permissionDenied, .invalidArgument, .notFound,
                .failedPrecondition, .unimplemented:
                throw error
            default:
                let delay = watcher.configuration.backoff.delay(afterFailures: failures)
                failures += 1
                try? await Task.sleep(for: delay)
            }
        }

        /// Every alert matching the filter as it stands, page by page, with the
        /// log position of the first page.
        private func takeSnapshot() async throws -> AlertSnapshot {
            var alerts: [Alert] = []
            var position: UInt64?
            var token = ""
            repeat {
                let page = try await watcher.client.alerts.listAlerts(ListAlertsRequest(
                    filter: watcher.configuration.filter,
                    pageSize: watcher.configuration.snapshotPageSize, pageToken: token))
                if position == nil { position = page.position }
                alerts.append(contentsOf: page.alerts)
                token = page.nextPageToken
            } while !token.isEmpty
            return AlertSnapshot(alerts: alerts, position: position ?? 0)
        }
    }
}

/// The watch call an iterator has open; cancelled when replaced or dropped.
private final class OpenCall: @unchecked Sendable {
    // Invariant for @unchecked Sendable: used only by the one task that
    // iterates, like the iterator that owns it.
    var current: StreamedResponses<WatchAlertsResponse>? {
        willSet { current?.cancel() }
    }

    deinit {
        current?.cancel()
    }
}

/// The alerts matching a watcher's filter as they stood at one position of
/// the alert log.
public struct AlertSnapshot: Sendable, Hashable {
    /// The alerts, newest first, as `ListAlerts` returns them.
    public var alerts: [Alert]
    /// The alert log's position when the snapshot was taken; the transitions
    /// that follow it come next.
    public var position: UInt64

    /// Makes a snapshot.
    public init(alerts: [Alert], position: UInt64) {
        self.alerts = alerts
        self.position = position
    }
}

/// A failure of the watcher's position file.
public enum WatcherError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file exists but does not hold a position (a sequence number).
    case unreadablePosition(path: String, content: String)
    /// The position could not be written.
    case cannotSavePosition(path: String, reason: String)

    /// Which file, and what is wrong with it.
    public var description: String {
        switch self {
        case .unreadablePosition(let path, let content):
            return "position file \(path) holds \"\(content)\"; expected a sequence number"
                + " such as 1234 (delete the file to start over)"
        case .cannotSavePosition(let path, let reason):
            return "cannot save the position to \(path): \(reason)"
        }
    }
}

/// Atomic replacement of a small file: write a temporary file beside it, sync
/// it, rename it over the old one, and sync the directory.
enum PositionFile {
    static func write(_ text: String, to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = path + ".tmp-\(getpid())"
        func failure(_ step: String) -> WatcherError {
            .cannotSavePosition(path: path, reason: "\(step): \(String(cString: strerror(errno)))")
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            let error = failure("write \(temporary)")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
