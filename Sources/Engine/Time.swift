/// An absolute point in time, in milliseconds since 1970-01-01T00:00:00Z.
///
/// Instants are what departments report on the wire and what alerts are
/// stamped with. They carry no time zone; ``LocalDate`` turns them into the
/// civil dates of China Standard Time, on which the law counts working days.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch, UTC.
    public var millisecondsSinceEpoch: Int64

    /// Creates an instant from milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// Creates an instant from whole seconds since the Unix epoch.
    public init(secondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = secondsSinceEpoch * 1000
    }

    /// Orders instants by time.
    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The instant `seconds` later (earlier when negative).
    public func adding(seconds: Int64) -> Instant {
        Instant(millisecondsSinceEpoch: millisecondsSinceEpoch + seconds * 1000)
    }

    /// The instant `milliseconds` later (earlier when negative).
    public func adding(milliseconds: Int64) -> Instant {
        Instant(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    /// The local date (China Standard Time) this instant falls on.
    public var localDate: LocalDate {
        LocalDate(containing: self)
    }

    /// The instant in ISO 8601 with the China Standard Time offset,
    /// e.g. `2026-10-08T09:30:00+08:00` (milliseconds shown only when present).
    public var iso8601: String {
        let local = millisecondsSinceEpoch + LocalDate.offsetMilliseconds
        let day = floorDivide(local, LocalDate.millisecondsPerDay)
        let inDay = local - day * LocalDate.millisecondsPerDay
        let date = LocalDate(daysSinceEpoch: Int32(truncatingIfNeeded: day))
        let hours = inDay / 3_600_000
        let minutes = inDay / 60_000 % 60
        let seconds = inDay / 1000 % 60
        let millis = inDay % 1000
        var text =
            date.iso8601 + "T" + pad(hours, 2) + ":" + pad(minutes, 2) + ":"
            + pad(seconds, 2)
        if millis != 0 { text += "." + pad(millis, 3) }
        return text + "+08:00"
    }

    /// The ISO 8601 form, for logs and test failures.
    public var description: String { iso8601 }

    /// Parses an ISO 8601 date-time with an explicit offset or `Z`:
    /// `2026-10-08T09:30:00+08:00`, `2026-10-08T01:30:00Z`,
    /// `2026-10-08T09:30:00.250+08:00`. Returns nil for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ")
        else { return nil }
        guard let date = LocalDate(isoBytes: bytes[0..<10]),
            let hours = digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minutes = digits(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"),
            let seconds = digits(bytes, 17, 2),
            hours < 24, minutes < 60, seconds < 60
        else { return nil }

        var index = 19
        var millis: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            let start = index
            while index < bytes.count, let digit = digitValue(bytes[index]) {
                millis += digit * scale
                scale /= 10
                index += 1
            }
            if index == start { return nil }
        }

        let offsetMinutes: Int64
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
            offsetMinutes = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = digits(bytes, index + 1, 2),
                let offsetMins = digits(bytes, index + 4, 2), offsetHours < 24, offsetMins < 60
            else { return nil }
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            offsetMinutes = sign * (offsetHours * 60 + offsetMins)
        default:
            return nil
        }

        let localMillis =
            Int64(date.daysSinceEpoch) * LocalDate.millisecondsPerDay
            + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
        self.millisecondsSinceEpoch = localMillis - offsetMinutes * 60_000
    }
}

/// A civil date in China Standard Time (UTC+8, no daylight saving).
///
/// Working days, holidays and the day a clock starts are all local dates. The
/// date is stored as a day count from 1970-01-01 so that day arithmetic is an
/// integer operation.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (that day is 0).
    public var daysSinceEpoch: Int32

    static let millisecondsPerDay: Int64 = 86_400_000
    static let offsetMilliseconds: Int64 = 8 * 3_600_000

    /// Creates a date from its day count since 1970-01-01.
    public init(daysSinceEpoch: Int32) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// Creates a date from year, month (1-12) and day (1-31); nil when the
    /// day does not exist in that month.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1,
            day <= LocalDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.daysSinceEpoch = Int32(LocalDate.daysFromCivil(year: year, month: month, day: day))
    }

    /// The local date on which `instant` falls.
    public init(containing instant: Instant) {
        let local = instant.millisecondsSinceEpoch + LocalDate.offsetMilliseconds
        self.daysSinceEpoch = Int32(
            truncatingIfNeeded: floorDivide(local, LocalDate.millisecondsPerDay))
    }

    /// Parses `YYYY-MM-DD`; nil for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, let date = LocalDate(isoBytes: bytes[0..<10]) else {
            return nil
        }
        self = date
    }

    init?(isoBytes bytes: ArraySlice<UInt8>) {
        let array = Array(bytes)
        guard array.count == 10, array[4] == UInt8(ascii: "-"), array[7] == UInt8(ascii: "-"),
            let year = digits(array, 0, 4), let month = digits(array, 5, 2),
            let day = digits(array, 8, 2)
        else { return nil }
        guard let date = LocalDate(year: Int(year), month: Int(month), day: Int(day)) else {
            return nil
        }
        self = date
    }

    /// Orders dates by day.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + Int32(days))
    }

    /// The instant of 00:00 local time on this date.
    public var startInstant: Instant {
        Instant(
            millisecondsSinceEpoch: Int64(daysSinceEpoch) * LocalDate.millisecondsPerDay
                - LocalDate.offsetMilliseconds)
    }

    /// The instant of 24:00 local time on this date (00:00 of the next day),
    /// the instant at which a working-day limit ending on this date ends.
    public var endInstant: Instant {
        adding(days: 1).startInstant
    }

    /// Year, month and day of this date.
    public var components: (year: Int, month: Int, day: Int) {
        LocalDate.civilFromDays(Int(daysSinceEpoch))
    }

    /// The calendar year.
    public var year: Int { components.year }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday; Monday is raw value 1.
        let index = ((Int(daysSinceEpoch) + 3) % 7 + 7) % 7
        return Weekday(rawValue: index + 1)!
    }

    /// The date as `YYYY-MM-DD`.
    public var iso8601: String {
        let (year, month, day) = components
        return pad(Int64(year), 4) + "-" + pad(Int64(month), 2) + "-" + pad(Int64(day), 2)
    }

    /// The ISO 8601 form.
    public var description: String { iso8601 }

    /// Whether `year` is a leap year in the proleptic Gregorian calendar.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in a month of a year.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Day count from civil date by shifting the year to start in March, so the
    // leap day is the last day of the shifted year; eras are 400-year cycles.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

/// A day of the week, Monday first as in China.
public enum Weekday: Int, Sendable, CaseIterable {
    /// Monday.
    case monday = 1
    /// Tuesday.
    case tuesday
    /// Wednesday.
    case wednesday
    /// Thursday.
    case thursday
    /// Friday.
    case friday
    /// Saturday.
    case saturday
    /// Sunday.
    case sunday

    /// Whether this is Monday to Friday.
    public var isMondayToFriday: Bool { rawValue <= 5 }
}

/// A source of the current instant, for the server's scheduler.
///
/// The engine itself never reads a clock: every function that needs "now"
/// takes it as a parameter. The server gives its scheduler a clock that reads
/// the system time; tests give it a ``FixedClock``.
public protocol SupervisionClock: Sendable {
    /// The current instant.
    func now() -> Instant
}

/// A clock that always reads the same instant, for tests and replays.
public struct FixedClock: SupervisionClock {
    /// The instant this clock reads.
    public var instant: Instant

    /// Creates a clock stopped at `instant`.
    public init(_ instant: Instant) {
        self.instant = instant
    }

    /// The fixed instant.
    public func now() -> Instant { instant }
}

@inline(__always)
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}

private func digitValue(_ byte: UInt8) -> Int64? {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        ? Int64(byte - UInt8(ascii: "0")) : nil
}

private func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int64? {
    guard start + count <= bytes.count else { return nil }
    var value: Int64 = 0
    for index in start..<(start + count) {
        guard let digit = digitValue(bytes[index]) else { return nil }
        value = value * 10 + digit
    }
    return value
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
