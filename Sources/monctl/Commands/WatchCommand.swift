import Dispatch
import Foundation
import Messages
import Services
import Synchronization
import Transport

/// `alerts watch`: alert transitions live, one line each, resuming after
/// every disconnect from the last sequence shown, so that nothing is missed
/// and nothing shown twice.
enum WatchCommand {
    static var command: Command {
        Command(
            name: "watch",
            abstract: "Watch alert transitions live; resumes by itself after disconnects.",
            discussion: """
                Each transition (raised, withdrawn, notice issued, feedback, closed, returned, \
                escalated, appealed, upheld, revoked) is one line, its level coloured when \
                standard output is a terminal. Without --after only new transitions are \
                shown; --after 0 starts from the oldest the server keeps, --after N after \
                sequence N. A server that cannot be reached at the start ends the command \
                with status 3. When the connection drops later, monctl reconnects with \
                growing pauses and resumes after the last sequence it showed. When the \
                server no longer keeps that far back, the alerts as they stand are shown as a \
                snapshot and watching continues from it. Ctrl-C stops and says where to \
                resume. With --json each transition is one JSON line (JSON Lines).
                """,
            options: AlertCommands.filterOptions + [
                .value("after", "sequence", "Start after this sequence (0: the oldest kept)."),
                .value("count", "n", "Stop after this many transitions."),
                .value("heartbeat", "seconds", "Ask for a heartbeat after this much silence."),
                .flag("heartbeats", "Show heartbeats on standard error."),
            ],
            examples: [
                "monctl alerts watch",
                "monctl alerts watch --level red --level yellow",
                "monctl alerts watch --after 1200 --json >> transitions.jsonl",
                "monctl alerts watch --after 0 --count 10",
            ],
            run: run)
    }

    /// Where the watch stands, shared with the Ctrl-C handler.
    private final class Cursor: Sendable {
        private let state = Mutex<(position: UInt64?, shown: Int)>((nil, 0))

        var position: UInt64? { state.withLock { $0.position } }
        var shown: Int { state.withLock { $0.shown } }

        func advance(to position: UInt64, shown: Bool) {
            state.withLock {
                $0.position = max($0.position ?? 0, position)
                if shown { $0.shown += 1 }
            }
        }
    }

    private static func run(_ invocation: Invocation) async throws {
        let filter = try AlertCommands.filter(invocation)
        let limit: Int? = try invocation.integer("count", in: 1...Int.max)
        let heartbeat: UInt32 = try invocation.integer("heartbeat", in: 1...3600) ?? 0
        let output = invocation.output
        let cursor = Cursor()
        if let after: UInt64 = try invocation.integer("after", in: 0...UInt64.max) {
            cursor.advance(to: after, shown: false)
        }
        let interrupt = stopOnInterrupt(cursor, output)
        defer { interrupt.cancel() }

        try await invocation.withConnection { connection in
            // One call first: an unreachable server or a refused token ends
            // the command here with its status, and "live" becomes a
            // position, so that a reconnect before the first transition
            // still misses nothing.
            let info = try await connection.call(
                AdminService.getServerInfo, GetServerInfoRequest())
            if cursor.position == nil { cursor.advance(to: info.alertPosition, shown: false) }
            output.note(
                "watching alerts on \(connection.settings.address) after sequence "
                    + "\(cursor.position ?? 0) (Ctrl-C to stop)")

            // A watch runs as long as it is wanted: no call timeout.
            var client = connection.client
            client.defaultTimeout = nil
            var failures = 0

            while true {
                let request = WatchAlertsRequest(
                    afterSequence: cursor.position ?? 0, filter: filter,
                    heartbeatSeconds: heartbeat)
                do {
                    let stream = try await client.serverStreaming(AlertService.watchAlerts, request)
                    var reconnecting = failures > 0
                    for try await response in stream {
                        if reconnecting {
                            output.note(
                                "reconnected; resuming after sequence \(cursor.position ?? 0)")
                            reconnecting = false
                        }
                        failures = 0
                        switch response.message {
                        case .transition(let transition):
                            show(transition, response, invocation)
                            cursor.advance(to: transition.sequence, shown: true)
                            if let limit, cursor.shown >= limit {
                                stream.cancel()
                                return
                            }
                        case .heartbeat(let beat):
                            cursor.advance(to: beat.position, shown: false)
                            if invocation.flag("heartbeats") {
                                output.note(
                                    output.dim(
                                        "heartbeat at \(Format.time(beat.at)): position "
                                            + "\(beat.position)"))
                            }
                        case nil:
                            break
                        }
                    }
                    // The server ended the stream (it is stopping): resume.
                    failures += 1
                    let pause = backoff(failures)
                    output.note("the server ended the watch; reconnecting in \(describe(pause))")
                    try await Task.sleep(for: pause)
                } catch let error as RPCError {
                    switch error.code {
                    case .unavailable, .deadlineExceeded, .internal, .unknown, .cancelled:
                        failures += 1
                        let pause = backoff(failures)
                        output.note(
                            "connection lost (\(error.message)); reconnecting in "
                                + "\(describe(pause)), then resuming after sequence "
                                + "\(cursor.position ?? 0)")
                        try await Task.sleep(for: pause)
                    case .resourceExhausted:
                        // Cut off for reading too slowly: resume where the
                        // server says it stopped sending.
                        if let text = error.metadata["monitor-resume-after"],
                            let resume = UInt64(text)
                        {
                            cursor.advance(to: resume, shown: false)
                        }
                        failures += 1
                        output.note("the server cut the watch off as too slow; resuming")
                    case .outOfRange:
                        try await snapshot(connection, filter, cursor, invocation)
                    default:
                        throw connection.failure(
                            error, method: AlertService.watchAlerts.path,
                            service: AlertService.serviceName)
                    }
                }
            }
        }
    }

    /// When the server no longer keeps the transitions asked for: the alerts
    /// as they stand, then a watch from the snapshot's position.
    private static func snapshot(
        _ connection: Connection, _ filter: AlertFilter, _ cursor: Cursor,
        _ invocation: Invocation
    ) async throws {
        let output = invocation.output
        output.note(
            "the server no longer keeps transitions after sequence \(cursor.position ?? 0); "
                + "showing the alerts as they stand, then watching on")
        var alerts: [Alert] = []
        var position: UInt64?
        var token = ""
        repeat {
            let response = try await connection.call(
                AlertService.listAlerts,
                ListAlertsRequest(filter: filter, pageSize: 1000, pageToken: token))
            alerts += response.alerts
            position = position ?? response.position
            token = response.nextPageToken
        } while !token.isEmpty
        if invocation.json {
            output.line(
                ListAlertsResponse(alerts: alerts, position: position ?? 0).jsonString())
        } else if !alerts.isEmpty {
            output.write(AlertCommands.table(alerts, output).render())
        }
        cursor.advance(to: position ?? 0, shown: false)
    }

    private static func show(
        _ transition: AlertTransition, _ response: WatchAlertsResponse, _ invocation: Invocation
    ) {
        let output = invocation.output
        if invocation.json { return output.line(response.jsonString()) }
        let alert = transition.alert ?? Alert()
        var line = "#\(transition.sequence)  \(Format.time(transition.at))  "
        line += pad(Choices.transition.shortName(transition.kind), 18)
        line += output.coloured(pad(Choices.level.shortName(alert.level), 7), level: alert.level)
        line += pad(Choices.rule.shortName(alert.rule), 24)
        line += alert.departmentCode + (alert.caseID.isEmpty ? "" : " " + alert.caseID)
        line += "  " + alert.description
        if !transition.note.isEmpty && transition.kind != .raised {
            line += "  (" + transition.note + ")"
        }
        if transition.actor != "engine" && !transition.actor.isEmpty {
            line += "  by " + transition.actor
        }
        output.line(line)
        output.line(output.dim("    " + alert.alertID))
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(1, width - displayWidth(text)))
    }

    /// 1, 2, 4, ... seconds, at most 30.
    private static func backoff(_ failures: Int) -> Duration {
        .seconds(min(30, 1 << min(5, failures - 1)))
    }

    /// On Ctrl-C: say where to resume, and stop.
    private static func stopOnInterrupt(_ cursor: Cursor, _ output: Output) -> DispatchSourceSignal
    {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let position = cursor.position.map { "; resume with --after \($0)" } ?? ""
            output.note("\nwatch stopped after \(counted(cursor.shown, "transition"))\(position)")
            exit(ExitStatus.success.rawValue)
        }
        source.resume()
        return source
    }
}
