// A small reporter process for the crash tests: it is SIGKILLed while it
// reports, and a second run on the same spool must deliver what the first one
// made durable.
//
// Usage: ReporterProbe --port P --token T --spool FILE
//                      [--count N] [--prefix P] [--flush]
//
// Reports N events one at a time (ids P-000001, P-000002, ...), printing
// "SPOOLED <n>" once event n is durable. With --flush it then waits until the
// server has acknowledged everything in the spool and prints "FLUSHED";
// without, it waits to be killed.

import ClientKit
import Foundation

/// Writes a line at once: the test reads it while this process runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ReporterProbe: \(message)\n".utf8))
    exit(2)
}

var options: [String: String] = [:]
var flags: Set<String> = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--flush": flags.insert(argument)
    case "--port", "--token", "--spool", "--count", "--prefix":
        guard let value = arguments.popFirst() else { fail("\(argument) needs a value") }
        options[argument] = value
    default: fail("unknown argument '\(argument)'")
    }
}
guard let port = options["--port"].flatMap(Int.init), let spool = options["--spool"] else {
    fail("--port and --spool are required")
}
let count = options["--count"].flatMap(Int.init) ?? 0
let prefix = options["--prefix"] ?? "probe"

let client = MonitorClient(host: "127.0.0.1", port: port, token: options["--token"])
var configuration = EventReporter.Configuration()
configuration.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(300))
configuration.window = 32
let reporter: EventReporter
do {
    reporter = try EventReporter(client: client, spoolPath: spool, configuration: configuration)
} catch {
    fail("\(error)")
}

for n in 1...max(count, 1) where count > 0 {
    var event = CaseEvent(
        eventID: "\(prefix)-\(String(format: "%06d", n))", departmentCode: "330101-LAND",
        caseID: "2026-\(String(format: "%04d", n % 7))",
        occurredAt: Timestamp(seconds: 1_767_571_800 + Int64(n)))
    event.kind = .accepted(CaseAccepted(handler: "李四"))
    do {
        try await reporter.report(event)
    } catch {
        fail("report \(n): \(error)")
    }
    say("SPOOLED \(n)")
}

if flags.contains("--flush") {
    do {
        try await reporter.flush(timeout: .seconds(60))
    } catch {
        fail("\(error)")
    }
    say("FLUSHED")
    await reporter.close()
    await client.close()
} else {
    while true { try await Task.sleep(for: .seconds(3600)) }
}
