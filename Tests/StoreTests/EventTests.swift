import Foundation
import Testing

@testable import Store

@Suite("Events are idempotent and keep their history")
struct EventTests {
    @Test("a resend is a duplicate, a correction is kept beside the original")
    func duplicatesAndRevisions() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let original = sampleEvent(eventID: "E1", payload: [1])
            let first = try await store.write { try $0.insertEvent(original) }
            guard case .accepted = first else {
                Issue.record("first insert answered \(first)")
                return
            }

            let resend = try await store.write { try $0.insertEvent(original) }
            #expect(resend == .duplicate(sequence: first.sequence))

            let corrected = sampleEvent(eventID: "E1", revision: 2, payload: [2])
            let second = try await store.write { try $0.insertEvent(corrected) }
            guard case .accepted(let correctedSequence) = second else {
                Issue.record("correction answered \(second)")
                return
            }
            #expect(correctedSequence > first.sequence)

            // Revision 1 arrives late, after revision 2: kept, not current.
            let late = sampleEvent(eventID: "E1", revision: 1, payload: [3])
            let third = try await store.write { try $0.insertEvent(late) }
            guard case .superseded(_, let current) = third else {
                Issue.record("late revision answered \(third)")
                return
            }
            #expect(current == 2)
            let lateAgain = try await store.write { try $0.insertEvent(late) }
            #expect(lateAgain == .duplicate(sequence: third.sequence))

            let other = sampleEvent(eventID: "E2", payload: [4])
            _ = try await store.write { try $0.insertEvent(other) }

            let events = try await store.read {
                try $0.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(events.map(\.event.eventID) == ["E1", "E1", "E1", "E2"])
            #expect(events.map(\.event.revision) == [0, 2, 1, 0])
            #expect(events.map(\.isCurrent) == [false, true, false, true])
            #expect(events.map(\.event.payload) == [[1], [2], [3], [4]])
            #expect(events[0].event == original)

            let revisions = try await store.read {
                try $0.eventRevisions(department: "330101-LAND", eventID: "E1")
            }
            #expect(revisions.map(\.event.revision) == [0, 1, 2])
            #expect(revisions.map(\.isCurrent) == [false, false, true])
            #expect(try await store.read { try $0.eventCount() } == 4)
        }
    }

    @Test("the same event id in two departments is two events")
    func eventIdentityIncludesDepartment() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let land = try await store.write {
                try $0.insertEvent(sampleEvent(department: "LAND", eventID: "E1"))
            }
            let tax = try await store.write {
                try $0.insertEvent(sampleEvent(department: "TAX", eventID: "E1"))
            }
            guard case .accepted = land, case .accepted = tax else {
                Issue.record("answers \(land), \(tax)")
                return
            }
            #expect(land.sequence != tax.sequence)
        }
    }

    @Test("a duplicate inside one batch is recognised against the uncommitted first copy")
    func duplicateWithinOneBatch() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            let event = sampleEvent(eventID: "same")
            let answers = try await withThrowingTaskGroup(of: EventInsertion.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await store.write { try $0.insertEvent(event) } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let accepted = answers.filter {
                if case .accepted = $0 { return true } else { return false }
            }
            #expect(accepted.count == 1)
            #expect(Set(answers.map(\.sequence)).count == 1)
            #expect(try await store.read { try $0.eventCount() } == 1)
        }
    }

    @Test("a case's events are found before and after it has a row, and in its batch")
    func eventListFollowsTheCase() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            // Two events before the case has a row.
            for eventID in ["E1", "E2"] {
                _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: eventID)) }
            }
            // The row arrives with a third event; a fourth comes later. Each
            // write reads the list it has just extended.
            let seenInBatch = try await store.write { transaction in
                _ = try transaction.insertEvent(sampleEvent(eventID: "E3"))
                try transaction.upsertCase(sampleCase(caseID: "2026-0001"))
                return try transaction.events(department: "330101-LAND", caseID: "2026-0001")
            }
            #expect(seenInBatch.map(\.event.eventID) == ["E1", "E2", "E3"])
            _ = try await store.write { try $0.insertEvent(sampleEvent(eventID: "E4")) }

            let (events, unlisted, onRow) = try await store.read { transaction in
                (
                    try transaction.events(department: "330101-LAND", caseID: "2026-0001"),
                    try transaction.connection.scalar("SELECT count(*) FROM case_event_list"),
                    try transaction.connection.queryOne(
                        "SELECT event_seqs FROM case_record WHERE case_id = '2026-0001'"
                    ) { $0.text(0) }
                )
            }
            #expect(events.map(\.event.eventID) == ["E1", "E2", "E3", "E4"])
            // Once the case has a row, the whole list is on it.
            #expect(unlisted == 0)
            #expect(onRow.map { EventList(text: $0).sequences } == [1, 2, 3, 4])
        }
    }

    @Test("a write that fails takes its events out of the case's list")
    func failedWriteLeavesTheListAsItWas() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            _ = try await store.write { transaction in
                _ = try transaction.insertEvent(sampleEvent(eventID: "E1"))
                try transaction.upsertCase(sampleCase(caseID: "2026-0001"))
            }
            // One batch: the failing write sits between two that succeed. The
            // last one is another case's, and takes the sequence the failed
            // event had: a list still naming it would show a stranger's event.
            let gate = WriterGate()
            let held = try await gate.close(store)
            let first = try await store.submit {
                _ = try $0.insertEvent(sampleEvent(eventID: "E2"))
            }
            let failing = try await store.submit { transaction in
                _ = try transaction.insertEvent(sampleEvent(eventID: "E3"))
                try transaction.upsertCase(sampleCase(caseID: "2026-0001", state: 9))
                throw Refused(index: 3)
            }
            let last = try await store.submit {
                _ = try $0.insertEvent(sampleEvent(caseID: "2026-0002", eventID: "E4"))
            }
            gate.open()
            try await held.value
            try await first.value
            await #expect(throws: Refused(index: 3)) { try await failing.value }
            try await last.value

            let (events, listed, state) = try await store.read { transaction in
                (
                    try transaction.events(department: "330101-LAND", caseID: "2026-0001"),
                    try transaction.storedEventList(
                        department: "330101-LAND", caseID: "2026-0001"
                    ).list.sequences,
                    try transaction.caseRecord(department: "330101-LAND", caseID: "2026-0001")?
                        .state
                )
            }
            #expect(events.map(\.event.eventID) == ["E1", "E2"])
            #expect(listed == [1, 2])
            #expect(state == 1)
        }
    }

    @Test("who reported an event is kept with it")
    func reporterIsKept() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            var event = sampleEvent(eventID: "E1")
            event.reportedBy = "tok_land_system"
            _ = try await store.write { [event] in try $0.insertEvent(event) }
            let stored = try await store.read {
                try $0.events(department: event.department, caseID: event.caseID)
            }
            #expect(stored.map(\.event.reportedBy) == ["tok_land_system"])
            #expect(stored.first?.event == event)
        }
    }
}
