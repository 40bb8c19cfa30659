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
