import Engine
import Messages

/// A reported event kept whole: the message exactly as the department sent
/// it, and the engine's reading of it.
///
/// The engine reads only what its rules need; the message keeps everything
/// else (the applicant's phone, the title, handlers, notes, nanoseconds) so
/// that a case's timeline shows what was reported, not what the engine
/// kept. Construction validates: a recorded event is always one the engine
/// can fold.
///
/// ```swift
/// do {
///     let recorded = try RecordedEvent(message, reportedAt: now)
///     store(recorded.message.serializedBytes(), recorded.event)
/// } catch {
///     ack.status = .rejected
///     ack.field = error.field
///     ack.reason = error.reason
/// }
/// ```
public struct RecordedEvent: Hashable, Sendable {
    /// The event as reported.
    public let message: Messages.CaseEvent
    /// The engine's reading of it.
    public let event: Engine.CaseEvent

    /// Validates a reported event and reads it for the engine.
    ///
    /// - Throws: ``ValidationError`` naming every malformed field.
    public init(_ message: Messages.CaseEvent, reportedAt: Instant) throws(ValidationError) {
        self.event = try Engine.CaseEvent(message, reportedAt: reportedAt)
        self.message = message
    }

    /// Reads an event from the protobuf bytes it was reported (or stored) as.
    ///
    /// - Throws: ``ValidationError``: for bytes that are not a `CaseEvent`,
    ///   one problem on the whole message; otherwise the malformed fields.
    public init(serializedBytes bytes: [UInt8], reportedAt: Instant) throws(ValidationError) {
        let message: Messages.CaseEvent
        do {
            message = try Messages.CaseEvent(serializedBytes: bytes)
        } catch {
            throw ValidationError(field: "", reason: "\(error)")
        }
        try self.init(message, reportedAt: reportedAt)
    }

    /// When the server received the event.
    public var reportedAt: Instant { event.reportedAt }

    /// The case it belongs to.
    public var caseKey: CaseKey { event.caseKey }

    /// The timeline entry that shows this event on its case.
    ///
    /// - Parameters:
    ///   - superseded: whether a higher revision of the same event replaced it.
    ///   - reportedLate: whether it came later than the allowed delay.
    public func timelineEntry(superseded: Bool = false, reportedLate: Bool = false)
        -> TimelineEntry
    {
        TimelineEntry(
            event: message, reportedAt: Timestamp(reportedAt), superseded: superseded,
            reportedLate: reportedLate)
    }
}

extension EventAck {
    /// The acknowledgement that rejects an event: its position in the
    /// stream, its id and revision as sent, and the first problem found.
    public init(index: UInt64, rejecting message: Messages.CaseEvent, error: ValidationError) {
        self.init(
            index: index, eventID: message.eventID, revision: message.revision, status: .rejected,
            field: error.field, reason: error.reason)
    }
}
