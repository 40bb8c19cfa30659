/// The options every command takes, wherever they appear on the line.
enum GlobalOptions {
    static let all: [Option] = [
        .value(
            "server", "host:port",
            "The server's address (env MONCTL_SERVER; default 127.0.0.1:50051)."),
        .value("token", "secret", "The access token (env MONCTL_TOKEN)."),
        .value(
            "token-file", "path",
            "Read the access token from a file (env MONCTL_TOKEN_FILE)."),
        .value(
            "config", "path",
            "Read server and token from this file (default ~/.config/monctl/config)."),
        .value(
            "timeout", "seconds",
            "How long to wait for each answer (env MONCTL_TIMEOUT; default 30)."),
        .flag("json", "Print the responses as proto3 JSON instead of tables."),
        .flag("no-color", "Never colour the output (also when NO_COLOR is set)."),
        .flag("help", "Show help for the command.", short: "h"),
    ]

    static func named(_ name: String) -> Option? {
        all.first { $0.name == name }
    }
}

/// What the parser found on the command line: the command chosen, its
/// arguments and options, and the global options.
struct ParsedLine: Sendable {
    /// The command chosen, from the root down.
    var path: [Command]
    /// The positional words after the command's name.
    var positionals: [String] = []
    /// Each option given, by long name, with every value in order (an empty
    /// string for each use of a flag).
    var values: [String: [String]] = [:]
    /// Whether `--help` (or `-h`, or `help` as the first word) was given.
    var wantsHelp = false

    /// The command chosen.
    var command: Command { path[path.count - 1] }

    /// The command's words after `monctl` ("case accept").
    var names: [String] { path.dropFirst().map(\.name) }
}

/// Reads a command line against the command tree, as swift-argument-parser
/// would: subcommand words first, then options and arguments in any order;
/// `--name value`, `--name=value` and `-x value` forms; `--` ends options.
///
/// Global options are accepted anywhere on the line. Every mistake is a
/// usage ``Failure`` that names the word and says what was expected.
struct ArgumentParser {
    let root: Command

    func parse(_ words: [String]) throws(Failure) -> ParsedLine {
        var line = ParsedLine(path: [root])
        var index = 0
        var optionsEnded = false

        // `monctl help case accept` is `monctl case accept --help`.
        var words = words
        if words.first == "help" {
            words.removeFirst()
            line.wantsHelp = true
        }

        while index < words.count {
            let word = words[index]
            index += 1

            if !optionsEnded && word == "--" {
                optionsEnded = true
                continue
            }
            if !optionsEnded && word.hasPrefix("-") && word.count > 1 && !isNegativeNumber(word) {
                try readOption(word, words: words, index: &index, into: &line)
                continue
            }

            // A word that names a subcommand descends, while the current
            // command is a group and no argument has been taken yet.
            let current = line.command
            if !current.subcommands.isEmpty && line.positionals.isEmpty {
                if let next = current.subcommand(word) {
                    line.path.append(next)
                    continue
                }
                if current.run == nil {
                    if line.wantsHelp { continue }
                    let known = current.subcommands.map(\.name)
                    throw .usage(
                        "\(quote(word)) is not a command of \(commandName(line)); expected "
                            + listing(known) + didYouMean(word, among: known),
                        path: line.names)
                }
            }
            line.positionals.append(word)
        }

        if line.wantsHelp { return line }
        try check(line)
        return line
    }

    private func commandName(_ line: ParsedLine) -> String {
        (["monctl"] + line.names).joined(separator: " ")
    }

    private func isNegativeNumber(_ word: String) -> Bool {
        word.dropFirst().allSatisfy { $0.isNumber || $0 == "." } && word.count > 1
    }

    private func readOption(
        _ word: String, words: [String], index: inout Int, into line: inout ParsedLine
    ) throws(Failure) {
        let command = line.command
        var name: String
        var inlineValue: String?
        let option: Option?

        if word.hasPrefix("--") {
            let body = word.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            option = command.option(named: name) ?? GlobalOptions.named(name)
        } else {
            let letters = Array(word.dropFirst())
            guard letters.count == 1 else {
                throw .usage(
                    "\(quote(word)) is not an option; options of one letter take one dash "
                        + "(-h), long ones two (--help)",
                    path: line.names)
            }
            option = command.option(short: letters[0])
                ?? GlobalOptions.all.first { $0.short == letters[0] }
            name = option?.name ?? String(letters[0])
        }

        guard let option else {
            let known = (command.options + GlobalOptions.all).map(\.name)
            let where_ = line.path.count > 1 ? " of \(commandName(line))" : ""
            throw .usage(
                "\(word) is not an option\(where_)"
                    + didYouMean(name, among: known, prefix: "--"),
                path: line.names)
        }
        name = option.name

        if option.name == "help" {
            line.wantsHelp = true
            return
        }
        let value: String
        if option.isFlag {
            if let inlineValue {
                throw .usage(
                    "--\(name) takes no value, but was given \(quote(inlineValue))",
                    path: line.names)
            }
            value = ""
        } else if let inlineValue {
            value = inlineValue
        } else {
            guard index < words.count else {
                throw .usage(
                    "--\(name) needs a value: \(option.usage); \(option.help)", path: line.names)
            }
            value = words[index]
            index += 1
        }
        if line.values[name] != nil && !option.isRepeatable && !option.isFlag {
            throw .usage("--\(name) is given twice; give it once", path: line.names)
        }
        line.values[name, default: []].append(value)
    }

    /// Checks what a leaf command needs: its arguments and required options.
    private func check(_ line: ParsedLine) throws(Failure) {
        let command = line.command
        guard command.run != nil else { return }
        let arguments = command.arguments
        let required = arguments.filter { !$0.isOptional }
        if line.positionals.count < required.count {
            let missing = Array(required[line.positionals.count...])
            if missing.count == 1 {
                throw .usage(
                    "missing <\(missing[0].name)>: \(lowercasedFirst(missing[0].help))",
                    path: line.names)
            }
            throw .usage(
                "missing " + listing(missing.map { "<\($0.name)>" }, conjunction: "and"),
                path: line.names)
        }
        if !(arguments.last?.isVariadic ?? false) && line.positionals.count > arguments.count {
            let extra = line.positionals[arguments.count...]
            let expected = arguments.isEmpty
                ? "\(commandName(line)) takes no arguments"
                : "expected " + arguments.map(\.usage).joined(separator: " ")
            throw .usage(
                "unexpected " + listing(extra.map(quote), conjunction: "and") + "; "
                    + expected,
                path: line.names)
        }
        for option in command.options where option.isRequired && line.values[option.name] == nil {
            throw .usage(
                "missing \(option.usage): \(lowercasedFirst(option.help))", path: line.names)
        }
    }
}

/// The text with its first letter lowercased, to run a help sentence on in a
/// message.
func lowercasedFirst(_ text: String) -> String {
    guard let first = text.first else { return text }
    var rest = String(text.dropFirst())
    if rest.hasSuffix(".") { rest.removeLast() }
    return first.lowercased() + rest
}
