import Engine
import Testing

@Suite("Instants and local dates")
struct TimeTests {
    @Test(arguments: [
        ("2026-10-08T09:30:00+08:00", Int64(1_791_423_000_000)),
        ("2026-10-08T01:30:00Z", Int64(1_791_423_000_000)),
        ("2026-10-07T20:30:00-05:00", Int64(1_791_423_000_000)),
        ("2026-10-08T09:30:00.250+08:00", Int64(1_791_423_000_250)),
        ("1970-01-01T08:00:00+08:00", Int64(0)),
    ])
    func parsesInstants(text: String, millis: Int64) {
        #expect(Instant(iso8601: text)?.millisecondsSinceEpoch == millis)
    }

    @Test(arguments: [
        "2026-10-08", "2026-10-08T09:30:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-10-08T24:00:00Z", "2026-10-08T09:30:00+8:00", "2026-10-08T09:30:00.Z", "",
    ])
    func refusesMalformedInstants(text: String) {
        #expect(Instant(iso8601: text) == nil)
    }

    @Test func formatsInChinaStandardTime() {
        #expect(
            Instant(millisecondsSinceEpoch: 1_791_423_000_000).iso8601
                == "2026-10-08T09:30:00+08:00")
        #expect(
            Instant(millisecondsSinceEpoch: 1_791_423_000_250).iso8601
                == "2026-10-08T09:30:00.250+08:00")
        #expect(Instant(millisecondsSinceEpoch: -1).iso8601 == "1970-01-01T07:59:59.999+08:00")
    }

    @Test func localDateOfAnInstantUsesUTCPlus8() {
        // 16:00 UTC is midnight in Beijing: the next local date.
        #expect(Instant(iso8601: "2026-10-07T15:59:59Z")!.localDate == day("2026-10-07"))
        #expect(Instant(iso8601: "2026-10-07T16:00:00Z")!.localDate == day("2026-10-08"))
    }

    @Test func startAndEndOfADay() {
        let date = day("2026-10-08")
        #expect(date.startInstant == Instant(iso8601: "2026-10-08T00:00:00+08:00"))
        #expect(date.endInstant == Instant(iso8601: "2026-10-09T00:00:00+08:00"))
        #expect(date.endInstant.localDate == day("2026-10-09"))
        #expect(date.endInstant.adding(milliseconds: -1).localDate == date)
    }

    @Test(arguments: [
        ("1970-01-01", Weekday.thursday), ("2026-10-08", .thursday), ("2026-02-14", .saturday),
        ("2000-02-29", .tuesday), ("2026-12-31", .thursday), ("1969-12-29", .monday),
    ])
    func weekdays(date: String, weekday: Weekday) {
        #expect(day(date).weekday == weekday)
    }

    @Test func datesRoundTripOverFourCenturies() {
        var date = LocalDate(year: 1900, month: 1, day: 1)!
        let end = LocalDate(year: 2300, month: 1, day: 1)!
        var previous = date.daysSinceEpoch - 1
        while date < end {
            #expect(date.daysSinceEpoch == previous + 1)
            let (year, month, dayOfMonth) = date.components
            #expect(LocalDate(year: year, month: month, day: dayOfMonth) == date)
            #expect(LocalDate(iso8601: date.iso8601) == date)
            previous = date.daysSinceEpoch
            date = date.adding(days: 1)
        }
    }

    @Test func refusesDatesThatDoNotExist() {
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(iso8601: "2026-04-31") == nil)
        #expect(LocalDate(iso8601: "2026-4-3") == nil)
    }
}
