// StoreBench: durable events per second through the store, group-commit batch
// sizes under concurrency, size on disk, and a department's monthly
// statistics over a large file, each against a peer measured in the same run.
//
//   swift run -c release StoreBench [--events N] [--stats-events N] [--runs R]
//                                   [--directory DIR]
//
// The throughput peer is Benchmarks/peers/store_peer.c: the same rows per
// event written by plain C with prepared statements, as many events per
// transaction as the store gets, same durability settings. It is compiled
// here with `cc`.

import CSQLite
import Foundation
import Store
import Synchronization

// MARK: Arguments

struct Options {
    var events = 200_000
    var statsEvents = 10_000_000
    var runs = 3
    var directory: URL?
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let flag = arguments.next() {
        let value = arguments.next()
        switch (flag, value) {
        case ("--events", let value?): options.events = Int(value) ?? options.events
        case ("--stats-events", let value?):
            options.statsEvents = Int(value) ?? options.statsEvents
        case ("--runs", let value?): options.runs = Int(value) ?? options.runs
        case ("--directory", let value?): options.directory = URL(fileURLWithPath: value)
        default:
            say(
                "usage: StoreBench [--events N] [--stats-events N] [--runs R] [--directory DIR]")
            exit(2)
        }
    }
    return options
}

// MARK: Helpers

/// Writes a line to standard output at once, unbuffered, so a long run
/// redirected to a file shows its progress.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

func fileSize(_ path: String) -> Int64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
}

func formatted(_ value: Double, decimals: Int = 0) -> String {
    String(format: "%.\(decimals)f", value)
}

/// Runs a command and returns its standard output; exits on failure.
func runCommand(_ executable: String, _ arguments: [String]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    do {
        try process.run()
    } catch {
        say("StoreBench: cannot run \(executable): \(error)")
        exit(1)
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        say("StoreBench: \(executable) \(arguments) failed with \(process.terminationStatus)")
        exit(1)
    }
    return String(decoding: data, as: UTF8.self)
}

/// CPU seconds (user + system) used so far by this process or by its
/// waited-for children: a figure that a busy machine disturbs far less than
/// elapsed time.
func cpuSeconds(children: Bool = false) -> Double {
    var usage = rusage()
    getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// A shared counter the writer tasks take event numbers from.
final class Ticket: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int {
        next.add(1, ordering: .relaxed).oldValue
    }
}

let baseInstant = Int64(1_772_413_200_000)
let march = Month(year: 2026, month: 3)
let payload = [UInt8](repeating: 7, count: 200)
let derived = [UInt8](repeating: 7, count: 64)

/// The rows one reported event costs: the event, its case row, a counter,
/// and for every tenth event an alert with its log entry. The same as the
/// C peer writes.
func ingest(_ index: Int, into transaction: WriteTransaction) throws {
    let department = padded("D", index % 50, 3)
    let caseID = padded("C", (index / 50) / 8, 9)
    let eventID = padded("E", index, 12)
    let instant = baseInstant + Int64(index)
    // A case is received once: at the instant of its first event.
    let received = baseInstant + Int64(((index / 50) / 8) * 8 * 50 + index % 50)
    _ = try transaction.insertEvent(
        EventRecord(
            department: department, caseID: caseID, eventID: eventID, kind: 1,
            occurredAt: instant, reportedAt: instant, originRegion: "330101", payload: payload))
    try transaction.upsertCase(
        CaseRecord(
            department: department, caseID: caseID, itemCode: "ITEM", state: 3, isOpen: true,
            receivedAt: received, catalogueVersion: 1, updatedAt: instant, derived: derived))
    try transaction.addCounters(department: department, month: march, deltas: [.eventsReported: 1])
    if index % 10 == 9 {
        // Numbered before it is written, as the server's alert book does.
        let sequence = try transaction.alertLogPosition() + 1
        let alert = AlertRecord(
            alertID: "A-\(eventID)", rule: 1, level: 2, status: 1, department: department,
            caseID: caseID, subject: "case", dueAt: instant, raisedAt: instant,
            description: "promised deadline passed", region: "330101", sequence: sequence)
        try transaction.putAlert(alert)
        try transaction.appendAlertLog(
            AlertLogEntry(
                alertID: alert.alertID, kind: 1, at: instant, actor: "engine",
                department: department, caseID: caseID, rule: 1, level: 2, status: 1))
    }
}

/// "D007" from ("D", 7, 3), without Foundation's slower String(format:).
func padded(_ prefix: String, _ number: Int, _ width: Int) -> String {
    let digits = String(number)
    return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
}

func benchConfiguration() -> Store.Configuration {
    var configuration = Store.Configuration()
    configuration.checkOnOpen = false
    return configuration
}

// MARK: Measurements

struct StoreRun {
    var eventsPerSecond: Double
    var cpuMicrosecondsPerEvent: Double = 0
    var statistics: WriterStatistics
    var latencies: [Double]
    var bytesOnDisk: Int64
}

/// `writers` tasks each write one event per `write` call until `events` are
/// durable; returns the rate, the writer's batching and each write's latency.
func measureStore(at directory: URL, events: Int, writers: Int) async throws -> StoreRun {
    try? FileManager.default.removeItem(at: directory)
    let store = try Store(directory: directory, configuration: benchConfiguration())
    let ticket = Ticket()
    let started = Date()
    let cpuBefore = cpuSeconds()
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for _ in 0..<writers {
            group.addTask {
                var mine: [Double] = []
                while true {
                    let index = ticket.take()
                    if index >= events { break }
                    let begin = DispatchTime.now().uptimeNanoseconds
                    try await store.write { try ingest(index, into: $0) }
                    mine.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
                }
                return mine
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let seconds = Date().timeIntervalSince(started)
    let cpu = cpuSeconds() - cpuBefore
    let statistics = store.writerStatistics
    await store.close()
    let bytes = fileSize(directory.appendingPathComponent(Store.fileName).path)
    return StoreRun(
        eventsPerSecond: Double(events) / seconds,
        cpuMicrosecondsPerEvent: cpu / Double(events) * 1e6, statistics: statistics,
        latencies: latencies, bytesOnDisk: bytes)
}

/// One writer whose every write carries `perWrite` events: the store at the
/// peer's transaction size, which isolates the store's own overhead.
func measureStoreBulk(at directory: URL, events: Int, perWrite: Int) async throws -> StoreRun {
    try? FileManager.default.removeItem(at: directory)
    let store = try Store(directory: directory, configuration: benchConfiguration())
    let started = Date()
    let cpuBefore = cpuSeconds()
    var first = 0
    while first < events {
        let range = first..<min(events, first + perWrite)
        try await store.write { transaction in
            for index in range {
                try ingest(index, into: transaction)
            }
        }
        first += perWrite
    }
    let seconds = Date().timeIntervalSince(started)
    let cpu = cpuSeconds() - cpuBefore
    let statistics = store.writerStatistics
    await store.close()
    return StoreRun(
        eventsPerSecond: Double(events) / seconds,
        cpuMicrosecondsPerEvent: cpu / Double(events) * 1e6, statistics: statistics,
        latencies: [], bytesOnDisk: fileSize(directory.appendingPathComponent(Store.fileName).path))
}

/// One intake stream that queues writes without waiting for each, keeping at
/// most `window` unacknowledged, as a streaming RPC handler would.
func measurePipelined(at directory: URL, events: Int, window: Int) async throws -> StoreRun {
    try? FileManager.default.removeItem(at: directory)
    let store = try Store(directory: directory, configuration: benchConfiguration())
    let started = Date()
    var inFlight: [PendingWrite<Void>] = []
    var head = 0
    for index in 0..<events {
        inFlight.append(try await store.submit { try ingest(index, into: $0) })
        if inFlight.count - head >= window {
            try await inFlight[head].value
            head += 1
        }
    }
    for pending in inFlight[head...] {
        try await pending.value
    }
    let seconds = Date().timeIntervalSince(started)
    let statistics = store.writerStatistics
    await store.close()
    return StoreRun(
        eventsPerSecond: Double(events) / seconds, statistics: statistics, latencies: [],
        bytesOnDisk: fileSize(directory.appendingPathComponent(Store.fileName).path))
}

/// The C peer on a copy of an empty store file; returns events per second
/// and CPU microseconds per event. `parts` is the peer's PARTS argument: which
/// rows besides the events and counters it writes.
func measurePeer(
    peer: String, template: URL, at directory: URL, events: Int, perTransaction: Int,
    parts: String = "identity,cases,alerts"
) throws -> (rate: Double, cpuMicroseconds: Double) {
    try? FileManager.default.removeItem(at: directory)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let database = directory.appendingPathComponent(Store.fileName)
    try FileManager.default.copyItem(at: template, to: database)
    let cpuBefore = cpuSeconds(children: true)
    let line = runCommand(
        peer, [database.path, "\(events)", "\(perTransaction)", "\(payload.count)", parts])
    let cpu = cpuSeconds(children: true) - cpuBefore
    guard let field = line.split(separator: " ").first(where: {
        $0.hasPrefix("events_per_second=")
    }), let rate = Double(field.dropFirst("events_per_second=".count).trimmingCharacters(
        in: .whitespacesAndNewlines))
    else {
        say("StoreBench: cannot read the peer's output: \(line)")
        exit(1)
    }
    return (rate, cpu / Double(events) * 1e6)
}

// MARK: Monthly statistics over a large file

/// Loads `events` events over 200 departments and 24 months in writes of
/// 1,000, keeping the counters as the server would; returns events/s.
func loadStatistics(at directory: URL, events: Int) async throws -> Double {
    try? FileManager.default.removeItem(at: directory)
    let store = try Store(directory: directory, configuration: benchConfiguration())
    let small = [UInt8](repeating: 5, count: 64)
    let started = Date()
    let chunk = 1000
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<4 {
            group.addTask {
                var first = worker * chunk
                while first < events {
                    let range = first..<min(events, first + chunk)
                    try await store.write { transaction in
                        var deltas: [String: [Month: Int64]] = [:]
                        for index in range {
                            let department = padded("D", index % 200, 3)
                            let month = statisticsMonth(index, of: events)
                            _ = try transaction.insertEvent(
                                EventRecord(
                                    department: department,
                                    caseID: padded("C", index / 1600, 9),
                                    eventID: padded("E", index, 12), kind: 1,
                                    occurredAt: baseInstant + Int64(index),
                                    reportedAt: baseInstant + Int64(index),
                                    originRegion: "330101", payload: small))
                            deltas[department, default: [:]][month, default: 0] += 1
                        }
                        for (department, months) in deltas {
                            for (month, count) in months {
                                try transaction.addCounters(
                                    department: department, month: month,
                                    deltas: [.eventsReported: count, .received: count / 8])
                            }
                        }
                    }
                    first += 4 * chunk
                }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Date().timeIntervalSince(started)
    await store.close()
    return Double(events) / seconds
}

/// Event `index` of `total` falls in month 0..<24 of 2025-2026.
func statisticsMonth(_ index: Int, of total: Int) -> Month {
    let offset = index * 24 / total
    return Month(year: 2025 + offset / 12, month: offset % 12 + 1)
}

/// The first event index of month `offset` (0..<24).
func firstIndex(ofMonth offset: Int, total: Int) -> Int {
    (offset * total + 23) / 24
}

/// Times the counters query, then the same figure computed by scanning the
/// events of the month, on one connection each; returns milliseconds.
func measureStatistics(at directory: URL, events: Int) async throws
    -> (counters: [Double], scan: [Double], agree: Bool)
{
    let store = try Store(directory: directory, configuration: benchConfiguration())
    var counterTimes: [Double] = []
    var generator = SystemRandomNumberGenerator()
    var samples: [(String, Int)] = []
    for _ in 0..<200 {
        samples.append(
            (padded("D", Int.random(in: 0..<200, using: &generator), 3),
                Int.random(in: 0..<24, using: &generator)))
    }
    var counted: [Int64] = []
    for (department, offset) in samples {
        let month = Month(year: 2025 + offset / 12, month: offset % 12 + 1)
        let begin = DispatchTime.now().uptimeNanoseconds
        let values = try await store.read { try $0.counters(department: department, month: month) }
        counterTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
        counted.append(values[.eventsReported] ?? 0)
    }
    await store.close()

    // The peer: what computing it from the events costs without counters.
    var database: OpaquePointer?
    let path = directory.appendingPathComponent(Store.fileName).path
    guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
        say("StoreBench: cannot open \(path)")
        exit(1)
    }
    defer { sqlite3_close(database) }
    var statement: OpaquePointer?
    sqlite3_prepare_v2(
        database,
        "SELECT count(*) FROM event WHERE department = ? AND occurred_at >= ? AND occurred_at < ?",
        -1, &statement, nil)
    defer { sqlite3_finalize(statement) }
    var scanTimes: [Double] = []
    var agree = true
    for (sample, (department, offset)) in samples.prefix(5).enumerated() {
        let from = baseInstant + Int64(firstIndex(ofMonth: offset, total: events))
        let until = baseInstant + Int64(firstIndex(ofMonth: offset + 1, total: events))
        let begin = DispatchTime.now().uptimeNanoseconds
        sqlite3_bind_text(statement, 1, department, -1, nil)
        sqlite3_bind_int64(statement, 2, from)
        sqlite3_bind_int64(statement, 3, until)
        sqlite3_step(statement)
        let scanned = sqlite3_column_int64(statement, 0)
        sqlite3_reset(statement)
        scanTimes.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
        agree = agree && scanned == counted[sample]
    }
    return (counterTimes, scanTimes, agree)
}

// MARK: Main

let options = parseOptions()
let work =
    options.directory
    ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "storebench-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

let peerSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("peers/store_peer.c")
let peer = work.appendingPathComponent("store_peer").path
_ = runCommand("/usr/bin/env", ["cc", "-O2", "-o", peer, peerSource.path, "-lsqlite3"])

// An empty store file: the peer writes into exactly the store's schema.
let templateDirectory = work.appendingPathComponent("template")
let templateStore = try Store(directory: templateDirectory, configuration: benchConfiguration())
await templateStore.close()
let template = templateDirectory.appendingPathComponent(Store.fileName)

say(
    "StoreBench: \(options.events) events per run, \(options.runs) runs, "
        + "payload \(payload.count) B")
say("")
say("1. Durable events/s: the store vs the C peer, same rows, same transaction size")
say("   (store: one write per transaction), WAL + synchronous=FULL, runs alternating.")
say("   1,000 events per transaction is a moderate load; 4,000 is what the writer's")
say("   batches grow to under sustained load (its queue holds 4,096 writes).")
for perTransaction in [1000, 4000] {
    var storeRates: [Double] = []
    var peerRates: [Double] = []
    var storeCPU: [Double] = []
    var peerCPU: [Double] = []
    say("   \(perTransaction) events per transaction:")
    for run in 1...options.runs {
        let peerResult = try measurePeer(
            peer: peer, template: template, at: work.appendingPathComponent("peer"),
            events: options.events, perTransaction: perTransaction)
        let storeRun = try await measureStoreBulk(
            at: work.appendingPathComponent("store"), events: options.events,
            perWrite: perTransaction)
        peerRates.append(peerResult.rate)
        peerCPU.append(peerResult.cpuMicroseconds)
        storeRates.append(storeRun.eventsPerSecond)
        storeCPU.append(storeRun.cpuMicrosecondsPerEvent)
        say(
            "   run \(run): store \(formatted(storeRun.eventsPerSecond)) ev/s "
                + "(\(formatted(storeRun.cpuMicrosecondsPerEvent, decimals: 1)) CPU us/ev), "
                + "peer \(formatted(peerResult.rate)) ev/s "
                + "(\(formatted(peerResult.cpuMicroseconds, decimals: 1)) CPU us/ev)")
    }
    let storeMedian = median(storeRates)
    let peerMedian = median(peerRates)
    say(
        "   median: store \(formatted(storeMedian)) ev/s, peer \(formatted(peerMedian)) ev/s, "
            + "ratio store/peer \(formatted(storeMedian / peerMedian, decimals: 2))")
    say(
        "   CPU per event, median: store \(formatted(median(storeCPU), decimals: 1)) us, "
            + "peer \(formatted(median(peerCPU), decimals: 1)) us, "
            + "ratio peer/store \(formatted(median(peerCPU) / median(storeCPU), decimals: 2))")
}

// What SQLite itself charges for each part of the row set: the store can only
// approach the full row's figure, and leaving a part out is a product change.
let rowParts: [(label: String, parts: String)] = [
    ("every row (as above)", "identity,cases,alerts"),
    ("without the alerts and their log", "identity,cases"),
    ("without the case rows", "identity,alerts"),
    ("events (with idempotency) and counters", "identity"),
    ("events and counters, no idempotency", "none"),
]
say("   What SQLite costs for parts of the rows: the C peer alone, 4,000 events per")
say("   transaction, runs alternating, medians:")
var partRates = [[Double]](repeating: [], count: rowParts.count)
var partCPU = [[Double]](repeating: [], count: rowParts.count)
for _ in 1...options.runs {
    for (index, part) in rowParts.enumerated() {
        let result = try measurePeer(
            peer: peer, template: template, at: work.appendingPathComponent("peer"),
            events: options.events, perTransaction: 4000, parts: part.parts)
        partRates[index].append(result.rate)
        partCPU[index].append(result.cpuMicroseconds)
    }
}
for (index, part) in rowParts.enumerated() {
    say(
        "   \(part.label): \(formatted(median(partRates[index]))) ev/s "
            + "(\(formatted(median(partCPU[index]), decimals: 1)) CPU us/ev)")
}
var load = [Double](repeating: 0, count: 3)
if getloadavg(&load, 3) == 3 {
    say("   machine load average (1 min) at the end: \(formatted(load[0], decimals: 1))")
}

say("")
say("2. Group commit under concurrency (one event per write)")
say(
    "   writers | events | events/s | CPU us/ev | commits | avg batch | max batch | p50 ms "
        + "| p99 ms")
var lastRun: StoreRun?
for writers in [1, 16, 256] {
    let events = writers == 1 ? min(options.events, 3000) : options.events
    let result = try await measureStore(
        at: work.appendingPathComponent("sweep"), events: events, writers: writers)
    let columns = [
        String(writers), String(events), formatted(result.eventsPerSecond),
        formatted(result.cpuMicrosecondsPerEvent, decimals: 1),
        String(result.statistics.commits), formatted(result.statistics.averageBatch, decimals: 1),
        String(result.statistics.largestBatch),
        formatted(percentile(result.latencies, 0.5), decimals: 2),
        formatted(percentile(result.latencies, 0.99), decimals: 2),
    ]
    say("   " + columns.joined(separator: " | "))
    if writers == 256 { lastRun = result }
}
let pipelined = try await measurePipelined(
    at: work.appendingPathComponent("pipelined"), events: options.events, window: 1024)
say(
    "   1 stream, pipelined (submit, 1,024 in flight): \(formatted(pipelined.eventsPerSecond)) "
        + "ev/s, avg batch \(formatted(pipelined.statistics.averageBatch, decimals: 1))")

say("")
say("3. Size on disk")
if let lastRun {
    let perMillion = Double(lastRun.bytesOnDisk) / Double(options.events) * 1_000_000
    say(
        "   \(options.events) events (+ cases, counters, an alert per 10): "
            + "\(lastRun.bytesOnDisk / 1_048_576) MiB, "
            + "\(formatted(perMillion / 1_048_576)) MiB per million events")
}

if options.statsEvents > 0 {
    say("")
    say("4. A department's monthly statistics over \(options.statsEvents) events")
    let statsDirectory = work.appendingPathComponent("stats")
    let loadRate = try await loadStatistics(at: statsDirectory, events: options.statsEvents)
    say("   loaded at \(formatted(loadRate)) ev/s (writes of 1,000 events)")
    let size = fileSize(statsDirectory.appendingPathComponent(Store.fileName).path)
    say("   file: \(size / 1_048_576) MiB")
    let (counters, scan, agree) = try await measureStatistics(
        at: statsDirectory, events: options.statsEvents)
    say(
        "   counters table: median \(formatted(median(counters), decimals: 3)) ms, "
            + "p99 \(formatted(percentile(counters, 0.99), decimals: 3)) ms (200 queries)")
    say(
        "   peer, scanning the month's events: median \(formatted(median(scan), decimals: 1)) ms "
            + "(5 queries), ratio scan/counters "
            + "\(formatted(median(scan) / max(median(counters), 0.0001)))x; "
            + "same figures: \(agree ? "yes" : "NO")")
}
