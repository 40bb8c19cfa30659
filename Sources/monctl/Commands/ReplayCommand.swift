import Foundation
import Messages
import Services
import Synchronization
import Transport

/// `replay`: sends a JSON Lines file of case events over one ReportEvents
/// stream, with progress on standard error and a summary of the
/// acknowledgements.
enum ReplayCommand {
    static var command: Command {
        Command(
            name: "replay",
            abstract: "Send a JSON Lines file of case events over one intake stream.",
            discussion: """
                Each line is one CaseEvent in proto3 JSON (the form of docs/interface.md); \
                blank lines are skipped. Every line is read before anything is sent, and a \
                line that is not a CaseEvent stops the replay with status 6. The events are \
                then streamed in file order; each gets one acknowledgement. When the \
                connection drops, monctl reconnects and resends what was not acknowledged; \
                the server answers a resent event that it had stored as a duplicate. Exits \
                with status 1 when any event was rejected, listing each with its line, \
                field and reason. With --json every acknowledgement is printed as one JSON \
                line, and the summary goes to standard error.
                """,
            arguments: [
                Argument(
                    name: "file", help: "A JSON Lines file of CaseEvents; - reads standard input.")
            ],
            examples: [
                "monctl replay events.jsonl --token-file desk.token",
                "monctl replay events.jsonl --json > acks.jsonl",
                "zcat 2026-03.jsonl.gz | monctl replay -",
            ],
            run: run)
    }

    /// One event of the file with the line it came from.
    struct Line: Sendable {
        let number: Int
        let event: CaseEvent
    }

    /// Reads every event of a JSON Lines file.
    ///
    /// - Throws: ``Failure`` (invalid input) naming each bad line, the JSON
    ///   path in it and what was expected.
    static func readEvents(_ path: String) throws -> [Line] {
        let bytes = try readInputFile(path, what: "a JSON Lines file of CaseEvents")
        var lines: [Line] = []
        var problems: [String] = []
        var number = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var text = raw
            if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                lines.append(Line(number: number, event: try CaseEvent(jsonUTF8: Array(text))))
            } catch {
                problems.append("\(path):\(number): \(error)")
            }
        }
        if !problems.isEmpty {
            var text = problems.prefix(20).joined(separator: "\n")
            if problems.count > 20 { text += "\n... and \(problems.count - 20) more bad lines" }
            throw Failure.input(text + "\nnothing was sent")
        }
        return lines
    }

    /// What the acknowledgements said.
    private struct Tally {
        var accepted = 0
        var duplicate = 0
        var superseded = 0
        var rejected: [(Line, EventAck)] = []
        var acknowledged: Int { accepted + duplicate + superseded + rejected.count }
    }

    private static func run(_ invocation: Invocation) async throws {
        let path = invocation.argument("file")
        let lines = try readEvents(path)
        let output = invocation.output
        guard !lines.isEmpty else {
            return output.note("\(path) holds no events; nothing was sent")
        }
        let progress = Progress(output: output)
        let started = Date()

        let tally = try await invocation.withConnection { connection -> Tally in
            var client = connection.client
            client.defaultTimeout = nil
            var tally = Tally()
            var attempts = 0
            while tally.acknowledged < lines.count {
                let start = tally.acknowledged
                do {
                    try await stream(
                        lines[start...], client: client, tally: &tally, progress: progress,
                        total: lines.count, invocation: invocation)
                    if tally.acknowledged < lines.count {
                        throw RPCError(
                            code: .unavailable,
                            message: "the stream ended after \(tally.acknowledged - start) of "
                                + "\(lines.count - start) acknowledgements")
                    }
                } catch let error as RPCError where error.code == .unavailable
                    || error.code == .internal
                {
                    attempts = tally.acknowledged > start ? 1 : attempts + 1
                    guard attempts < 5 else {
                        throw connection.failure(
                            error, method: IntakeService.reportEvents.path,
                            service: IntakeService.serviceName)
                    }
                    let pause = Duration.seconds(1 << (attempts - 1))
                    output.note(
                        "replay: \(error.message); reconnecting in \(describe(pause)) and "
                            + "resending from line \(lines[tally.acknowledged].number)")
                    try await Task.sleep(for: pause)
                } catch {
                    throw connection.failure(
                        error, method: IntakeService.reportEvents.path,
                        service: IntakeService.serviceName)
                }
            }
            return tally
        }

        let seconds = Date().timeIntervalSince(started)
        let rate = seconds > 0 ? Int(Double(lines.count) / seconds) : lines.count
        progress.finish(
            "replay: \(lines.count)/\(lines.count) events acknowledged in "
                + "\((seconds * 10).rounded() / 10) s (\(rate) events/s)")
        let summary = "accepted \(tally.accepted), duplicate \(tally.duplicate), "
            + "superseded \(tally.superseded), rejected \(tally.rejected.count)"
        if invocation.json {
            output.note("replay: " + summary)
        } else {
            output.line("\(counted(lines.count, "event")) sent: " + summary)
            if !tally.rejected.isEmpty {
                var table = Table("LINE", "EVENT", "FIELD", "REASON", rightAligned: [0])
                for (line, ack) in tally.rejected {
                    table.append("\(line.number)", ack.eventID, ack.field, ack.reason)
                }
                output.write(table.render())
            }
        }
        if !tally.rejected.isEmpty {
            throw Failure(
                status: .refused,
                message: "the server rejected \(counted(tally.rejected.count, "event")) of "
                    + "\(lines.count); fix them and replay those lines (the others come back "
                    + "as duplicates)")
        }
    }

    /// Streams `lines` on one call, counting acknowledgements into `tally`
    /// as they come.
    private static func stream(
        _ lines: ArraySlice<Line>, client: RPCClient, tally: inout Tally, progress: Progress,
        total: Int, invocation: Invocation
    ) async throws {
        let call = try await client.streaming(IntakeService.reportEvents)
        let sent = Counter()
        let events = lines.map(\.event)
        let sender = Task {
            for event in events {
                try await call.send(event)
                sent.increment()
            }
            try await call.finishSending()
        }
        defer { sender.cancel() }

        let base = lines.startIndex
        for try await ack in call.responses {
            let position = base + Int(ack.index) - 1
            guard ack.index >= 1, position < lines.endIndex else {
                throw RPCError(
                    code: .internal,
                    message: "the server acknowledged event \(ack.index) of a stream of "
                        + "\(lines.count)")
            }
            switch ack.status {
            case .accepted: tally.accepted += 1
            case .duplicate: tally.duplicate += 1
            case .superseded: tally.superseded += 1
            default: tally.rejected.append((lines[position], ack))
            }
            if invocation.json { invocation.output.line(ack.jsonString()) }
            let acknowledged = tally.acknowledged
            progress.update(
                "replay: \(acknowledged)/\(total) events acknowledged, "
                    + "\(base + sent.value)/\(total) sent")
        }
        try await sender.value
    }
}

/// A count shared between the task that sends and the one that reads.
final class Counter: Sendable {
    private let storage = Atomic<Int>(0)

    func increment() {
        storage.add(1, ordering: .relaxed)
    }

    var value: Int { storage.load(ordering: .relaxed) }
}
