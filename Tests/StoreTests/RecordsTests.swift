import Foundation
import Testing

@testable import Store

@Suite("Counters, evaluations, tokens, catalogue, calendars, complaints, audit, forwarding")
struct RecordsTests {
    @Test("counters add up deltas per department and month")
    func counters() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let march = Month(year: 2026, month: 3)
            let april = Month(year: 2026, month: 4)
            for _ in 0..<5 {
                try await store.write {
                    try $0.addCounters(
                        department: "LAND", month: march,
                        deltas: [.received: 1, .eventsReported: 3, .yellowCards: 1])
                }
            }
            try await store.write { transaction in
                try transaction.addCounters(
                    department: "LAND", month: march, deltas: [.yellowCards: -1])
                try transaction.addCounters(
                    department: "LAND", month: april, deltas: [.received: 7])
                try transaction.addCounters(department: "TAX", month: march, deltas: [.received: 2])
            }
            let landMarch = try await store.read {
                try $0.counters(department: "LAND", month: march)
            }
            #expect(landMarch == [.received: 5, .eventsReported: 15, .yellowCards: 4])
            let range = try await store.read {
                try $0.counters(department: "LAND", from: march, through: april)
            }
            #expect(range[april] == [.received: 7])
            #expect(range.count == 2)

            // Inside a write, pending deltas are visible; a failed write's are
            // dropped with the rest of its writes.
            struct Abandoned: Error {}
            await #expect(throws: Abandoned.self) {
                try await store.write { transaction in
                    try transaction.addCounters(
                        department: "LAND", month: march, deltas: [.received: 100])
                    let seen = try transaction.counters(department: "LAND", month: march)
                    #expect(seen[.received] == 105)
                    throw Abandoned()
                }
            }
            let seenInWrite = try await store.write { transaction in
                try transaction.addCounters(
                    department: "LAND", month: march, deltas: [.received: 1])
                return try transaction.counters(department: "LAND", from: march, through: april)
            }
            #expect(seenInWrite[march]?[.received] == 6)
            let after = try await store.read { try $0.counters(department: "LAND", month: march) }
            #expect(after[.received] == 6)
        }
    }

    @Test("a republished evaluation is a new revision; a published row cannot be changed")
    func frozenEvaluations() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            func publish(_ payload: [UInt8]) async throws -> EvaluationRecord {
                try await store.write {
                    try $0.publishEvaluation(
                        EvaluationRecord(
                            department: "LAND", period: "2026-03", publishedAt: march2,
                            publishedBy: "Supervisor Li", schemeVersion: 1, payload: payload))
                }
            }
            #expect(try await publish([90]).revision == 1)
            #expect(try await publish([85]).revision == 2)
            let revisions = try await store.read {
                try $0.evaluationRevisions(department: "LAND", period: "2026-03")
            }
            #expect(revisions.map(\.payload) == [[90], [85]])
            #expect(try await store.read {
                try $0.evaluation(department: "LAND", period: "2026-03")
            }?.revision == 2)
            #expect(try await store.read { try $0.evaluations(period: "2026-03") }.count == 1)

            do {
                try await store.write {
                    try $0.connection.run("UPDATE evaluation SET payload = x'00'")
                }
                Issue.record("a published evaluation was rewritten")
            } catch let error as StoreError {
                guard case .constraint = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(error.description.contains("frozen"))
            }
            await #expect(throws: StoreError.self) {
                try await store.write { try $0.connection.run("DELETE FROM evaluation") }
            }
            let after = try await store.read {
                try $0.evaluationRevisions(department: "LAND", period: "2026-03")
            }
            #expect(after.map(\.payload) == [[90], [85]])
        }
    }

    @Test("a token is found by the hash of its secret and revoked once")
    func tokens() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let hash: [UInt8] = Array(repeating: 0xAB, count: 32)
            let token = TokenRecord(
                tokenID: "T1", secretHash: hash, name: "Land bureau system", role: 1,
                department: "LAND", createdAt: march2, createdBy: "admin")
            try await store.write { try $0.insertToken(token) }
            #expect(try await store.read { try $0.token(secretHash: hash) } == token)
            #expect(try await store.read {
                try $0.token(secretHash: Array(repeating: 0xAC, count: 32))
            } == nil)

            // A second token with the same hash would make lookups ambiguous.
            do {
                try await store.write {
                    var clash = token
                    clash.tokenID = "T2"
                    try $0.insertToken(clash)
                }
                Issue.record("a duplicate hash was stored")
            } catch let error as StoreError {
                guard case .constraint(let column, _) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(column.contains("secret_hash"))
            }

            let revoked = try await store.write { try $0.revokeToken(id: "T1", at: march2 + 5) }
            #expect(revoked.revokedAt == march2 + 5)
            let again = try await store.write { try $0.revokeToken(id: "T1", at: march2 + 9) }
            #expect(again.revokedAt == march2 + 5)
            await #expect(throws: StoreError.notFound(what: "token T9")) {
                try await store.write { try $0.revokeToken(id: "T9", at: march2) }
            }
        }
    }

    @Test("catalogue, calendar and scoring versions only go forward and keep history")
    func versionedSettings() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let catalogue = CatalogueVersionRecord(
                version: 3, recordedAt: march2, recordedBy: "admin", note: "first",
                departments: [1], items: [2], ruleSettings: [3])
            try await store.write { try $0.appendCatalogueVersion(catalogue) }
            await #expect(throws: StoreError.self) {
                try await store.write { try $0.appendCatalogueVersion(catalogue) }
            }
            #expect(try await store.read { try $0.latestCatalogueVersion() } == catalogue)
            #expect(try await store.read { try $0.catalogueVersion(2) } == nil)

            for payload: [UInt8] in [[1], [2]] {
                _ = try await store.write {
                    try $0.putCalendar(
                        CalendarRecord(
                            region: "330101", year: 2026, recordedAt: march2, recordedBy: "admin",
                            payload: payload))
                }
            }
            let calendar = try await store.read { try $0.calendar(region: "330101", year: 2026) }
            #expect(calendar?.version == 2)
            #expect(calendar?.payload == [2])
            #expect(try await store.read { try $0.calendar(region: "330101", year: 2027) } == nil)
            #expect(try await store.read { try $0.calendars() }.map(\.version) == [2])

            let scheme = try await store.write {
                try $0.appendScoringScheme(
                    ScoringSchemeRecord(
                        name: "municipal default", recordedAt: march2, recordedBy: "admin",
                        payload: [7]))
            }
            #expect(scheme.version == 1)
            #expect(try await store.read { try $0.scoringSchemes() } == [scheme])
        }
    }

    @Test("complaints by department and state, page by page")
    func complaints() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<9 {
                    try transaction.putComplaint(
                        ComplaintRecord(
                            complaintID: "Q\(index)", department: index < 6 ? "LAND" : "TAX",
                            state: index % 2, receivedAt: march2 + Int64(index),
                            updatedAt: march2, payload: [UInt8(index)]))
                }
            }
            var ids: [String] = []
            var token: String?
            repeat {
                let page = try await store.read {
                    try $0.complaints(
                        department: "LAND", states: [0], pageSize: 2, pageToken: token)
                }
                ids += page.items.map(\.complaintID)
                token = page.nextPageToken
            } while token != nil
            #expect(ids == ["Q0", "Q2", "Q4"])
            #expect(try await store.read { try $0.complaint(id: "Q7") }?.department == "TAX")
        }
    }

    @Test("the audit record by actor and time, page by page")
    func auditRecord() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<20 {
                    try transaction.appendAudit(
                        AuditRecord(
                            at: march2 + Int64(index) * 1000,
                            actor: index % 2 == 0 ? "Supervisor Li" : "admin", role: 2,
                            action: "/monitor.v1.AlertService/IssueNotice",
                            target: "alert A\(index)", outcome: "ok"))
                }
            }
            var targets: [String] = []
            var token: String?
            repeat {
                let page = try await store.read {
                    try $0.auditRecords(
                        actor: "Supervisor Li", from: march2 + 4000, before: march2 + 15_000,
                        pageSize: 2, pageToken: token)
                }
                targets += page.items.map(\.target)
                token = page.nextPageToken
            } while token != nil
            // Newest first, as the audit record is read.
            #expect(targets == [14, 12, 10, 8, 6, 4].map { "alert A\($0)" })
        }
    }

    @Test("the forwarding log is gapless and survives acknowledgement")
    func forwarding() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let sequences = try await store.write { transaction in
                try (0..<5).map { index in
                    try transaction.appendOutbound(
                        kind: 1, recordedAt: march2, payload: [UInt8(index)])
                }
            }
            #expect(sequences == [1, 2, 3, 4, 5])
            try await store.write { try $0.acknowledgeOutbound(through: 3) }
            let pending = try await store.read { try $0.outboundRecords(after: 3) }
            #expect(pending.map(\.sequence) == [4, 5])
            #expect(try await store.read { try $0.outboundAcknowledged() } == 3)
            await #expect(throws: StoreError.self) {
                try await store.write { try $0.acknowledgeOutbound(through: 9) }
            }
            try await store.write { try $0.acknowledgeOutbound(through: 5) }
            let next = try await store.write {
                try $0.appendOutbound(kind: 1, recordedAt: march2, payload: [])
            }
            #expect(next == 6)

            try await store.write {
                try $0.setInboundPosition(sender: "330102", position: 40, at: march2)
            }
            await #expect(throws: StoreError.self) {
                try await store.write {
                    try $0.setInboundPosition(sender: "330102", position: 39, at: march2)
                }
            }
            #expect(try await store.read { try $0.inboundPosition(sender: "330102") } == 40)
            #expect(try await store.read { try $0.inboundPosition(sender: "330103") } == 0)
        }
    }
}
