import Engine
import Messages
import Services
import Store
import Testing

@testable import Server

/// The monthly counters evaluation reads: kept up to date as events arrive,
/// corrected when a late event changes a case's outcome, and still right
/// after a restart, when the server no longer remembers what each case had
/// counted.
///
/// Health item 330899-WJJ-002 promises 5 working days; received on Monday
/// 2 March 2026, the promised deadline is 24:00 of Monday 9 March.
@Suite("Monthly counters", .timeLimit(.minutes(2)))
struct MonthlyCounterTests {
    let early = CaseScript(department: Demo.health, caseID: "WJJ-COUNT-1")
    let late = CaseScript(department: Demo.health, caseID: "WJJ-COUNT-2")
    static let march = Month(year: 2026, month: 3)

    func counters(_ server: TestServer) async throws -> [CounterName: Int64] {
        try await server.server.runtime.read {
            try $0.counters(department: Demo.health, month: Self.march)
        }
    }

    @Test func countersFollowEventsLateCorrectionsAndRestarts() async throws {
        try await withTestServer(at: local("2026-03-13T12:00")) { server in
            let department = try await server.department(Demo.health)
            let item = Demo.healthItem
            let acks = try await server.report(
                [
                    early.received("e1", at: local("2026-03-02T09:00"), item: item),
                    early.accepted("e2", at: local("2026-03-02T10:00")),
                    early.concluded("e3", at: local("2026-03-03T15:00")),
                    late.received("l1", at: local("2026-03-02T09:00"), item: item),
                    late.accepted("l2", at: local("2026-03-02T10:00")),
                    late.concluded("l3", at: local("2026-03-12T15:00")),
                ], as: department)
            #expect(acks.allSatisfy { $0.status == .accepted })

            var counts = try await counters(server)
            #expect(counts[.received] == 2)
            #expect(counts[.accepted] == 2)
            #expect(counts[.concluded] == 2)
            #expect(counts[.concludedOnTime] == 1)
            #expect(counts[.concludedEarly] == 1)
            #expect(counts[.overdue] == 1)

            // Reported late: a testing procedure that paused the second case
            // for a week, so it was concluded on time after all.
            var start = SpecialProcedureStarted()
            start.procedureID = "P1"
            start.type = .testing
            start.grantedDays = 10
            start.reason = "samples sent to the laboratory"
            var end = SpecialProcedureEnded()
            end.procedureID = "P1"
            end.result = "passed"
            let pause = try await server.report(
                [
                    late.event(
                        "l4", at: local("2026-03-03T09:00"), .specialProcedureStarted(start)),
                    late.event("l5", at: local("2026-03-10T17:00"), .specialProcedureEnded(end)),
                ], as: department)
            #expect(pause.allSatisfy { $0.status == .accepted })
            counts = try await counters(server)
            #expect(counts[.concluded] == 2)
            #expect(counts[.concludedOnTime] == 2)
            #expect(counts[.overdue] ?? 0 == 0)

            // After a restart the first case is delivered: its row is read
            // back, and nothing is counted twice.
            let restarted = try await server.restart()
            do {
                let desk = try await restarted.department(Demo.health)
                var delivery = CertificateDelivered()
                delivery.method = .inPerson
                delivery.recipient = "张三丰"
                let delivered = try await restarted.report(
                    [early.event("e4", at: local("2026-03-13T13:00"), .delivered(delivery))],
                    as: desk)
                #expect(delivered.map(\.status) == [.accepted])
                let after = try await counters(restarted)
                #expect(after[.received] == 2)
                #expect(after[.concluded] == 2)
                #expect(after[.concludedOnTime] == 2)
                #expect(after[.concludedEarly] ?? 0 >= 1)
                #expect(after[.overdue] ?? 0 == 0)
            } catch {
                await restarted.stop()
                throw error
            }
            await restarted.stop()
        }
    }

    /// An event counts as reported late when the delay its case's rules allow
    /// has passed, as the engine judges it: the centre's setting, not a fixed
    /// day, and a revision of a counted event is not counted again.
    @Test func lateEventsAreCountedByTheAllowedDelayOnce() async throws {
        try await withTestServer(at: local("2026-03-13T12:00")) { server in
            let department = try await server.department(Demo.health)
            let first = CaseScript(department: Demo.health, caseID: "WJJ-LATE-1")
            let acks = try await server.report(
                [
                    first.received("r1", at: local("2026-03-11T09:00"), item: Demo.healthItem),
                    first.accepted("r2", at: local("2026-03-12T15:00")),
                ], as: department)
            #expect(acks.allSatisfy { $0.status == .accepted })
            var counts = try await counters(server)
            #expect(counts[.eventsReported] == 2)
            // Received 51 hours before it was reported; accepted 21 hours before.
            #expect(counts[.eventsReportedLate] == 1)

            var revised = first.accepted("r2", at: local("2026-03-12T14:00"))
            revised.revision = 2
            #expect(try await server.report([revised], as: department).map(\.status)
                == [.accepted])
            counts = try await counters(server)
            #expect(counts[.eventsReported] == 3)
            #expect(counts[.eventsReportedLate] == 1)

            // The centre allows three days from now on: an event two days
            // late is on time.
            var settings = PutRuleSettingsRequest()
            settings.settings = RuleSettings()
            settings.settings?.lateReportingHours = 72
            _ = try await server.admin.unary(CatalogueService.putRuleSettings, settings)
            let second = CaseScript(department: Demo.health, caseID: "WJJ-LATE-2")
            _ = try await server.report(
                [second.received("s1", at: local("2026-03-11T09:00"), item: Demo.healthItem)],
                as: department)
            counts = try await counters(server)
            #expect(counts[.eventsReported] == 4)
            #expect(counts[.eventsReportedLate] == 1)
        }
    }

    @Test func aContributionReadsBackWhatItWroteAndNamesItsDifferences() {
        let march = Month(year: 2026, month: 3)
        let april = Month(year: 2026, month: 4)
        var old = Contribution()
        old.add(.received, in: march)
        old.add(.accepted, in: march)
        old.add(.overdue, in: april)
        old.add(.concluded, in: april)
        // The stored form: one "month/counter=count" line each, in order.
        #expect(String(decoding: old.encoded, as: UTF8.self) == """
            2026-03/accepted=1
            2026-03/received=1
            2026-04/concluded=1
            2026-04/overdue=1
            """)
        #expect(Contribution(decoding: old.encoded) == old)
        #expect(Contribution(decoding: Array("2026-3x/received=1\nnonsense".utf8)).entries
            .isEmpty)

        var new = Contribution()
        new.add(.received, in: march)
        new.add(.accepted, in: march)
        new.add(.concluded, in: april)
        new.add(.concludedOnTime, in: april)
        let changes = new.differences(from: old).map { "\($0.0)/\($0.1.rawValue)=\($0.2)" }
        #expect(changes.sorted() == ["2026-04/concluded_on_time=1", "2026-04/overdue=-1"])
    }
}
