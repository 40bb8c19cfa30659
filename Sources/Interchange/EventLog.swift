import Engine
import Messages

/// One problem with one line of an event log: the line's number (from 1),
/// the field, and what was wrong and what was expected.
public struct LineError: Hashable, Sendable, CustomStringConvertible {
    /// The line's number in the file, counting from 1.
    public var line: Int
    /// The offending field's path in `.proto` names; empty for the line as
    /// a whole (text that is not JSON, say).
    public var field: String
    /// What was wrong and what was expected.
    public var reason: String

    /// Creates a line's problem.
    public init(line: Int, field: String, reason: String) {
        self.line = line
        self.field = field
        self.reason = reason
    }

    /// `line 3: received.item_code: is empty; expected ...`.
    public var description: String {
        "line \(line): " + (field.isEmpty ? reason : field + ": " + reason)
    }
}

/// A case event log in JSON Lines, read: the events that could be recorded,
/// each with its line, and a problem per malformed field of the others.
///
/// Each line is one `CaseEvent` in proto3 JSON, reported when it happened;
/// or, to say when it was reported, a `TimelineEntry` wrapping it:
///
/// ```json
/// {"eventId": "E1", "departmentCode": "D1", "caseId": "C1", "occurredAt": "...", "accepted": {}}
/// {"reportedAt": "2026-09-23T09:00:00+08:00", "event": {"eventId": "E2", ...}}
/// ```
///
/// Blank lines are skipped. A malformed line is reported and left out; the
/// others still count.
public struct EventLog: Sendable {
    /// One event of the log with the line it came from.
    public struct Entry: Hashable, Sendable {
        /// The line's number, from 1.
        public var line: Int
        /// The event, validated.
        public var recorded: RecordedEvent
    }

    /// The events that could be recorded, in the order of their lines.
    public var entries: [Entry]
    /// The problems of the lines that could not, in the order of the lines.
    public var errors: [LineError]

    /// Reads a log's text. Lines end with LF or CR LF; a byte order mark
    /// at the start is skipped.
    public init(jsonLines text: String) {
        entries = []
        errors = []
        var number = 0
        // Split the bytes, not the characters: CR LF is one character.
        var bytes = Substring(text).utf8[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        {
            number += 1
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            switch EventLog.read(String(decoding: line, as: UTF8.self)) {
            case .success(let recorded):
                entries.append(Entry(line: number, recorded: recorded))
            case .failure(let error):
                errors += error.problems.map {
                    LineError(line: number, field: $0.field, reason: $0.reason)
                }
            }
        }
    }

    /// Reads one line: a `CaseEvent`, or a `TimelineEntry` wrapping one.
    static func read(_ line: String) -> Result<RecordedEvent, ValidationError> {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch let error as JSONDecodingError {
            return .failure(
                ValidationError(
                    field: "", reason: "invalid JSON at column \(error.column): \(error.reason)"))
        } catch {
            return .failure(ValidationError(field: "", reason: "\(error)"))
        }

        var wrapped = false
        if case .object(let object) = value, object["event"] != nil { wrapped = true }
        let message: Messages.CaseEvent
        var reportedAt: Timestamp?
        do {
            if wrapped {
                let entry = try TimelineEntry(jsonValue: value, options: JSONDecodingOptions())
                message = entry.event ?? Messages.CaseEvent()
                reportedAt = entry.reportedAt
            } else {
                message = try Messages.CaseEvent(jsonValue: value, options: JSONDecodingOptions())
            }
        } catch let error as JSONDecodingError {
            return .failure(
                ValidationError(
                    field: FieldPath.protoNames(fromJSON: error.path), reason: error.reason))
        } catch {
            return .failure(ValidationError(field: "", reason: "\(error)"))
        }

        if let reportedAt {
            if !(0...999_999_999).contains(reportedAt.nanos) {
                return .failure(
                    ValidationError(
                        field: "reported_at.nanos",
                        reason: "is \(reportedAt.nanos); expected 0 to 999999999"))
            }
            if Instant(reportedAt) < MessageBounds.earliestInstant {
                return .failure(
                    ValidationError(
                        field: "reported_at",
                        reason: "is \(reportedAt.rfc3339), before 2000-01-01 China Standard "
                            + "Time; expected when the event was reported"))
            }
        }
        let reported =
            (reportedAt ?? message.occurredAt).map(Instant.init)
            ?? MessageBounds.earliestInstant
        do {
            return .success(try RecordedEvent(message, reportedAt: reported))
        } catch {
            return .failure(wrapped ? error.prefixed(by: "event") : error)
        }
    }
}
