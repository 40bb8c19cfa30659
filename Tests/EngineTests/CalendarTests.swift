import Engine
import Testing

@Suite("Working-day calendar")
struct CalendarTests {
    /// Every 2026 holiday and make-up day from the State Council's notice,
    /// with the days around them.
    @Test(arguments: [
        // New Year: Jan 1-3 off, Sunday Jan 4 worked.
        ("2025-12-31", true), ("2026-01-01", false), ("2026-01-02", false),
        ("2026-01-03", false), ("2026-01-04", true), ("2026-01-05", true),
        // Spring Festival: Feb 15-23 off, Saturdays Feb 14 and Feb 28 worked.
        ("2026-02-13", true), ("2026-02-14", true), ("2026-02-15", false),
        ("2026-02-16", false), ("2026-02-17", false), ("2026-02-18", false),
        ("2026-02-19", false), ("2026-02-20", false), ("2026-02-21", false),
        ("2026-02-22", false), ("2026-02-23", false), ("2026-02-24", true),
        ("2026-02-27", true), ("2026-02-28", true), ("2026-03-01", false),
        ("2026-03-02", true),
        // Qingming: Apr 4-6 off.
        ("2026-04-03", true), ("2026-04-04", false), ("2026-04-05", false),
        ("2026-04-06", false), ("2026-04-07", true),
        // Labour Day: May 1-5 off, Saturday May 9 worked.
        ("2026-04-30", true), ("2026-05-01", false), ("2026-05-04", false),
        ("2026-05-05", false), ("2026-05-06", true), ("2026-05-09", true),
        ("2026-05-10", false),
        // Dragon Boat: Jun 19-21 off.
        ("2026-06-18", true), ("2026-06-19", false), ("2026-06-20", false),
        ("2026-06-21", false), ("2026-06-22", true),
        // Mid-Autumn: Sep 25-27 off, Sunday Sep 20 worked.
        ("2026-09-19", false), ("2026-09-20", true), ("2026-09-24", true),
        ("2026-09-25", false), ("2026-09-26", false), ("2026-09-27", false),
        ("2026-09-28", true),
        // National Day: Oct 1-7 off, Saturday Oct 10 worked.
        ("2026-09-30", true), ("2026-10-01", false), ("2026-10-05", false),
        ("2026-10-07", false), ("2026-10-08", true), ("2026-10-09", true),
        ("2026-10-10", true), ("2026-10-11", false), ("2026-10-12", true),
    ])
    func workingDaysOf2026(date: String, working: Bool) {
        let result = official.isWorkingDay(day(date))
        #expect(result.value == working)
        #expect(!result.isProvisional)
    }

    @Test(arguments: [
        ("2026-09-30", 1, "2026-10-08"), ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"), ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"), ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-27", 1, "2026-02-28"), ("2026-02-27", 2, "2026-03-02"),
        ("2025-12-31", 1, "2026-01-04"), ("2025-12-31", 2, "2026-01-05"),
        ("2026-04-03", 1, "2026-04-07"), ("2026-04-30", 1, "2026-05-06"),
        ("2026-04-30", 4, "2026-05-09"), ("2026-04-30", 5, "2026-05-11"),
        ("2026-06-18", 1, "2026-06-22"), ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-18", 6, "2026-09-28"), ("2026-10-01", 0, "2026-10-01"),
        // A start on a holiday counts from the next working day.
        ("2026-10-03", 1, "2026-10-08"),
        // 20 working days from a Monday before the Mid-Autumn and National Day break.
        ("2026-09-21", 10, "2026-10-12"), ("2026-09-21", 20, "2026-10-26"),
        // 2020: the Spring Festival extended to Feb 2, and Feb 1 no longer worked.
        ("2020-01-23", 1, "2020-02-03"), ("2020-01-18", 1, "2020-01-19"),
    ])
    func nthWorkingDayAfter(start: String, n: Int, expected: String) {
        let result = official.workingDay(n, after: day(start))
        #expect(result.value == day(expected))
        #expect(!result.isProvisional)
    }

    @Test func countsWorkingDaysBetween() {
        #expect(
            official.workingDays(after: day("2026-09-30"), through: day("2026-10-12")).value == 4)
        #expect(
            official.workingDays(after: day("2026-02-13"), through: day("2026-02-28")).value == 6)
        #expect(
            official.workingDays(after: day("2026-10-12"), through: day("2026-09-30")).value == 0)
        // 2026 has 365 days, 104 weekend days, 6 make-up days and 19 holidays on weekdays.
        #expect(
            official.workingDays(after: day("2025-12-31"), through: day("2026-12-31")).value
                == 365 - 104 + 6 - 19)
    }

    @Test func aYearWithoutDataIsCountedMondayToFridayAndMarkedProvisional() {
        let result = official.workingDay(2, after: day("2026-12-30"))
        // Thursday Dec 31, then Friday Jan 1 2027 counted as a plain weekday.
        #expect(result.value == day("2027-01-01"))
        #expect(result.missingYears == [2027])
        #expect(official.isWorkingDay(day("2019-10-01")).missingYears == [2019])
        #expect(official.isWorkingDay(day("2019-10-01")).value == true)
        #expect(!official.workingDay(1, after: day("2026-12-30")).isProvisional)
    }

    /// The prefix sums agree with counting day by day, for random spans over
    /// data years, missing years and the seams between them.
    @Test func prefixSumsAgreeWithCountingDayByDay() {
        var random = SeededGenerator(seed: 7)
        let first = day("2018-06-01").daysSinceEpoch
        for _ in 0..<2000 {
            let start = LocalDate(
                daysSinceEpoch: first + Int32.random(in: 0..<3800, using: &random))
            let n = Int.random(in: 0..<80, using: &random)
            var expected = start
            var counted = 0
            while counted < n {
                expected = expected.adding(days: 1)
                if isWorkingDayByHand(expected) { counted += 1 }
            }
            #expect(official.workingDay(n, after: start).value == expected)
            #expect(official.workingDays(after: start, through: expected).value == n)
        }
    }

    private func isWorkingDayByHand(_ date: LocalDate) -> Bool {
        guard let year = official.years[.national]?[date.year] else {
            return date.weekday.isMondayToFriday
        }
        if year.makeUpWorkingDays.contains(date) { return true }
        if year.holidays.contains(date) { return false }
        return date.weekday != .saturday && date.weekday != .sunday
    }

    @Test func regionsFallBackToCityProvinceAndNationYearByYear() throws {
        let prefecture = RegionCode("652300")!
        let local = CalendarYear(
            year: 2026, holidays: [day("2026-03-20")], makeUpWorkingDays: [], source: "local")
        var regions: [RegionCode: [CalendarYear]] = [prefecture: [local]]
        regions[.national] = official.years[.national].map { Array($0.values) }
        let calendar = try WorkingCalendar(version: 2, regions: regions)

        let county = RegionCode("652301")!
        #expect(calendar.isWorkingDay(day("2026-03-20"), in: county).value == false)
        #expect(calendar.isWorkingDay(day("2026-03-20"), in: .national).value == true)
        // The prefecture's 2026 replaces the national year entirely.
        #expect(calendar.isWorkingDay(day("2026-10-01"), in: county).value == true)
        // 2025 still comes from the nation.
        #expect(calendar.isWorkingDay(day("2025-10-01"), in: county).value == false)
        #expect(calendar.changedYears(comparedTo: official) == [prefecture: [2026]])
    }

    @Test func jsonRoundTrips() throws {
        let again = try WorkingCalendar(json: official.jsonBytes())
        #expect(again.years == official.years)
        #expect(again.version == official.version)
        #expect(again.changedYears(comparedTo: official).isEmpty)
    }

    @Test(arguments: [
        (
            "{\"version\":1,\"regions\":[{\"region\":\"12\",\"years\":[]}]}",
            CalendarError.invalidRegionCode("12")
        ),
        (
            "{\"version\":1,\"regions\":[{\"region\":\"000000\",\"years\":[{\"year\":2026,"
                + "\"holidays\":[\"2026-02-30\"],\"makeUpWorkingDays\":[]}]}]}",
            CalendarError.invalidDate(
                field: "region 000000 year 2026 holidays", value: "2026-02-30")
        ),
        (
            "{\"version\":1,\"regions\":[{\"region\":\"000000\",\"years\":[{\"year\":2026,"
                + "\"holidays\":[\"2027-01-01\"],\"makeUpWorkingDays\":[]}]}]}",
            CalendarError.dateOutsideYear(year: 2026, date: LocalDate(iso8601: "2027-01-01")!)
        ),
        (
            "{\"version\":1,\"regions\":[{\"region\":\"000000\",\"years\":[{\"year\":2026,"
                + "\"holidays\":[\"2026-01-04\"],\"makeUpWorkingDays\":[\"2026-01-04\"]}]}]}",
            CalendarError.holidayAndWorkingDay(LocalDate(iso8601: "2026-01-04")!)
        ),
    ])
    func refusesBadDataNamingWhatIsWrong(json: String, expected: CalendarError) {
        #expect(throws: expected) { try WorkingCalendar(json: Array(json.utf8)) }
    }
}
