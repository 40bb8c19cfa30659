import Engine
import Foundation
import Testing

/// The official calendar, loaded once for every test.
let official: WorkingCalendar = {
    do { return try WorkingCalendar.official() } catch { fatalError("\(error)") }
}()

/// A county department and a handful of items covering the rules.
let catalogue: Catalogue = {
    let county = RegionCode("330106")!
    let departments = [
        Department(code: "D1", name: "Market Regulation Bureau", region: county),
        Department(code: "D2", name: "Housing Bureau", region: county),
    ]
    let items = [
        // Promised 10, legal 20, step limits, no fees, two procedure types.
        Item(
            code: "LIC", name: "Food business licence", departmentCode: "D1", legalLimit: 20,
            promisedLimit: 10, stepLimits: [.undertake: 3, .review: 2, .approve: 1],
            allowedProcedures: [.hearing, .expertReview]),
        // Promised equal to legal; a fee standard.
        Item(
            code: "FEE", name: "Building permit", departmentCode: "D2", legalLimit: 20,
            feeStandard: .maximum(fen: 5000)),
        // Promised under two days: no warning.
        Item(
            code: "QUICK", name: "Certificate copy", departmentCode: "D1", kind: .publicService,
            legalLimit: 5, promisedLimit: 1),
        // Immediate item (即办件).
        Item(
            code: "NOW", name: "Record filing", departmentCode: "D1", kind: .nonLicensing,
            legalLimit: 0),
    ]
    do {
        return try Catalogue(version: 1, departments: departments, items: items)
    } catch { fatalError("\(error)") }
}()

let context = EvaluationContext(catalogue: catalogue, calendar: official)

/// An instant from local (UTC+8) text `YYYY-MM-DD hh:mm[:ss]`.
func at(_ text: String) -> Instant {
    var full = text.replacingOccurrences(of: " ", with: "T")
    if full.count == 16 { full += ":00" }
    if full.count > 19 { full = String(full.prefix(19)) }
    guard let instant = Instant(iso8601: full + "+08:00") else {
        fatalError("bad instant \(text)")
    }
    return instant
}

/// A local date from `YYYY-MM-DD`.
func day(_ text: String) -> LocalDate {
    guard let date = LocalDate(iso8601: text) else { fatalError("bad date \(text)") }
    return date
}

/// Builds the events of one case with short, readable calls.
struct CaseScript {
    var key: CaseKey
    var events: [CaseEvent] = []
    private var counter = 0

    init(_ caseID: String = "C1", department: String = "D1") {
        key = CaseKey(departmentCode: department, caseID: caseID)
    }

    @discardableResult
    mutating func add(
        _ when: String, _ kind: CaseEventKind, id: String? = nil, reported: String? = nil,
        revision: Int = 1
    ) -> CaseEvent {
        counter += 1
        let event = CaseEvent(
            eventID: id ?? String(format: "E%02d", counter), caseKey: key, occurredAt: at(when),
            reportedAt: reported.map(at), revision: revision, kind: kind)
        events.append(event)
        return event
    }

    mutating func received(_ when: String, item: String = "LIC") {
        add(when, .received(Receipt(itemCode: item)))
    }

    mutating func accepted(_ when: String) {
        add(when, .accepted(handler: "clerk"))
    }

    mutating func step(
        _ when: String, _ step: ApprovalStep, _ outcome: StepCompletion.Outcome = .pass
    ) {
        add(when, .stepCompleted(StepCompletion(step: step, handler: "h", outcome: outcome)))
    }

    mutating func concluded(
        _ when: String, _ result: ConclusionResult = .approved, reason: String = "ok"
    ) {
        add(when, .concluded(Conclusion(result: result, reason: reason)))
    }

    mutating func procedure(
        _ when: String, id: String, _ type: SpecialProcedureType = .hearing, days: Int
    ) {
        add(
            when,
            .specialProcedureStarted(
                SpecialProcedureStart(procedureID: id, type: type, grantedDays: days, reason: "r")))
    }

    mutating func procedureEnded(_ when: String, id: String) {
        add(when, .specialProcedureEnded(SpecialProcedureEnd(procedureID: id, result: "done")))
    }

    mutating func extended(
        _ when: String, days: Int, approver: String = "head", reason: String = "complex"
    ) {
        add(when, .extensionGranted(ExtensionGrant(days: days, approver: approver, reason: reason)))
    }

    func evaluate(at now: String) -> CaseEvaluation {
        Supervision.evaluate(events: events, context: context, now: at(now))
    }

    func evaluate(at now: Instant) -> CaseEvaluation {
        Supervision.evaluate(events: events, context: context, now: now)
    }
}

extension CaseEvaluation {
    /// The ids' readable tails (`rule|subject|level`) of the holding alerts.
    var alertKeys: [String] {
        alerts.map { "\($0.rule.rawValue)|\($0.subject)|\($0.level.rawValue)" }
    }

    func alert(_ rule: AlertRule, _ level: AlertLevel) -> Alert? {
        alerts.first { $0.rule == rule && $0.level == level }
    }

    func has(_ rule: AlertRule, _ level: AlertLevel) -> Bool {
        alert(rule, level) != nil
    }
}

/// A small deterministic generator (SplitMix64) for property tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
