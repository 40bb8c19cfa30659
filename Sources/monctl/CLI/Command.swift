/// One command of the command line: a group of subcommands, or a leaf that
/// runs.
///
/// The whole command line is one tree of these values, built once in
/// `CommandTree.swift`; the parser walks it, the help printer renders it, and
/// a leaf's `run` does the work with what the parser found.
struct Command: Sendable {
    /// The word that names it on the command line ("accept").
    let name: String
    /// One sentence saying what it does, shown in lists and as the overview.
    let abstract: String
    /// Paragraphs shown in the command's own help after the overview.
    var discussion: String = ""
    /// Positional arguments, in order.
    var arguments: [Argument] = []
    /// Options the command takes besides the global ones.
    var options: [Option] = []
    /// Complete command lines shown under EXAMPLES.
    var examples: [String] = []
    /// Subcommands, for a group.
    var subcommands: [Command] = []
    /// What the leaf does; nil for a group.
    var run: (@Sendable (Invocation) async throws -> Void)?

    /// The subcommand named `word`, if any.
    func subcommand(_ word: String) -> Command? {
        subcommands.first { $0.name == word }
    }

    /// The option with this long name, if the command takes it.
    func option(named name: String) -> Option? {
        options.first { $0.name == name }
    }

    /// The option with this one-letter name, if the command takes it.
    func option(short: Character) -> Option? {
        options.first { $0.short == short }
    }
}

/// A positional argument of a command.
struct Argument: Sendable {
    /// The name shown in usage lines, without brackets ("department").
    let name: String
    /// What the argument is, in one sentence.
    let help: String
    /// Whether it may be left out; only trailing arguments may.
    var isOptional = false
    /// Whether it takes every remaining word; only the last argument may.
    var isVariadic = false

    /// `<name>`, `[<name>]` or `<name> ...` as a usage line shows it.
    var usage: String {
        let base = isVariadic ? "<\(name)> ..." : "<\(name)>"
        return isOptional ? "[\(base)]" : base
    }
}

/// An option of a command: a flag (`--all`) or an option with a value
/// (`--handler NAME`).
struct Option: Sendable {
    /// The long name without the dashes ("handler").
    let name: String
    /// The value's placeholder ("name"); nil for a flag, which takes none.
    let value: String?
    /// What the option does, in one sentence; say the default here.
    let help: String
    /// A one-letter form (`-n`), if any.
    var short: Character? = nil
    /// Whether the command cannot run without it.
    var isRequired = false
    /// Whether it may be given more than once, each value kept.
    var isRepeatable = false

    /// Whether the option takes no value.
    var isFlag: Bool { value == nil }

    /// `--handler <name>` or `--all`, as a usage line shows it.
    var usage: String {
        guard let value else { return "--\(name)" }
        return "--\(name) <\(value)>"
    }

    /// A flag.
    static func flag(_ name: String, _ help: String, short: Character? = nil) -> Option {
        Option(name: name, value: nil, help: help, short: short)
    }

    /// An option that takes a value.
    static func value(
        _ name: String, _ value: String, _ help: String, required: Bool = false,
        repeatable: Bool = false, short: Character? = nil
    ) -> Option {
        Option(
            name: name, value: value, help: help, short: short, isRequired: required,
            isRepeatable: repeatable)
    }
}
