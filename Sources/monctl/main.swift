// monctl: the command line of Approval Monitor. It reads the command line
// against the command tree, runs the chosen command, and turns every
// failure into a message and one of the documented exit statuses.

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one command line and returns the exit status.
func runMonctl(_ words: [String], environment: [String: String]) async -> Int32 {
    let output = Output(noColorFlag: words.contains("--no-color"), environment: environment)
    let parser = ArgumentParser(root: CommandTree.root)
    var path: [Command] = [CommandTree.root]
    do {
        let line = try parser.parse(words)
        path = line.path
        let command = line.command
        if line.wantsHelp {
            output.write(Help.text(for: line.path))
            return ExitStatus.success.rawValue
        }
        guard command.run != nil else {
            if line.values["version"] != nil {
                output.line("monctl \(monctlVersion)")
                return ExitStatus.success.rawValue
            }
            if line.path.count == 1 {
                output.write(Help.text(for: line.path))
                return ExitStatus.success.rawValue
            }
            let names = command.subcommands.map(\.name)
            throw Failure.usage(
                "\((["monctl"] + line.names).joined(separator: " ")) needs a subcommand: "
                    + listing(names),
                path: line.names)
        }
        let invocation = Invocation(line: line, environment: environment, output: output)
        try await command.run!(invocation)
        return ExitStatus.success.rawValue
    } catch let failure as Failure {
        report(failure, path: path, output: output)
        return failure.status.rawValue
    } catch {
        report(
            Failure(status: .failure, message: "unexpected failure: \(error)"), path: path,
            output: output)
        return ExitStatus.failure.rawValue
    }
}

/// Prints a failure on standard error; a usage error with the usage line.
func report(_ failure: Failure, path: [Command], output: Output) {
    output.note("monctl: error: " + failure.message)
    guard failure.status == .usage else { return }
    let names = failure.commandPath ?? path.dropFirst().map(\.name)
    // The command the error is about: the deepest one the names reach.
    var commands = [CommandTree.root]
    for name in names {
        guard let next = commands.last!.subcommand(name) else { break }
        commands.append(next)
    }
    writeDescriptor(2, Help.hint(for: commands))
}

// A reader that went away (`monctl alerts list | head`) is not an error.
signal(SIGPIPE, SIG_IGN)
let status = await runMonctl(
    Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
