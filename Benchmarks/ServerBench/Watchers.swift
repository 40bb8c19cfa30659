import Messages
import Services
import Synchronization
import Transport

/// A count several tasks add to.
final class Tally: Sendable {
    private let value = Atomic<Int>(0)

    func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }

    var current: Int { value.load(ordering: .relaxed) }
}

/// Supervisors' dashboards watching every alert live (`WatchAlerts`), each on its
/// own connection, recording when each fee card (乱收费) reaches them.
struct Watchers {
    private let streams: [ResponseStream<WatchAlertsResponse>]
    private let tasks: [Task<[String: Int64], Never>]
    private let channels: [GRPCChannel]
    private let delivered: Tally

    /// Starts `count` watchers and returns once the server has attached every one
    /// to its live feed (each has had its first heartbeat); nil for none.
    static func start(count: Int, port: Int, token: String) async throws -> Watchers? {
        guard count > 0 else { return nil }
        let ready = Tally()
        let delivered = Tally()
        var streams: [ResponseStream<WatchAlertsResponse>] = []
        var tasks: [Task<[String: Int64], Never>] = []
        var channels: [GRPCChannel] = []
        var request = WatchAlertsRequest()
        request.liveOnly = true
        request.heartbeatSeconds = 1
        for _ in 0..<count {
            let channel = GRPCChannel(host: "127.0.0.1", port: port)
            let client = RPCClient(
                channel: channel, metadata: ["authorization": .string("Bearer \(token)")])
            let stream = try await client.serverStreaming(AlertService.watchAlerts, request)
            channels.append(channel)
            streams.append(stream)
            tasks.append(
                Task {
                    // The first instant each case's raised alert arrived here.
                    var arrivals: [String: Int64] = [:]
                    var attached = false
                    do {
                        for try await response in stream {
                            switch response.message {
                            case .heartbeat:
                                if !attached {
                                    attached = true
                                    ready.add()
                                }
                            case .transition(let transition):
                                let now = monotonicNanoseconds()
                                guard transition.kind == .raised, let alert = transition.alert,
                                    alert.rule == .fee, arrivals[alert.caseID] == nil
                                else { continue }
                                arrivals[alert.caseID] = now
                                delivered.add()
                            case nil:
                                continue
                            }
                        }
                    } catch {
                        // Cancelled by `finish`, or the server went away: what
                        // arrived so far is the result.
                    }
                    return arrivals
                })
        }
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while ready.current < count {
            guard monotonicNanoseconds() < deadline else {
                throw BenchError("only \(ready.current) of \(count) watchers were attached")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Watchers(streams: streams, tasks: tasks, channels: channels, delivered: delivered)
    }

    /// Waits until every watcher has had `expected` alerts (at most five seconds),
    /// stops them, and returns each one's arrivals by case.
    func finish(expecting expected: Int) async throws -> [[String: Int64]] {
        let deadline = monotonicNanoseconds() + 5_000_000_000
        while delivered.current < expected * streams.count && monotonicNanoseconds() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        for stream in streams { stream.cancel() }
        var all: [[String: Int64]] = []
        for task in tasks { all.append(await task.value) }
        for channel in channels { await channel.close() }
        return all
    }
}

/// The secrets the load presents: one per department, and a supervisor's.
struct Tokens {
    private var departments: [String: String] = [:]
    /// The supervisor's secret, for watching alerts.
    private(set) var supervisor = "bench"

    /// Placeholder secrets, for servers that do not check them.
    init() {}

    /// Reads a file of lines "department CODE SECRET" and "supervisor SECRET".
    init(file: String) throws {
        for line in try readText(file).split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch (words.first, words.count) {
            case ("department", 3): departments[words[1]] = words[2]
            case ("supervisor", 2): supervisor = words[1]
            default: throw BenchError("\(file): cannot read the line \"\(line)\"")
            }
        }
    }

    func token(for department: String) -> String {
        departments[department] ?? "bench"
    }
}
