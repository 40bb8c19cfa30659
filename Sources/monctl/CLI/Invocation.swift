import Foundation
import Messages

/// One run of a leaf command: what the user gave, read through typed
/// accessors that fail with a usage error naming the argument, the value and
/// what was expected.
struct Invocation: Sendable {
    /// What the parser found.
    let line: ParsedLine
    /// The process environment, for settings and colour.
    let environment: [String: String]
    /// Where output goes.
    let output: Output

    /// The command's words after `monctl`, for messages ("case accept").
    var commandName: String { (["monctl"] + line.names).joined(separator: " ") }

    /// Whether `--json` was given.
    var json: Bool { flag("json") }

    // MARK: Positional arguments

    /// The positional argument with this name.
    func argument(_ name: String) -> String {
        optionalArgument(name) ?? ""
    }

    /// The positional argument with this name, or nil when left out.
    func optionalArgument(_ name: String) -> String? {
        guard let position = line.command.arguments.firstIndex(where: { $0.name == name }),
            position < line.positionals.count
        else { return nil }
        return line.positionals[position]
    }

    /// Every word taken by the variadic last argument.
    func remainingArguments() -> [String] {
        let position = line.command.arguments.count - 1
        guard position >= 0, position < line.positionals.count else { return [] }
        return Array(line.positionals[position...])
    }

    // MARK: Options

    /// Whether the flag was given.
    func flag(_ name: String) -> Bool {
        line.values[name] != nil
    }

    /// The option's value, or nil when not given.
    func option(_ name: String) -> String? {
        line.values[name]?.last
    }

    /// Every value of a repeatable option, in order; values given as a
    /// comma-separated list are split.
    func options(_ name: String, splittingCommas: Bool = true) -> [String] {
        let values = line.values[name] ?? []
        guard splittingCommas else { return values }
        return values.flatMap { $0.split(separator: ",").map(String.init) }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The option's value; the parser has already checked that a required
    /// option is there.
    func required(_ name: String) -> String {
        option(name) ?? ""
    }

    /// A whole number within `range`, or nil when not given.
    func integer<T: FixedWidthInteger>(
        _ name: String, in range: ClosedRange<T>, unit: String = ""
    ) throws(Failure) -> T? {
        guard let text = option(name) else { return nil }
        return try parseInteger(text, name: "--\(name)", in: range, unit: unit)
    }

    /// An instant given as RFC 3339 (or a local China Standard Time form), or
    /// nil when not given.
    func instant(_ name: String, allowDate: Bool = false) throws(Failure) -> Timestamp? {
        guard let text = option(name) else { return nil }
        return try parseInstant(text, name: "--\(name)", allowDate: allowDate)
    }

    /// One of an enum's values, by its short name or its proto name, or nil
    /// when not given.
    func choice<E: ProtoEnum>(_ name: String, _ choices: EnumChoices<E>) throws(Failure) -> E? {
        guard let text = option(name) else { return nil }
        return try choices.parse(text, name: "--\(name)")
    }

    /// Every value of a repeatable enum option.
    func choices<E: ProtoEnum>(_ name: String, _ choices: EnumChoices<E>) throws(Failure) -> [E] {
        var result: [E] = []
        for text in options(name) {
            result.append(try choices.parse(text, name: "--\(name)"))
        }
        return result
    }

    /// Fails with a usage error about this command.
    func usage(_ message: String) -> Failure {
        .usage(message, path: line.names)
    }
}

/// Reads a whole number, saying which argument and what range on failure.
func parseInteger<T: FixedWidthInteger>(
    _ text: String, name: String, in range: ClosedRange<T>, unit: String = ""
) throws(Failure) -> T {
    let suffix = unit.isEmpty ? "" : " " + unit
    guard let value = T(text.replacingOccurrences(of: "_", with: "")), range.contains(value)
    else {
        throw invalidValue(
            name, text,
            "is not a whole number from \(range.lowerBound) to \(range.upperBound)\(suffix)")
    }
    return value
}

/// Reads an instant.
///
/// Accepted: RFC 3339 with an offset (`2026-03-02T09:30:00+08:00`,
/// `2026-03-02T01:30:00Z`); a local time in China Standard Time without an
/// offset (`2026-03-02T09:30`, `2026-03-02 09:30:00`); `now`; and, where
/// `allowDate` says so, a date alone (`2026-03-02`, meaning 00:00 China
/// Standard Time).
func parseInstant(_ text: String, name: String, allowDate: Bool = false) throws(Failure)
    -> Timestamp
{
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed == "now" { return Timestamp(Date()) }
    if let instant = Timestamp(rfc3339: trimmed) { return instant }

    // A local time: the same text with China Standard Time's offset.
    var local = trimmed.replacingOccurrences(of: " ", with: "T")
    if local.count == 16 { local += ":00" }  // 2026-03-02T09:30
    if local.count >= 19, !local.hasSuffix("Z"), local.dropFirst(19).allSatisfy({
        $0.isNumber || $0 == "."
    }), let instant = Timestamp(rfc3339: local + "+08:00") {
        return instant
    }
    if allowDate, trimmed.count == 10, let instant = Timestamp(rfc3339: trimmed + "T00:00:00+08:00")
    {
        return instant
    }
    let dateNote = allowDate ? " or a date, 2026-03-02" : ""
    throw invalidValue(
        name, text,
        "is not an instant; expected 2026-03-02T09:30:00+08:00 (or 2026-03-02T09:30 in China "
            + "Standard Time\(dateNote))")
}

/// Reads an amount of money given in yuan ("12.50") as fen.
func parseYuan(_ text: String, name: String) throws(Failure) -> Int64 {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let fail = invalidValue(name, text, "is not an amount in yuan; expected e.g. 12.50")
    guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0 else {
        throw fail
    }
    var fen = whole * 100
    if parts.count == 2 {
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isNumber),
            let cents = Int64(fraction)
        else { throw fail }
        fen += fraction.count == 1 ? cents * 10 : cents
    }
    return fen
}
