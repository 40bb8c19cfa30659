import Foundation
import Messages
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where monctl writes: results to standard output, progress, notes and
/// errors to standard error, so that a pipe receives only results.
struct Output: Sendable {
    /// Whether standard output is a terminal.
    let stdoutIsTerminal: Bool
    /// Whether standard error is a terminal (progress is redrawn in place
    /// only then).
    let stderrIsTerminal: Bool
    /// Whether to colour alert levels on standard output.
    let colour: Bool

    /// Decides from the terminals, `--no-color` and `NO_COLOR`.
    init(noColorFlag: Bool, environment: [String: String]) {
        stdoutIsTerminal = isatty(1) == 1
        stderrIsTerminal = isatty(2) == 1
        let disabled = noColorFlag || environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            || environment["TERM"] == "dumb"
        colour = stdoutIsTerminal && !disabled
    }

    /// Writes text to standard output as it is.
    func write(_ text: String) {
        writeDescriptor(1, text)
    }

    /// Writes one line to standard output.
    func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Writes one line to standard error.
    func note(_ text: String) {
        writeDescriptor(2, text + "\n")
    }

    /// Writes a message as indented proto3 JSON, one document.
    func json<M: ProtoMessage>(_ message: M) {
        line(message.jsonString(pretty: true))
    }

    /// Writes a JSON value, indented.
    func json(_ value: JSONValue) {
        line(value.serialized(pretty: true))
    }

    /// Wraps text in the terminal colour of an alert level, when colouring.
    func coloured(_ text: String, level: Level) -> String {
        guard colour else { return text }
        let code: String
        switch level {
        case .warning: code = "33"  // yellow-brown: a deadline is near
        case .yellow: code = "1;33"  // bright yellow
        case .red: code = "1;31"  // bright red
        default: return text
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// Text dimmed, for heartbeats and secondary lines, when colouring.
    func dim(_ text: String) -> String {
        colour ? "\u{1B}[2m\(text)\u{1B}[0m" : text
    }
}

/// A progress line on standard error: redrawn in place on a terminal,
/// written every few seconds otherwise, so that logs of long runs stay
/// short.
final class Progress: Sendable {
    private struct State {
        var lastDrawn = Date.distantPast
        var drawnOnTerminal = false
    }

    private let output: Output
    private let state = Mutex(State())

    init(output: Output) {
        self.output = output
    }

    /// Shows `text` now if enough time has passed since the last line.
    func update(_ text: @autoclosure () -> String) {
        let interval = output.stderrIsTerminal ? 0.1 : 5.0
        let due = state.withLock { state -> Bool in
            let now = Date()
            guard now.timeIntervalSince(state.lastDrawn) >= interval else { return false }
            state.lastDrawn = now
            return true
        }
        if due { draw(text()) }
    }

    /// Shows the final state and ends the line.
    func finish(_ text: String) {
        draw(text)
        let onTerminal = state.withLock { state -> Bool in
            defer { state.drawnOnTerminal = false }
            return state.drawnOnTerminal
        }
        if onTerminal { writeDescriptor(2, "\n") }
    }

    private func draw(_ text: String) {
        if output.stderrIsTerminal {
            writeDescriptor(2, "\r\u{1B}[K" + text)
            state.withLock { $0.drawnOnTerminal = true }
        } else {
            writeDescriptor(2, text + "\n")
        }
    }
}

/// Writes all of `text` to a file descriptor. When standard output's reader
/// has gone (`monctl alerts list | head`), monctl stops quietly: nothing it
/// would still print can be read.
func writeDescriptor(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            if errno == EPIPE && descriptor == 1 { exit(ExitStatus.success.rawValue) }
            return
        }
        bytes = bytes.dropFirst(written)
    }
}
