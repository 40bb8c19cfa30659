/// The exit statuses monctl promises to scripts; `docs/monctl.md` lists
/// them with the same numbers.
enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything asked for was done.
    case success = 0
    /// The server refused: an event was rejected, an action was not
    /// allowed in the alert's state, a name was not found.
    case refused = 1
    /// The command line was wrong: an unknown command or option, a missing
    /// or malformed argument.
    case usage = 2
    /// The server could not be reached or did not answer in time.
    case unreachable = 3
    /// The server does not offer the service the command needs.
    case notOffered = 4
    /// The server refused the token: none given, unknown, revoked, or of a
    /// role that may not do this.
    case accessDenied = 5
    /// An input file could not be read, or is not in the form expected.
    case invalidInput = 6
    /// Something failed that no input explains: the server's internal
    /// error, or monctl's.
    case failure = 7

    /// What the status means, for `--help` and the docs.
    var meaning: String {
        switch self {
        case .success: return "done"
        case .refused: return "the server refused (a rejected event, an action not allowed, "
            + "not found)"
        case .usage: return "usage error: the command line is wrong"
        case .unreachable: return "the server cannot be reached or did not answer in time"
        case .notOffered: return "the server does not offer this service (yet)"
        case .accessDenied: return "the token is missing, unknown, revoked or may not do this"
        case .invalidInput: return "an input file cannot be read or is malformed"
        case .failure: return "an internal failure of the server or of monctl"
        }
    }
}

/// Why a command stopped: what to print and which status to exit with.
///
/// Every error a command meets is turned into one of these before it
/// reaches the user, so that each says what was wrong with which input and
/// what was expected, and each maps to a documented exit status.
struct Failure: Error, Sendable, CustomStringConvertible {
    /// The exit status.
    var status: ExitStatus
    /// The message, without the `monctl:` prefix.
    var message: String
    /// For usage errors, the command path whose usage to show
    /// (`["case", "accept"]`); nil for the command being run.
    var commandPath: [String]? = nil

    /// A usage error about the command at `path`.
    static func usage(_ message: String, path: [String]? = nil) -> Failure {
        Failure(status: .usage, message: message, commandPath: path)
    }

    /// An input file that cannot be used.
    static func input(_ message: String) -> Failure {
        Failure(status: .invalidInput, message: message)
    }

    /// The message.
    var description: String { message }
}

/// A value the user gave that does not fit: `--at: "tomorrow" is not an
/// instant; expected 2026-03-02T09:30:00+08:00`.
func invalidValue(_ name: String, _ value: String, _ expected: String) -> Failure {
    .usage("\(name): \(quote(value)) \(expected)")
}

/// A string in double quotes with quotes and backslashes escaped, for
/// messages that show what the user typed.
func quote(_ text: String) -> String {
    var out = "\""
    for character in text {
        switch character {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.append(character)
        }
    }
    return out + "\""
}

/// The candidates closest to `word`, for "did you mean" hints: edit
/// distance at most a third of the word's length (at least 2).
func suggestions(for word: String, among candidates: [String]) -> [String] {
    let limit = max(2, word.count / 3)
    let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= limit }
    if let best = scored.map(\.1).min() {
        return scored.filter { $0.1 == best }.map(\.0)
    }
    // A shortened name ("promised" for "promised_limit_days").
    guard word.count >= 3 else { return [] }
    return candidates.filter { $0.lowercased().hasPrefix(word.lowercased()) }
}

/// " (did you mean X?)" or "" when nothing is close.
func didYouMean(_ word: String, among candidates: [String], prefix: String = "") -> String {
    let close = suggestions(for: word, among: candidates)
    guard !close.isEmpty else { return "" }
    return "; did you mean " + close.map { prefix + $0 }.joined(separator: " or ") + "?"
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// Joins words as "a, b or c".
func listing(_ words: [String], conjunction: String = "or") -> String {
    guard words.count > 1 else { return words.first ?? "" }
    return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words.last!
}
