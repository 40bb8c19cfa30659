import Messages
import Services
import Testing

@testable import Server
@testable import Store

/// A catalogue change is seen by the writes queued behind it before its
/// commit, so a commit that fails must take it back everywhere: from what
/// readers are shown, from the version the next change gets, and from the
/// rules the cases are judged by.
@Suite("Catalogue rollback", .timeLimit(.minutes(2)))
struct CatalogueRollbackTests {
    @Test func aChangeWhoseCommitFailsLeavesNoTrace() async throws {
        try await withTestServer(at: local("2026-03-13T12:00")) { server in
            let runtime = server.server.runtime
            let before = runtime.catalogue.current.version
            let department = try await server.department(Demo.health)

            // The writer is held while the change queues up behind it, then a
            // write whose COMMIT will be refused joins their batch: a log
            // entry for an alert that does not exist, its foreign key check
            // deferred to COMMIT.
            let hold = try await WriterHold(runtime)
            let lenient = {
                var request = PutRuleSettingsRequest()
                request.settings = RuleSettings()
                request.settings?.lateReportingHours = 72
                return request
            }()
            let admin = server.admin
            let changing = Task { try await admin.unary(CatalogueService.putRuleSettings, lenient) }
            try await Task.sleep(for: .milliseconds(500))
            let poison = try await runtime.submit { transaction in
                try transaction.connection.execute(
                    """
                    PRAGMA defer_foreign_keys = ON;
                    INSERT INTO alert_log (alert_id, kind, at, actor, note, department, case_id,
                        rule, level, status, payload)
                    VALUES ('ghost', 1, 0, 'test', '', '', '', 0, 0, 0, x'');
                    """)
            }
            try await hold.release()
            await #expect(throws: (any Error).self) { _ = try await changing.value }
            await #expect(throws: (any Error).self) { _ = try await poison.value }

            // Readers are shown the catalogue the store holds.
            let shown = try await admin.unary(
                CatalogueService.getRuleSettings, GetRuleSettingsRequest())
            #expect(shown.lateReportingHours != 72)
            #expect(runtime.catalogue.current.version == before)

            // The cases are judged by it too: received 51 hours before it is
            // reported, an event is late under the default allowance, not
            // under the refused 72 hours.
            let script = CaseScript(department: Demo.health, caseID: "WJJ-ROLLBACK-1")
            let acks = try await server.report(
                [script.received("k1", at: local("2026-03-11T09:00"), item: Demo.healthItem)],
                as: department)
            #expect(acks.map(\.status) == [.accepted])
            let counted = try await runtime.read {
                try $0.counters(department: Demo.health, month: Month(year: 2026, month: 3))
            }
            #expect(counted[.eventsReportedLate] == 1)

            // The next change takes the version the refused one did not.
            let change = try await admin.unary(CatalogueService.putRuleSettings, lenient)
            #expect(change.version == UInt64(before + 1))
            let now = try await admin.unary(
                CatalogueService.getRuleSettings, GetRuleSettingsRequest())
            #expect(now.lateReportingHours == 72)
        }
    }
}
