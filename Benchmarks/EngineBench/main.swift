// EngineBench: the supervision engine with a million open cases in memory.
//
// Measures, in one run on one machine:
// - applying an event incrementally to a case's compact summary, against
//   refolding the whole case from its events (the peer: what a server
//   without incremental state would do);
// - finding the next due instant with the due queue, against scanning every
//   open case's summary for the earliest (the peer);
// - memory per open case (resident set size before and after).
//
// Run: swift run -c release EngineBench [cases]   (default 1,000,000)

import Engine

#if canImport(Glibc)
    import Glibc
#endif

/// CPU time this thread has used, in nanoseconds. The build machines are
/// shared: wall-clock time includes the time other processes hold the cores,
/// thread CPU time does not, so it is what the figures below report.
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Wall-clock time, for the whole run.
func wallNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The 1-minute load average, to judge how busy the machine was.
func loadAverage() -> String {
    guard let file = fopen("/proc/loadavg", "r") else { return "?" }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return "?" }
    let length = line.firstIndex(of: 0) ?? line.count
    let text = String(decoding: line[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(text.split(separator: " ").first ?? "?")
}

/// Resident set size in bytes, from /proc/self/status.
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let length = line.firstIndex(of: 0) ?? line.count
        let text = String(decoding: line[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            let digits = text.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
    }
    return 0
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}

/// SplitMix64, so every run generates the same cases.
struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: The catalogue: 40 departments in 4 counties, 1,000 items.

let calendar = try WorkingCalendar.official()
let regions = ["330102", "330105", "330106", "330108"].map { RegionCode($0)! }
let departments = (0..<40).map {
    Department(code: "D\($0)", name: "Department \($0)", region: regions[$0 % regions.count])
}
let items = (0..<1000).map { index -> Item in
    let legal = [5, 10, 15, 20, 30][index % 5]
    return Item(
        code: "I\(index)", name: "Item \(index)", departmentCode: "D\(index % 40)",
        kind: index % 7 == 0 ? .nonLicensing : .licensing, legalLimit: legal,
        promisedLimit: max(1, legal / 2), stepLimits: [.undertake: 3, .review: 2, .approve: 1],
        feeStandard: index % 3 == 0 ? .maximum(fen: 20_000) : .none)
}
let catalogue = try Catalogue(version: 1, departments: departments, items: items)
let context = EvaluationContext(catalogue: catalogue, calendar: calendar)

// MARK: Open cases: received, usually accepted, some steps done, sometimes a
// special procedure or a fee; none concluded.

let caseCount =
    CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
// Cases received over the 40 days before `now`, so that most are still
// running against their deadlines.
let now = Instant(iso8601: "2026-11-20T12:00:00+08:00")!
let start = now.adding(seconds: -40 * 86_400)

func openCase(_ index: Int, _ random: inout Generator) -> [CaseEvent] {
    let item = items[Int.random(in: 0..<items.count, using: &random)]
    let key = CaseKey(departmentCode: item.departmentCode, caseID: "2026-\(index)")
    var t = start.adding(seconds: Int64.random(in: 0..<(30 * 86_400), using: &random))
    var events: [CaseEvent] = []
    func emit(_ kind: CaseEventKind, _ random: inout Generator) {
        events.append(
            CaseEvent(
                eventID: "\(index)-\(events.count)", caseKey: key, occurredAt: t,
                reportedAt: t.adding(seconds: Int64.random(in: 0..<600, using: &random)),
                kind: kind))
        t = t.adding(seconds: Int64.random(in: 600..<(2 * 86_400), using: &random))
    }
    emit(.received(Receipt(itemCode: item.code, channel: .online)), &random)
    if Int.random(in: 0..<10, using: &random) == 0 {
        emit(.correctionRequested(missing: ["form"]), &random)
        emit(.correctionReceived, &random)
    }
    guard Int.random(in: 0..<10, using: &random) > 0 else { return events }
    emit(.accepted(handler: "clerk"), &random)
    let steps = Int.random(in: 0...3, using: &random)
    for step in ApprovalStep.allCases.prefix(steps) {
        if Int.random(in: 0..<12, using: &random) == 0 {
            emit(
                .specialProcedureStarted(
                    SpecialProcedureStart(
                        procedureID: "P", type: .expertReview, grantedDays: 10)), &random)
            emit(.specialProcedureEnded(SpecialProcedureEnd(procedureID: "P")), &random)
        }
        if Int.random(in: 0..<10, using: &random) == 0 {
            emit(.feeCharged(FeeCharge(feeItem: "fee", amountFen: 5_000)), &random)
        }
        emit(.stepCompleted(StepCompletion(step: step, handler: "h")), &random)
    }
    return events
}

let runStarted = wallNanoseconds()
print("EngineBench: \(caseCount) open cases, calendar 2020-2026, 1,000 items")
print("times are thread CPU time; load average at start \(loadAverage())")
print("CaseSummary inline size: \(MemoryLayout<CaseSummary>.size) bytes")

// MARK: 1. Incremental apply, into a map of every open case.

var random = Generator(state: 2026)
var cases: [CaseKey: CaseSummary] = [:]
cases.reserveCapacity(caseCount)
var applyNanos: UInt64 = 0
var eventsApplied = 0
var batchRates: [Double] = []
var sampleCases: [[CaseEvent]] = []
let batchSize = 10_000

let rssBefore = residentBytes()
var index = 0
while index < caseCount {
    let count = min(batchSize, caseCount - index)
    let batch = (0..<count).map { openCase(index + $0, &random) }
    if sampleCases.count < 20_000 { sampleCases += batch.prefix(2_000) }
    let batchEvents = batch.reduce(0) { $0 + $1.count }

    var built: [CaseSummary] = []
    built.reserveCapacity(batch.count)
    for events in batch {
        built.append(CaseSummary(caseKey: events[0].caseKey, context: context))
    }
    let began = monotonicNanoseconds()
    for (slot, events) in batch.enumerated() {
        for event in events where !built[slot].apply(event, context: context) {
            fatalError("an in-order event was refused")
        }
    }
    let elapsed = monotonicNanoseconds() - began
    for summary in built {
        cases[summary.caseKey] = summary
    }
    applyNanos += elapsed
    eventsApplied += batchEvents
    batchRates.append(Double(elapsed) / Double(batchEvents))
    index += count
}
let rssAfter = residentBytes()

// The peer: refolding a case from all its events for each new event.
var refoldRates: [Double] = []
var incrementalRates: [Double] = []
let roundSize = sampleCases.count / 5
for round in 0..<5 {
    let slice = sampleCases[(round * roundSize)..<((round + 1) * roundSize)]
    var events = 0
    var began = monotonicNanoseconds()
    for list in slice {
        for end in 1...list.count {
            let summary = CaseSummary(events: Array(list[0..<end]), context: context)
            events += summary.isOpen ? 1 : 1
        }
    }
    refoldRates.append(Double(monotonicNanoseconds() - began) / Double(events))

    events = 0
    began = monotonicNanoseconds()
    for list in slice {
        var summary = CaseSummary(caseKey: list[0].caseKey, context: context)
        for event in list {
            _ = summary.apply(event, context: context)
            events += 1
        }
    }
    incrementalRates.append(Double(monotonicNanoseconds() - began) / Double(events))
}

print("")
print("apply: \(eventsApplied) events into \(cases.count) cases")
print(
    "  incremental apply, batches of 10,000 cases: median \(format(median(batchRates), 0)) ns/event"
)
let incremental = format(median(incrementalRates), 0)
print(
    "  \(roundSize) sampled cases x5: incremental median \(incremental) ns/event, "
        + "refold peer median \(format(median(refoldRates), 0)) ns/event, ratio refold/incremental "
        + format(median(refoldRates) / median(incrementalRates), 1))
print(
    "memory: RSS +\((rssAfter - rssBefore) / 1_048_576) MiB for \(cases.count) cases = "
        + "\((rssAfter - rssBefore) / max(1, cases.count)) bytes per open case")

// MARK: 2. The next due instant: the queue against scanning.

var queue = DueQueue<CaseKey>(capacity: cases.count)
var nextDueNanos: [Double] = []
var began = monotonicNanoseconds()
for (key, summary) in cases {
    queue.update(key, dueAt: summary.nextDue(after: now))
}
let buildNanos = monotonicNanoseconds() - began
print("")
print(
    "due queue: \(queue.count) cases with a due instant, built in "
        + "\(format(Double(buildNanos) / 1e6, 0)) ms (nextDue + update: "
        + "\(format(Double(buildNanos) / Double(cases.count), 0)) ns per case)")

// Finding the earliest: the queue's head, against a scan of every summary.
var scanNanos: [Double] = []
var headNanos: [Double] = []
let summaries = Array(cases.values)
for _ in 0..<3 {
    began = monotonicNanoseconds()
    var earliest: Instant?
    for slot in summaries.indices {
        if let due = summaries[slot].nextDue(after: now), earliest.map({ due < $0 }) ?? true {
            earliest = due
        }
    }
    scanNanos.append(Double(monotonicNanoseconds() - began))
    began = monotonicNanoseconds()
    var head: Instant?
    for _ in 0..<1_000 { head = queue.earliest?.instant }
    headNanos.append(Double(monotonicNanoseconds() - began) / 1_000)
    precondition(head == earliest, "the queue and the scan disagree")
}
let scanPerCase = format(median(scanNanos) / Double(summaries.count), 0)
print(
    "  earliest due: queue head median \(format(median(headNanos), 1)) ns; scan peer median "
        + "\(format(median(scanNanos) / 1e6, 0)) ms (\(scanPerCase) ns per case); "
        + "ratio scan/queue "
        + format(median(scanNanos) / max(1, median(headNanos)), 0))

// The scheduler's turn: pop what is due over the next days, re-queue each
// case's following instant.
var turnNanos: [Double] = []
var popped = 0
var clock = now
for _ in 0..<5 {
    clock = clock.adding(seconds: 86_400)
    began = monotonicNanoseconds()
    let due = queue.popDue(at: clock)
    for (_, key) in due {
        queue.update(key, dueAt: cases[key]!.nextDue(after: clock))
    }
    popped += due.count
    if !due.isEmpty { turnNanos.append(Double(monotonicNanoseconds() - began) / Double(due.count)) }
}
print(
    "  scheduler turns over 5 days: \(popped) cases due, median "
        + "\(format(median(turnNanos), 0)) ns per due case (pop, nextDue, re-queue)")

print("")
print(
    "run: \(format(Double(wallNanoseconds() - runStarted) / 1e9, 1)) s wall; "
        + "load average at end \(loadAverage())")
