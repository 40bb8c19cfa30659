import Foundation
import Testing

@testable import Store

/// Every listing must seek through an index, not scan a table, or it slows
/// down as the file grows. SQLite counts full-scan steps per statement.
@Suite("Queries seek through indexes")
struct IndexUseTests {
    @Test("listings, lookups and the log read scan no table")
    func noFullScans() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<400 {
                    let department = "D\(index % 4)"
                    let caseID = "C\(index)"
                    let instant = march2 + Int64(index) * 60_000
                    _ = try transaction.insertEvent(
                        sampleEvent(department: department, caseID: caseID, eventID: "E\(index)"))
                    try transaction.upsertCase(
                        sampleCase(
                            department: department, caseID: caseID, itemCode: "I\(index % 7)",
                            isOpen: index % 5 != 0, receivedAt: instant))
                    let alert = sampleAlert(
                        id: "A\(index)", department: department, caseID: caseID,
                        raisedAt: instant)
                    try transaction.putAlert(alert)
                    try transaction.appendAlertLog(raisedEntry(for: alert))
                    try transaction.appendAudit(
                        AuditRecord(
                            at: instant, actor: "actor\(index % 3)", role: 2, action: "act",
                            target: caseID, outcome: "ok"))
                }
            }
            let from = march2 + 100 * 60_000
            let before = march2 + 120 * 60_000
            let checks: [(String, (ReadTransaction) throws -> Void)] = [
                ("events of a case", { _ = try $0.events(department: "D1", caseID: "C5") }),
                ("revisions", { _ = try $0.eventRevisions(department: "D1", eventID: "E5") }),
                ("case by id", { _ = try $0.caseRecord(department: "D1", caseID: "C5") }),
                (
                    "a department's cases in a window",
                    {
                        _ = try $0.cases(
                            CaseQuery(department: "D2", receivedFrom: from, receivedBefore: before))
                    }
                ),
                (
                    "an item's cases in a window",
                    {
                        _ = try $0.cases(
                            CaseQuery(itemCode: "I3", receivedFrom: from, receivedBefore: before))
                    }
                ),
                (
                    "cases in a window",
                    { _ = try $0.cases(CaseQuery(receivedFrom: from, receivedBefore: before)) }
                ),
                (
                    "a department's alerts in a window",
                    {
                        _ = try $0.alerts(
                            AlertFilter(departments: ["D3"]), raisedFrom: from,
                            raisedBefore: before)
                    }
                ),
                (
                    "alerts due in a window",
                    {
                        _ = try $0.alerts(
                            AlertFilter(departments: ["D3"]), dueFrom: from, dueBefore: before)
                        _ = try $0.alerts(AlertFilter(), dueFrom: from, dueBefore: before)
                    }
                ),
                (
                    "a case's alerts",
                    { _ = try $0.alerts(AlertFilter(departments: ["D3"], caseID: "C7")) }
                ),
                (
                    "the log of a department",
                    { _ = try $0.alertLog(after: 300, filter: AlertFilter(departments: ["D0"])) }
                ),
                ("the log after a position", { _ = try $0.alertLog(after: 390) }),
                (
                    "an actor's audit entries",
                    { _ = try $0.auditRecords(actor: "actor1", from: from, before: before) }
                ),
                (
                    "audit entries in a window",
                    { _ = try $0.auditRecords(from: from, before: before) }
                ),
                (
                    "counters",
                    { _ = try $0.counters(department: "D1", month: Month(year: 2026, month: 3)) }
                ),
            ]
            for (name, query) in checks {
                let steps = try await store.read { transaction in
                    _ = transaction.connection.takeFullScanSteps()
                    try query(transaction)
                    return transaction.connection.takeFullScanSteps()
                }
                #expect(steps == 0, "\(name) scanned \(steps) rows")
            }

            // The start-up load walks the partial index of open cases: 320 of
            // the 400 cases are open, and no closed one is visited.
            let (open, steps) = try await store.read { transaction in
                _ = transaction.connection.takeFullScanSteps()
                var open = 0
                try transaction.forEachOpenCase { _ in open += 1 }
                return (open, transaction.connection.takeFullScanSteps())
            }
            #expect(open == 320)
            #expect(steps <= open)
        }
    }

    @Test("standing alerts are counted from their own index, history left unread")
    func standingAlertsAreCountedFromTheirIndex() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<300 {
                    // Statuses cycle through active (1), notice issued (2),
                    // closed (4), withdrawn (6) and revoked (7); levels through
                    // warning, yellow and red; one alert in ten is operational.
                    let status = [1, 2, 4, 6, 7][index % 5]
                    try transaction.putAlert(
                        sampleAlert(
                            id: "A\(index)", department: "D\(index % 2)", caseID: "C\(index)",
                            level: 1 + index % 3, rule: index % 10 == 0 ? 15 : 1,
                            status: status))
                }
            }
            let (counts, steps) = try await store.read { transaction in
                _ = transaction.connection.takeFullScanSteps()
                let counts = try transaction.standingAlertCounts(excludingRules: [15, 16])
                return (counts, transaction.connection.takeFullScanSteps())
            }
            var expected: [String: [Int: Int64]] = [:]
            for index in 0..<300 where index % 5 < 2 && index % 10 != 0 {
                expected["D\(index % 2)", default: [:]][1 + index % 3, default: 0] += 1
            }
            #expect(counts == expected)
            // 120 alerts stand; the 180 settled ones are never visited.
            #expect(steps <= 120, "visited \(steps) index entries")
        }
    }

    @Test("a case's alerts are read through the case's index, not the department's")
    func caseAlertsUseTheirOwnIndex() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            // The shape of the query `alerts(_:)` issues for one case.
            let plan = try await store.read { transaction in
                try transaction.connection.query(
                    """
                    EXPLAIN QUERY PLAN SELECT alert_id FROM alert
                    WHERE department = ? AND case_id = ? ORDER BY raised_at, alert_id
                    """, ["D1", "C1"]
                ) { $0.text(3) }
            }
            #expect(plan.joined().contains("alert_by_case"), "\(plan)")
        }
    }
}
