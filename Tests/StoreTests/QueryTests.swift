import Foundation
import Testing

@testable import Store

@Suite("Cases and alerts: queries and keyset pagination")
struct QueryTests {
    static let hour = Int64(3_600_000)

    /// 60 cases over two departments and two items, one an hour; every third
    /// one concluded.
    func fillCases(_ store: Store) async throws {
        try await store.write { transaction in
            for index in 0..<60 {
                let record = sampleCase(
                    department: index % 2 == 0 ? "LAND" : "TAX",
                    caseID: String(format: "C%03d", index),
                    itemCode: index % 4 < 2 ? "ITEM-A" : "ITEM-B",
                    state: index % 3 == 0 ? 5 : 3, isOpen: index % 3 != 0,
                    receivedAt: march2 + Int64(index) * Self.hour)
                try transaction.upsertCase(record)
            }
        }
    }

    /// Reads every page of a case query.
    func allPages(_ store: Store, _ query: CaseQuery, pageSize: Int) async throws
        -> (ids: [String], pages: Int)
    {
        var ids: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.read {
                try $0.cases(query, pageSize: pageSize, pageToken: token)
            }
            ids += page.items.map(\.caseID)
            token = page.nextPageToken
            pages += 1
        } while token != nil
        return (ids, pages)
    }

    @Test("a case by id, and an upsert replaces every column")
    func caseByID() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            var record = sampleCase(caseID: "C1")
            try await store.write { [record] in try $0.upsertCase(record) }
            record.state = 5
            record.isOpen = false
            record.concludedAt = march2 + 99
            record.alertLevel = 3
            record.derived = [9, 9]
            try await store.write { [record] in try $0.upsertCase(record) }
            let stored = try await store.read {
                try $0.caseRecord(department: record.department, caseID: "C1")
            }
            #expect(stored == record)
            let missing = try await store.read {
                try $0.caseRecord(department: record.department, caseID: "nope")
            }
            #expect(missing == nil)
        }
    }

    @Test("the start-up scan returns exactly the open cases")
    func openCases() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await fillCases(store)
            let open = try await store.read { transaction in
                var found: [CaseRecord] = []
                try transaction.forEachOpenCase { found.append($0) }
                return found
            }
            #expect(open.count == 40)
            #expect(open.allSatisfy { $0.isOpen })
        }
    }

    @Test("filters by department, item, state and received time, page by page")
    func caseListing() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await fillCases(store)

            let everything = try await allPages(store, CaseQuery(), pageSize: 7)
            #expect(everything.ids == (0..<60).map { String(format: "C%03d", $0) })
            #expect(everything.pages == 9)

            let land = try await allPages(store, CaseQuery(department: "LAND"), pageSize: 4)
            #expect(land.ids == stride(from: 0, to: 60, by: 2).map { String(format: "C%03d", $0) })

            let itemB = try await allPages(store, CaseQuery(itemCode: "ITEM-B"), pageSize: 5)
            #expect(itemB.ids.count == 30)
            #expect(itemB.ids.allSatisfy { (Int($0.dropFirst()) ?? 0) % 4 >= 2 })

            let concludedLand = try await allPages(
                store, CaseQuery(department: "LAND", states: [5]), pageSize: 3)
            #expect(concludedLand.ids == stride(from: 0, to: 60, by: 6).map {
                String(format: "C%03d", $0)
            })

            let window = try await allPages(
                store,
                CaseQuery(
                    department: "TAX", itemCode: "ITEM-A", receivedFrom: march2 + 10 * Self.hour,
                    receivedBefore: march2 + 30 * Self.hour),
                pageSize: 2)
            #expect(window.ids == ["C013", "C017", "C021", "C025", "C029"])

            let open = try await allPages(store, CaseQuery(isOpen: true), pageSize: 100)
            #expect(open.ids.count == 40)
            #expect(open.pages == 1)
        }
    }

    @Test("a token from another query or a bad page size is refused with the argument named")
    func invalidArguments() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await fillCases(store)
            try await store.write { transaction in
                for index in 0..<3 {
                    try transaction.putAlert(sampleAlert(id: "A\(index)"))
                }
            }
            let alertToken = try await store.read {
                try $0.alerts(AlertFilter(), pageSize: 1).nextPageToken
            }
            let token = try #require(alertToken)
            await #expect(throws: StoreError.self) {
                _ = try await store.read { try $0.cases(CaseQuery(), pageToken: token) }
            }
            do {
                _ = try await store.read { try $0.cases(CaseQuery(), pageToken: "garbage!") }
                Issue.record("a garbage token was accepted")
            } catch let error as StoreError {
                #expect(error.description.contains("page_token"))
            }
            do {
                _ = try await store.read { try $0.cases(CaseQuery(), pageSize: 5000) }
                Issue.record("a page size of 5000 was accepted")
            } catch let error as StoreError {
                #expect(error.description.contains("page_size"))
                #expect(error.description.contains("5000"))
            }
        }
    }

    @Test("alerts by department, level, status and time, page by page")
    func alertListing() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<50 {
                    try transaction.putAlert(
                        sampleAlert(
                            id: String(format: "A%03d", index),
                            department: index % 2 == 0 ? "LAND" : "TAX",
                            caseID: "C\(index % 5)", level: 1 + index % 3,
                            status: index % 10 == 0 ? 2 : 1,
                            raisedAt: march2 + Int64(index) * Self.hour))
                }
            }
            func collect(_ filter: AlertFilter, from: Int64? = nil, before: Int64? = nil)
                async throws -> [String]
            {
                var ids: [String] = []
                var token: String?
                repeat {
                    let page = try await store.read {
                        try $0.alerts(
                            filter, raisedFrom: from, raisedBefore: before, pageSize: 3,
                            pageToken: token)
                    }
                    ids += page.items.map(\.alertID)
                    token = page.nextPageToken
                } while token != nil
                return ids
            }
            let name = { (index: Int) in String(format: "A%03d", index) }
            #expect(try await collect(AlertFilter()).count == 50)
            #expect(
                try await collect(AlertFilter(departments: ["TAX"], levels: [2]))
                    == (0..<50).filter { $0 % 2 == 1 && $0 % 3 == 1 }.map(name))
            #expect(
                try await collect(AlertFilter(statuses: [2]))
                    == [0, 10, 20, 30, 40].map(name))
            #expect(
                try await collect(
                    AlertFilter(departments: ["LAND"]), from: march2 + 10 * Self.hour,
                    before: march2 + 20 * Self.hour) == [10, 12, 14, 16, 18].map(name))
            #expect(
                try await collect(AlertFilter(departments: ["LAND"], caseID: "C0"))
                    == [0, 10, 20, 30, 40].map(name))
            let one = try await store.read { try $0.alert(id: "A007") }
            #expect(one?.department == "TAX")
        }
    }

    @Test("alerts by when they became true, which late data puts before their raise")
    func alertsByDueInstant() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                // (id, became true, recorded), hours after 2 March 00:00.
                for (id, due, raised) in [("X", 1, 1), ("Y", 2, 30), ("Z", 25, 25)] {
                    var alert = sampleAlert(id: id, raisedAt: march2 + Int64(raised) * Self.hour)
                    alert.dueAt = march2 + Int64(due) * Self.hour
                    try transaction.putAlert(alert)
                }
            }
            let firstDay = (march2, march2 + 24 * Self.hour)
            let due = try await store.read {
                try $0.alerts(AlertFilter(), dueFrom: firstDay.0, dueBefore: firstDay.1)
            }
            // Y became true on the first day; it was recorded a day later, when
            // the data that showed it arrived.
            #expect(due.items.map(\.alertID) == ["X", "Y"])
            let raised = try await store.read {
                try $0.alerts(AlertFilter(), raisedFrom: firstDay.0, raisedBefore: firstDay.1)
            }
            #expect(raised.items.map(\.alertID) == ["X"])
        }
    }

    @Test("an alert's notice and feedback are kept, and overdue feedback is found")
    func noticesAndFeedback() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            var alert = sampleAlert(id: "A1")
            alert.notice = NoticeRecord(
                issuedAt: march2, issuedBy: "Supervisor Li", instructions: "Explain the delay",
                feedbackDueDate: "2026-03-05", feedbackDueAt: march2 + 3 * 86_400_000)
            var answered = sampleAlert(id: "A2")
            answered.notice = alert.notice
            answered.notice?.feedbackAt = march2 + 1000
            answered.notice?.explanation = "Staff shortage"
            try await store.write { [alert, answered] transaction in
                try transaction.putAlert(alert)
                try transaction.putAlert(answered)
                try transaction.putAlert(sampleAlert(id: "A3"))
            }
            let stored = try await store.read { try $0.alert(id: "A1") }
            #expect(stored == alert)
            let overdue = try await store.read {
                try $0.alertsAwaitingFeedback(dueBefore: march2 + 4 * 86_400_000)
            }
            #expect(overdue.map(\.alertID) == ["A1"])
            let notYet = try await store.read {
                try $0.alertsAwaitingFeedback(dueBefore: march2 + 86_400_000)
            }
            #expect(notYet.isEmpty)
        }
    }

    @Test("newest first walks the same pages backwards, with or without a department")
    func newestFirst() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await fillCases(store)
            for department in [nil, "LAND"] as [String?] {
                let oldest = try await allPages(
                    store, CaseQuery(department: department), pageSize: 7)
                let newest = try await allPages(
                    store, CaseQuery(department: department, newestFirst: true), pageSize: 7)
                #expect(newest.ids == Array(oldest.ids.reversed()))
                #expect(newest.ids.count == (department == nil ? 60 : 30))
            }
            // A token from one order is refused by the other.
            let token = try await store.read {
                try $0.cases(CaseQuery(), pageSize: 5).nextPageToken
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.read {
                    try $0.cases(CaseQuery(newestFirst: true), pageToken: token)
                }
            }
        }
    }

    @Test("a minimum alert level keeps full pages of matching cases")
    func minimumAlertLevel() async throws {
        let directory = TemporaryDirectory()
        try await withStore(at: directory.child("data")) { store in
            try await store.write { transaction in
                for index in 0..<40 {
                    var record = sampleCase(
                        caseID: String(format: "C%03d", index),
                        receivedAt: march2 + Int64(index) * Self.hour)
                    record.alertLevel = index % 4  // none, warning, yellow, red
                    try transaction.upsertCase(record)
                }
            }
            let page = try await store.read {
                try $0.cases(CaseQuery(minimumAlertLevel: 2), pageSize: 15)
            }
            #expect(page.items.count == 15)
            #expect(page.items.allSatisfy { $0.alertLevel >= 2 })
            let all = try await allPages(store, CaseQuery(minimumAlertLevel: 3), pageSize: 4)
            #expect(all.ids.count == 10)
        }
    }
}
