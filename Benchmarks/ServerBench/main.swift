// ServerBench: the driver of the whole-server benchmark, built in release mode by
// scripts/bench-server (never part of the tests). The script starts the servers; this
// program plays the departments' systems and the supervisors' dashboards:
//
//   ServerBench setup --port P --admin-token FILE --catalogue FILE --tokens FILE
//       loads the catalogue into a fresh monitord, makes one token per department and
//       a supervisor's, and writes them to the tokens file
//   ServerBench load --port P --catalogue FILE [--tokens FILE] --streams N --events N
//                    [--window W] [--rate R] [--fee-every K] [--watchers N]
//       reports events on N concurrent ReportEvents streams, W unacknowledged events
//       each, and prints one "RESULT key=value ..." line; with --watchers, N
//       WatchAlerts subscribers measure how long each alert takes to reach them
//   ServerBench counts --port P --catalogue FILE --tokens FILE [--cases N] [--streams N]
//                      [--queries Q]
//       opens N cases (received and accepted, never concluded), then asks for the live
//       counts Q times, one call after another, and prints one "RESULT ..." line with
//       the calls' latency: what a dashboard's refresh costs as open cases grow
//   ServerBench serve-ack [--loops N]
//       our transport with an intake handler that decodes each event and acknowledges
//       it at once, storing nothing: what the transport and the client cost alone;
//       prints "READY <port>"

import Glibc

let arguments = Arguments(CommandLine.arguments.dropFirst())

do {
    switch arguments.command {
    case "setup":
        try await setUp(arguments)
    case "load":
        try await load(arguments)
    case "counts":
        try await measureCounts(arguments)
    case "serve-ack":
        try await serveAcknowledgingOnly(arguments)
    default:
        say("usage: ServerBench setup|load|counts|serve-ack [options]; see the source's header")
        exit(2)
    }
} catch {
    say("ServerBench \(arguments.command): \(error)")
    exit(1)
}
