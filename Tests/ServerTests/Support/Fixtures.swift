import Engine
import Foundation
import Interchange
import Messages
import Synchronization
import Transport

/// The repository's root, found from this file's path
/// (`Tests/ServerTests/Support/Fixtures.swift`).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A failure of the test's own set-up (a missing binary, a peer that
/// printed something unexpected), as opposed to a failed expectation.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The instant of a local (China Standard Time) date and time written as
/// `2026-03-02T09:00` or `2026-03-02T09:00:00`.
func local(_ text: String) -> Instant {
    let full = text.count == 16 ? text + ":00" : text
    guard let instant = Instant(iso8601: full + "+08:00") else {
        preconditionFailure("not a local date-time: \(text)")
    }
    return instant
}

/// The demo county's catalogue (`demo/catalogue.json`): eight departments
/// and thirty-two items with realistic limits.
func demoCatalogue() throws -> CatalogueDocument {
    let url = packageRoot.appendingPathComponent("demo/catalogue.json")
    return try CatalogueDocument(jsonString: String(contentsOf: url, encoding: .utf8))
}

/// Codes of the demo catalogue the tests lean on, with the limits that make
/// them useful.
enum Demo {
    /// 卫生健康局, the Health Commission.
    static let health = "330899-WJJ"
    /// Health item 002: legal limit 20, promised 5 working days, no step
    /// limits, no fee standard, inspection and testing allowed.
    static let healthItem = "330899-WJJ-002"
    /// 交通运输局, the Transport Bureau.
    static let transport = "330899-JTJ"
    /// Transport item 002: legal limit 10, promised 3 working days.
    static let transportItem = "330899-JTJ-002"
    /// 市场监督管理局, the Market Regulation Bureau.
    static let market = "330899-SCJG"
    /// Market item 004: non-licensing, legal 15, promised 5.
    static let marketItem = "330899-SCJG-004"
}

/// Builds the events a department reports, one kind at a time.
struct CaseScript {
    var department: String
    var caseID: String

    /// An event of this case with an id, an instant and a kind.
    func event(
        _ id: String, at instant: Instant, revision: UInt32 = 0, _ kind: Messages.CaseEvent.Kind
    ) -> Messages.CaseEvent {
        var event = Messages.CaseEvent()
        event.eventID = id
        event.revision = revision
        event.departmentCode = department
        event.caseID = caseID
        event.occurredAt = Timestamp(instant)
        event.kind = kind
        return event
    }

    /// 收件: an application for `item` from a person.
    func received(
        _ id: String, at instant: Instant, item: String, applicant: String = "张三丰",
        idNumber: String = "330824199001011234", phone: String = "13905700001"
    ) -> Messages.CaseEvent {
        var receipt = CaseReceived()
        receipt.itemCode = item
        receipt.channel = .counter
        receipt.title = "Application \(caseID)"
        var person = Applicant()
        person.type = .person
        person.name = applicant
        person.idType = .residentIDCard
        person.idNumber = idNumber
        person.phone = phone
        receipt.applicant = person
        return event(id, at: instant, .received(receipt))
    }

    /// 受理: accepted by a handler.
    func accepted(_ id: String, at instant: Instant, revision: UInt32 = 0) -> Messages.CaseEvent {
        var accepted = CaseAccepted()
        accepted.handler = "Handler Wang"
        return event(id, at: instant, revision: revision, .accepted(accepted))
    }

    /// 特别程序申请: a special procedure with its granted working days.
    func procedureStarted(
        _ id: String, at instant: Instant, procedure: String, type: Messages.SpecialProcedureType,
        days: UInt32
    ) -> Messages.CaseEvent {
        var start = SpecialProcedureStarted()
        start.procedureID = procedure
        start.type = type
        start.grantedDays = days
        start.reason = "materials need checking"
        return event(id, at: instant, .specialProcedureStarted(start))
    }

    /// 特别程序结果: the procedure ended.
    func procedureEnded(
        _ id: String, at instant: Instant, procedure: String, revision: UInt32 = 0
    ) -> Messages.CaseEvent {
        var end = SpecialProcedureEnded()
        end.procedureID = procedure
        end.result = "passed"
        return event(id, at: instant, revision: revision, .specialProcedureEnded(end))
    }

    /// 办结: concluded with `result`.
    func concluded(
        _ id: String, at instant: Instant, result: Messages.ConclusionResult = .approved,
        reason: String = ""
    ) -> Messages.CaseEvent {
        var conclusion = CaseConcluded()
        conclusion.result = result
        conclusion.reason = reason
        if result == .approved {
            conclusion.certificateName = "Licence"
            conclusion.certificateNumber = "L-\(caseID)"
        }
        return event(id, at: instant, .concluded(conclusion))
    }
}

/// A small deterministic random number generator (SplitMix64): the random
/// points of the stress tests repeat from run to run for a given seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Waits until `condition` holds, checking every few milliseconds, for at
/// most `timeout`; returns whether it held.
func eventually(
    timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// A count shared between tasks.
final class SharedCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The metadata that carries `secret` as a bearer token.
func bearer(_ secret: String) -> Metadata {
    var metadata = Metadata()
    metadata.add("authorization", "Bearer \(secret)")
    return metadata
}
