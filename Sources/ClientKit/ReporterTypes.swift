import Foundation

/// Where an `EventReporter`'s events stand: what waits in the spool, what is
/// on the wire, what the server rejected, and whether the server is reachable.
public struct ReporterBacklog: Sendable, Hashable, CustomStringConvertible {
    /// Events reported and not yet acknowledged, in flight or not.
    public var spooled: Int
    /// The encoded size of those events, in bytes.
    public var spooledBytes: Int
    /// Events sent on the current stream and not yet acknowledged.
    public var inFlight: Int
    /// Events the server rejected that the application has not discarded.
    public var rejected: Int
    /// Events acknowledged (accepted, duplicate or superseded) since this
    /// reporter was opened.
    public var acknowledged: Int
    /// Whether a stream to the server is open on a live connection.
    public var isConnected: Bool
    /// The latest failure of the stream, if any; kept after reconnecting so
    /// that a revoked token or an unreachable server stays visible.
    public var lastError: MonitorError?

    /// Makes a backlog value.
    public init(
        spooled: Int = 0, spooledBytes: Int = 0, inFlight: Int = 0, rejected: Int = 0,
        acknowledged: Int = 0, isConnected: Bool = false, lastError: MonitorError? = nil
    ) {
        self.spooled = spooled
        self.spooledBytes = spooledBytes
        self.inFlight = inFlight
        self.rejected = rejected
        self.acknowledged = acknowledged
        self.isConnected = isConnected
        self.lastError = lastError
    }

    /// One line for logs: "spooled=12 bytes=4096 in_flight=12 rejected=0 ...".
    public var description: String {
        var text = "spooled=\(spooled) bytes=\(spooledBytes) in_flight=\(inFlight)"
        text += " rejected=\(rejected) acknowledged=\(acknowledged)"
        text += " connected=\(isConnected)"
        if let lastError { text += " last_error=\"\(lastError)\"" }
        return text
    }
}

/// An event the server refused to record (acknowledgement REJECTED), kept in
/// the spool's rejected table until the application discards it.
///
/// The server records nothing of a rejected event, so the fix is to correct
/// it and report it again (the same event id is fine), then discard this
/// entry. The reporter never sends it again by itself.
public struct RejectedEvent: Sendable, Hashable, Identifiable {
    /// The event's place in spool order; names this entry for `discardRejected`.
    public var id: Int64
    /// The event as it was sent.
    public var event: CaseEvent
    /// The offending field's path, e.g. "received.item_code".
    public var field: String
    /// What was wrong and what was expected, in the server's words.
    public var reason: String
    /// When the rejection arrived.
    public var rejectedAt: Date

    /// Makes an entry.
    public init(id: Int64, event: CaseEvent, field: String, reason: String, rejectedAt: Date) {
        self.id = id
        self.event = event
        self.field = field
        self.reason = reason
        self.rejectedAt = rejectedAt
    }
}

/// Why an `EventReporter` refused or could not finish a request.
public enum ReporterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event can never be accepted as it is; nothing was spooled.
    case invalidEvent(eventID: String, field: String, value: String, expected: String)
    /// The events reported in one call can never fit in the spool.
    case batchTooLarge(events: Int, bytes: Int, maximumEvents: Int, maximumBytes: Int)
    /// The reporter was closed.
    case closed
    /// `flush` ran out of time; the backlog says what was left.
    case flushTimedOut(ReporterBacklog)
    /// The spool file failed.
    case spool(SpoolError)

    /// What went wrong and what would be right.
    public var description: String {
        switch self {
        case .invalidEvent(let eventID, let field, let value, let expected):
            let name = eventID.isEmpty ? "an event" : "event \(eventID)"
            return "\(name): \(field) is \(value); expected \(expected)"
        case .batchTooLarge(let events, let bytes, let maximumEvents, let maximumBytes):
            return "\(events) events of \(bytes) bytes cannot fit in a spool of at most"
                + " \(maximumEvents) events and \(maximumBytes) bytes; report fewer at once"
        case .closed:
            return "the reporter is closed"
        case .flushTimedOut(let backlog):
            return "flush timed out with events still unacknowledged: \(backlog)"
        case .spool(let error):
            return error.description
        }
    }
}
