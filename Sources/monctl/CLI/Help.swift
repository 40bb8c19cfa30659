/// Renders a command's help and usage, in the layout swift-argument-parser
/// made familiar: OVERVIEW, USAGE, ARGUMENTS, OPTIONS, SUBCOMMANDS,
/// EXAMPLES.
enum Help {
    /// The column where descriptions start in two-column lists.
    private static let descriptionColumn = 28
    /// The width text is wrapped to.
    private static let width = 80

    /// The full help of the command at the end of `path`.
    static func text(for path: [Command]) -> String {
        let command = path[path.count - 1]
        let name = (["monctl"] + path.dropFirst().map(\.name)).joined(separator: " ")
        var out = "OVERVIEW: " + command.abstract + "\n"
        if !command.discussion.isEmpty {
            out += "\n" + wrap(command.discussion, indent: 0) + "\n"
        }
        out += "\nUSAGE: " + usage(for: path) + "\n"

        if !command.arguments.isEmpty {
            out += "\nARGUMENTS:\n"
            for argument in command.arguments {
                out += row(argument.usage, argument.help)
            }
        }
        if !command.options.isEmpty {
            out += "\nOPTIONS:\n"
            for option in command.options {
                var label = option.short.map { "-\($0), " } ?? ""
                label += option.usage
                let help = option.help + (option.isRepeatable ? " (repeatable)" : "")
                out += row(label, help)
            }
        }
        if !command.subcommands.isEmpty {
            out += "\nSUBCOMMANDS:\n"
            for sub in command.subcommands {
                out += row(sub.name, sub.abstract)
            }
            out += "\n  See '\(name) <subcommand> --help' for a subcommand's help.\n"
        }
        if command.run != nil || path.count == 1 {
            out += "\nGLOBAL OPTIONS:\n"
            for option in GlobalOptions.all {
                let label = (option.short.map { "-\($0), " } ?? "") + option.usage
                out += row(label, option.help)
            }
        }
        if !command.examples.isEmpty {
            out += "\nEXAMPLES:\n"
            for example in command.examples {
                out += "  " + example + "\n"
            }
        }
        if path.count == 1 {
            out += "\nEXIT STATUS:\n"
            for status in ExitStatus.allCases {
                out += row("\(status.rawValue)", status.meaning)
            }
        }
        return out
    }

    /// The usage line of the command at the end of `path`.
    static func usage(for path: [Command]) -> String {
        let command = path[path.count - 1]
        var parts = ["monctl"] + path.dropFirst().map(\.name)
        if !command.subcommands.isEmpty && command.run == nil {
            parts.append("<subcommand>")
            return parts.joined(separator: " ")
        }
        parts += command.arguments.map(\.usage)
        for option in command.options where option.isRequired {
            parts.append(option.usage)
        }
        if command.options.contains(where: { !$0.isRequired }) {
            parts.append("[<options>]")
        }
        return parts.joined(separator: " ")
    }

    /// A short hint after a usage error: the usage line and where help is.
    static func hint(for path: [Command]) -> String {
        let name = (["monctl"] + path.dropFirst().map(\.name)).joined(separator: " ")
        return "Usage: \(usage(for: path))\n  See '\(name) --help'.\n"
    }

    private static func row(_ label: String, _ description: String) -> String {
        let left = "  " + label
        let indent = String(repeating: " ", count: descriptionColumn)
        let wrapped = wrapLines(description, width: width - descriptionColumn)
        if left.count + 2 > descriptionColumn {
            return left + "\n" + wrapped.map { indent + $0 }.joined(separator: "\n") + "\n"
        }
        let pad = String(repeating: " ", count: descriptionColumn - displayWidth(left))
        var out = left + pad + (wrapped.first ?? "") + "\n"
        for line in wrapped.dropFirst() {
            out += indent + line + "\n"
        }
        return out
    }

    private static func wrap(_ text: String, indent: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { paragraph in
            let line = String(paragraph)
            // Lines that start with spaces are examples or lists: kept as written.
            if line.hasPrefix(" ") || line.isEmpty { return line }
            return wrapLines(line, width: width - indent).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Splits text into lines of at most `width` columns at spaces.
    static func wrapLines(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if displayWidth(candidate) > width && !current.isEmpty {
                lines.append(current)
                current = String(word)
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
