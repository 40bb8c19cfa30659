import Messages
import Services
import Transport

/// `ServerBench counts`: a dashboard's live counts against many open cases.
///
/// The cases are opened first, on `--streams` streams, and left open; then the
/// counts are asked for one call after another, so each call's latency is the
/// server's work for it plus one round trip, with nothing else queued.
func measureCounts(_ arguments: Arguments) async throws {
    let port = arguments.integer("port", default: 50051)
    let fixture = try Fixture(catalogueFile: arguments.required("catalogue"))
    let tokens = try Tokens(file: arguments.required("tokens"))
    let cases = arguments.integer("cases", default: 100_000)
    let streams = arguments.integer("streams", default: 4)
    let queries = arguments.integer("queries", default: 200)
    let tag = arguments.string("tag") ?? String(wallNanoseconds() / 1_000_000_000 % 1_000_000)

    // Two events a case: received and accepted.
    let scripts = StreamScript.split(
        2 * cases, over: streams, fixture: fixture, feeEvery: 0, tag: tag, openOnly: true)
    try await withThrowingTaskGroup(of: StreamResult.self) { group in
        for (stream, script) in scripts.enumerated() {
            let token = tokens.token(for: fixture.department(ofStream: stream))
            group.addTask {
                try await report(script, port: port, token: token, window: 2048, rate: 0)
            }
        }
        for try await result in group where !result.otherStatus.isEmpty {
            throw BenchError("not every event was accepted: \(result.otherStatus)")
        }
    }

    let channel = GRPCChannel(host: "127.0.0.1", port: port)
    let client = RPCClient(
        channel: channel, metadata: ["authorization": .string("Bearer \(tokens.supervisor)")],
        defaultTimeout: .seconds(30))
    var latencies: [Int64] = []
    var open: UInt64 = 0
    for _ in 0..<queries {
        let started = monotonicNanoseconds()
        let counts = try await client.unary(CaseService.getCaseCounts, GetCaseCountsRequest())
        latencies.append(monotonicNanoseconds() - started)
        open = counts.departments.reduce(0) { $0 + $1.openCases }
    }
    await channel.close()
    latencies.sort()
    say(
        "RESULT cases=\(cases) open=\(open) queries=\(queries) "
            + "counts_p50_ms=\(fixed(percentileMilliseconds(latencies, 0.5))) "
            + "counts_p99_ms=\(fixed(percentileMilliseconds(latencies, 0.99)))")
}
