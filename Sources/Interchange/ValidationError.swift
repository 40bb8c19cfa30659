import Engine
import Messages

/// One thing wrong with a message: the field, named by its path in the
/// `.proto` names, and what was wrong with it and what was expected.
public struct FieldProblem: Hashable, Sendable, CustomStringConvertible {
    /// The offending field's path in `.proto` names, e.g. `received.item_code`
    /// or `items[3].promised_limit_days`; empty for the message as a whole.
    public var field: String
    /// What was wrong and what was expected, e.g. `is empty; expected 1 to 64
    /// characters`.
    public var reason: String

    /// Creates a problem.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`, or the reason alone for the whole message.
    public var description: String {
        field.isEmpty ? reason : field + ": " + reason
    }

    /// The problem with its field placed under `prefix` (a field or list
    /// element of an enclosing message, e.g. `calendar` or `items[3]`).
    public func prefixed(by prefix: String) -> FieldProblem {
        FieldProblem(field: FieldPath.join(prefix, field), reason: reason)
    }
}

/// A message refused because it cannot be used meaningfully: every problem
/// found, in the order of the message's fields.
///
/// The server answers a rejected event with the first problem in its
/// `EventAck` (`field`, `reason`); tools show them all.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Every problem found; never empty.
    public var problems: [FieldProblem]

    /// Creates an error from the problems found; `problems` must not be empty.
    public init(problems: [FieldProblem]) {
        precondition(!problems.isEmpty, "a validation error has at least one problem")
        self.problems = problems
    }

    /// Creates an error with one problem.
    public init(field: String, reason: String) {
        self.init(problems: [FieldProblem(field: field, reason: reason)])
    }

    /// The first offending field's path.
    public var field: String { problems[0].field }

    /// What was wrong with the first offending field.
    public var reason: String { problems[0].reason }

    /// Every problem, `field: reason`, separated by semicolons.
    public var description: String {
        problems.map(\.description).joined(separator: "; ")
    }

    /// The error with every field placed under `prefix`.
    public func prefixed(by prefix: String) -> ValidationError {
        ValidationError(problems: problems.map { $0.prefixed(by: prefix) })
    }
}

/// The bounds that structural validation holds messages to.
///
/// They keep out what cannot be recorded meaningfully, and keep every count
/// the engine makes far inside its integer ranges.
public enum MessageBounds {
    /// Most characters in an identifier or code: event, case, department,
    /// item and procedure.
    public static let identifierLength = 64
    /// Most characters in a free-text field (a reason, an opinion, a name).
    public static let textLength = 4_000
    /// Most entries in a list of texts (the missing materials of a
    /// correction notice).
    public static let listLength = 1_000
    /// Most working days in any limit, grant or setting: about four years,
    /// far beyond any real limit.
    public static let limitDays: UInt32 = 1_000
    /// Most hours of an allowed reporting delay: one year.
    public static let reportingDelayHours: UInt32 = 8_760
    /// The largest amount in fen one fee or fee standard may carry: ten
    /// billion yuan.
    public static let amountFen: Int64 = 1_000_000_000_000
    /// The earliest instant an event may carry: 2000-01-01T00:00:00+08:00.
    public static let earliestInstant = Instant(secondsSinceEpoch: 946_656_000)
    /// How long after it was reported an event may say it happened: one day,
    /// for clocks that run fast.
    public static let clockSkewMilliseconds: Int64 = 86_400_000
    /// The years a calendar may describe.
    public static let calendarYears = 2000...2100
}

/// Builds `.proto` field paths and converts the JSON mapping's paths to them.
enum FieldPath {
    /// `prefix.field`, or whichever of the two is not empty.
    static func join(_ prefix: String, _ field: String) -> String {
        if prefix.isEmpty { return field }
        if field.isEmpty { return prefix }
        return field.hasPrefix("[") ? prefix + field : prefix + "." + field
    }

    /// `path[index]`.
    static func index(_ path: String, _ index: Int) -> String {
        path + "[\(index)]"
    }

    /// A JSON path (`received.applicant.idType`) in `.proto` names
    /// (`received.applicant.id_type`): lowerCamelCase becomes snake_case.
    /// Text in brackets (a list index) is kept as it is.
    static func protoNames(fromJSON path: String) -> String {
        var result = ""
        var inBrackets = false
        for scalar in path.unicodeScalars {
            if scalar == "[" { inBrackets = true }
            if scalar == "]" { inBrackets = false }
            if !inBrackets, scalar.value >= 0x41, scalar.value <= 0x5A {
                result += "_" + String(scalar).lowercased()
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Collects the problems of one message while it is checked field by field.
struct ProblemList {
    private(set) var problems: [FieldProblem] = []

    var isEmpty: Bool { problems.isEmpty }

    mutating func add(_ field: String, _ reason: String) {
        problems.append(FieldProblem(field: field, reason: reason))
    }

    mutating func append(contentsOf other: [FieldProblem], under prefix: String) {
        problems += other.map { $0.prefixed(by: prefix) }
    }

    /// Throws the problems collected, if any.
    func check() throws(ValidationError) {
        if !problems.isEmpty { throw ValidationError(problems: problems) }
    }

    /// An identifier or code: 1 to 64 characters, or empty when not required.
    mutating func identifier(_ value: String, at field: String, required: Bool = true) {
        let bound = MessageBounds.identifierLength
        if value.isEmpty {
            if required { add(field, "is empty; expected 1 to \(bound) characters") }
        } else if let length = lengthOver(bound, value) {
            add(field, "is \(length) characters long; expected at most \(bound)")
        }
    }

    /// A free-text field: at most 4,000 characters.
    mutating func text(_ value: String, at field: String) {
        let bound = MessageBounds.textLength
        if let length = lengthOver(bound, value) {
            add(field, "is \(length) characters long; expected at most \(bound)")
        }
    }

    /// A number of working days from `minimum` to the bound.
    mutating func days(
        _ value: UInt32, at field: String, minimum: UInt32 = 0,
        maximum: UInt32 = MessageBounds.limitDays, unit: String = "working days"
    ) {
        guard value < minimum || value > maximum else { return }
        add(field, "is \(value); expected \(minimum) to \(maximum) \(unit)")
    }

    /// An amount in fen from 0 to the bound.
    mutating func amount(_ value: Int64, at field: String) {
        if value < 0 {
            add(field, "is \(value); expected 0 or more fen")
        } else if value > MessageBounds.amountFen {
            add(field, "is \(value); expected at most \(MessageBounds.amountFen) fen")
        }
    }

    /// An enum that must name one of its declared values other than 0.
    mutating func required<E: ProtoEnum>(_ value: E, at field: String) {
        // The list of expected values is built only for an error: this runs
        // for every event the server receives.
        guard value.rawValue == 0 || value.protoName == nil else { return }
        if let name = value.protoName {
            add(field, "is \(name); expected \(expectedValues(E.self))")
        } else {
            add(
                field,
                "is \(value.rawValue), which is not a known value; expected "
                    + expectedValues(E.self))
        }
    }

    /// An enum that may be left at 0 but must not be an unknown number.
    mutating func known<E: ProtoEnum>(_ value: E, at field: String) {
        if value.protoName == nil {
            add(
                field,
                "is \(value.rawValue), which is not a known value; expected "
                    + expectedValues(E.self))
        }
    }
}

/// The declared values of an enum other than 0, as `A, B or C`.
func expectedValues<E: ProtoEnum>(_ type: E.Type) -> String {
    let names = E.allCases.filter { $0.rawValue != 0 }.compactMap(\.protoName)
    guard names.count > 1 else { return names.first ?? "a known value" }
    return names.dropLast().joined(separator: ", ") + " or " + names.last!
}

/// The number of characters in `text` when it has more than `bound`, else
/// nil. A text of at most `bound` UTF-8 bytes is within the bound uncounted.
func lengthOver(_ bound: Int, _ text: String) -> Int? {
    guard text.utf8.count > bound else { return nil }
    let count = text.count
    return count > bound ? count : nil
}
