/// One year of a region's official calendar: its holidays and its make-up
/// working days (调休上班日), as the State Council's yearly notice declares them.
public struct CalendarYear: Hashable, Sendable {
    /// The calendar year.
    public var year: Int
    /// Days off declared by the notice (weekend days inside a holiday may be
    /// listed or not; they are days off either way).
    public var holidays: Set<LocalDate>
    /// Weekend days declared working days (调休).
    public var makeUpWorkingDays: Set<LocalDate>
    /// Where the dates come from, e.g. the notice's document number.
    public var source: String

    /// Creates a year's calendar.
    public init(
        year: Int, holidays: Set<LocalDate>, makeUpWorkingDays: Set<LocalDate>,
        source: String = ""
    ) {
        self.year = year
        self.holidays = holidays
        self.makeUpWorkingDays = makeUpWorkingDays
        self.source = source
    }

    /// Whether `date` (which must fall in this year) is a working day: a
    /// make-up day, or Monday to Friday and not a holiday.
    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if makeUpWorkingDays.contains(date) { return true }
        return date.weekday.isMondayToFriday && !holidays.contains(date)
    }
}

/// Why calendar data was refused.
public enum CalendarError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A region code is not six digits.
    case invalidRegionCode(String)
    /// A date (or a `from/to` range) could not be read.
    case invalidDate(field: String, value: String)
    /// A date is listed under a year it does not belong to.
    case dateOutsideYear(year: Int, date: LocalDate)
    /// A date is listed both as a holiday and as a make-up working day.
    case holidayAndWorkingDay(LocalDate)
    /// The same region and year are given twice.
    case duplicateYear(region: RegionCode, year: Int)
    /// The data file is not the expected JSON shape.
    case malformed(String)

    /// A sentence naming the field, the value and what was expected.
    public var description: String {
        switch self {
        case .invalidRegionCode(let code):
            return "region code \"\(code)\" is not six digits"
        case .invalidDate(let field, let value):
            return
                "\(field): \"\(value)\" is not a date YYYY-MM-DD or a range YYYY-MM-DD/YYYY-MM-DD"
        case .dateOutsideYear(let year, let date):
            return "date \(date) is listed under year \(year)"
        case .holidayAndWorkingDay(let date):
            return "date \(date) is listed both as a holiday and as a make-up working day"
        case .duplicateYear(let region, let year):
            return "region \(region) lists year \(year) twice"
        case .malformed(let detail):
            return "calendar data is malformed: \(detail)"
        }
    }
}

/// The working-day calendar of every region (工作日历), versioned.
///
/// A working day is a make-up working day, or a Monday to Friday that is not
/// a holiday. Each region's years fall back, year by year, to its city, its
/// province and the national calendar. A year that no level has data for is
/// counted Monday to Friday, and every result that depends on it says so
/// (``CalendarResult/missingYears``), so that a deadline in such a year is
/// never guessed silently.
///
/// Arithmetic is constant time or a binary search, for any span: each region
/// keeps, for every day of its data years, the running count of working days
/// (a prefix sum), and days outside the data years are counted by formula.
public struct WorkingCalendar: Sendable {
    /// The version of this calendar; a change makes a new version.
    public let version: Int
    /// The data as given, by region and year.
    public let years: [RegionCode: [Int: CalendarYear]]

    private let tables: [RegionCode: RegionCalendar]
    private let fallbackTable: RegionCalendar

    /// Creates a calendar from yearly data; the data is checked.
    public init(version: Int, years: [CalendarYear], region: RegionCode = .national)
        throws(CalendarError)
    {
        try self.init(version: version, regions: [region: years])
    }

    /// Creates a calendar from yearly data per region; the data is checked.
    public init(version: Int, regions: [RegionCode: [CalendarYear]]) throws(CalendarError) {
        var byRegion: [RegionCode: [Int: CalendarYear]] = [:]
        for (region, list) in regions {
            var byYear: [Int: CalendarYear] = [:]
            for entry in list {
                guard byYear[entry.year] == nil else {
                    throw .duplicateYear(region: region, year: entry.year)
                }
                for date in entry.holidays.union(entry.makeUpWorkingDays)
                where date.year != entry.year {
                    throw .dateOutsideYear(year: entry.year, date: date)
                }
                if let both = entry.holidays.intersection(entry.makeUpWorkingDays).min() {
                    throw .holidayAndWorkingDay(both)
                }
                byYear[entry.year] = entry
            }
            byRegion[region] = byYear
        }
        self.version = version
        self.years = byRegion

        var tables: [RegionCode: RegionCalendar] = [:]
        for region in byRegion.keys {
            tables[region] = RegionCalendar(region: region, data: byRegion)
        }
        self.tables = tables
        self.fallbackTable = RegionCalendar(region: .national, data: [:])
    }

    /// The resolved calendar a region uses: the nearest region in its
    /// fallback chain that has any data, merged year by year with its own
    /// fallbacks. Cheap: tables are built once, when the calendar is made.
    public func regionCalendar(for region: RegionCode) -> RegionCalendar {
        for candidate in region.fallbackChain {
            if let table = tables[candidate] { return table }
        }
        return fallbackTable
    }

    /// Whether `date` is a working day in `region`.
    public func isWorkingDay(_ date: LocalDate, in region: RegionCode = .national)
        -> CalendarResult<Bool>
    {
        regionCalendar(for: region).isWorkingDay(date)
    }

    /// The `n`-th working day after `date` (not counting `date` itself); for
    /// `n == 0`, `date` itself. A limit of `n` working days that starts on
    /// `date` ends at 24:00 of this day.
    public func workingDay(_ n: Int, after date: LocalDate, in region: RegionCode = .national)
        -> CalendarResult<LocalDate>
    {
        regionCalendar(for: region).workingDay(n, after: date)
    }

    /// The number of working days after `start` up to and including `end`
    /// (zero when `end` is not after `start`).
    public func workingDays(
        after start: LocalDate, through end: LocalDate, in region: RegionCode = .national
    ) -> CalendarResult<Int> {
        regionCalendar(for: region).workingDays(after: start, through: end)
    }

    /// The years whose working days differ between `older` and this calendar,
    /// by region whose resolved calendar changed. A case whose clock touches
    /// one of these years in its region must be recomputed.
    public func changedYears(comparedTo older: WorkingCalendar) -> [RegionCode: Set<Int>] {
        var changed: [RegionCode: Set<Int>] = [:]
        let regions = Set(years.keys).union(older.years.keys)
        for region in regions {
            let newTable = regionCalendar(for: region)
            let oldTable = older.regionCalendar(for: region)
            let allYears = newTable.dataYears.union(oldTable.dataYears)
            for year in allYears where newTable.yearData(year) != oldTable.yearData(year) {
                changed[region, default: []].insert(year)
            }
        }
        return changed
    }
}

/// A value computed from the calendar, with the years it had to count
/// Monday to Friday for lack of data.
public struct CalendarResult<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The computed value.
    public var value: Value
    /// Years the computation crossed that have no calendar data; empty when
    /// the result is final.
    public var missingYears: [Int]

    /// Whether the result depends on a year with no calendar data.
    public var isProvisional: Bool { !missingYears.isEmpty }
}

/// One region's resolved working-day calendar, as prefix sums.
///
/// Immutable after creation, so it is shared freely between threads and
/// between every case of the region.
public final class RegionCalendar: Sendable {
    /// The region whose data this table was built from.
    public let region: RegionCode

    // Days of the first and last day the prefix sums cover.
    let firstDay: Int32
    let lastDay: Int32
    let firstYear: Int
    // counts[i] = working days in [firstDay, firstDay + i].
    let counts: [Int32]
    // covered[y - firstYear]: whether year y has data.
    let covered: [Bool]
    // Whether every year from the first to the last has data.
    let coversWholeRange: Bool
    let resolvedYears: [Int: CalendarYear]

    var dataYears: Set<Int> { Set(resolvedYears.keys) }

    func yearData(_ year: Int) -> CalendarYear? { resolvedYears[year] }

    init(region: RegionCode, data: [RegionCode: [Int: CalendarYear]]) {
        self.region = region
        var resolved: [Int: CalendarYear] = [:]
        for candidate in region.fallbackChain.reversed() {
            for (year, entry) in data[candidate] ?? [:] { resolved[year] = entry }
        }
        self.resolvedYears = resolved

        guard let minYear = resolved.keys.min(), let maxYear = resolved.keys.max() else {
            firstDay = 0
            lastDay = -1
            firstYear = 0
            counts = []
            covered = []
            coversWholeRange = false
            return
        }
        let first = LocalDate(year: minYear, month: 1, day: 1)!
        let last = LocalDate(year: maxYear, month: 12, day: 31)!
        firstDay = first.daysSinceEpoch
        lastDay = last.daysSinceEpoch
        firstYear = minYear
        covered = (minYear...maxYear).map { resolved[$0] != nil }
        coversWholeRange = covered.allSatisfy { $0 }

        var running: Int32 = 0
        var counts: [Int32] = []
        counts.reserveCapacity(Int(lastDay - firstDay) + 1)
        var day = first
        while day <= last {
            let working: Bool
            if let entry = resolved[day.year] {
                working = entry.isWorkingDay(day)
            } else {
                working = day.weekday.isMondayToFriday
            }
            if working { running += 1 }
            counts.append(running)
            day = day.adding(days: 1)
        }
        self.counts = counts
    }

    /// Working days from a fixed origin through `day`: a non-decreasing
    /// function whose differences count working days over any span.
    @inline(__always)
    func cumulative(through day: Int32) -> Int {
        if day < firstDay {
            return mondayToFridayCount(day) - mondayToFridayCount(firstDay - 1)
        }
        if day <= lastDay {
            return Int(counts[Int(day - firstDay)])
        }
        let base = counts.last.map(Int.init) ?? 0
        return base + mondayToFridayCount(day) - mondayToFridayCount(lastDay)
    }

    /// The first day whose cumulative count reaches `target`.
    @inline(__always)
    func firstDay(reaching target: Int) -> Int32 {
        if target <= 0 || counts.isEmpty {
            let offset = counts.isEmpty ? 0 : mondayToFridayCount(firstDay - 1)
            return firstDayReaching(mondayToFriday: target + offset)
        }
        if target <= Int(counts[counts.count - 1]) {
            var low = 0
            var high = counts.count - 1
            let wanted = Int32(target)
            while low < high {
                let middle = (low + high) >> 1
                if counts[middle] < wanted { low = middle + 1 } else { high = middle }
            }
            return firstDay + Int32(low)
        }
        let excess = target - Int(counts[counts.count - 1])
        return firstDayReaching(mondayToFriday: excess + mondayToFridayCount(lastDay))
    }

    /// Years in `[from, through]` (days) that have no data.
    func missingYears(from: Int32, through: Int32) -> [Int] {
        var missing: [Int] = []
        forEachMissingYear(from: from, through: through) { missing.append($0) }
        return missing
    }

    /// Calls `body` with each year in `[from, through]` (days) that has no data.
    func forEachMissingYear(from: Int32, through: Int32, _ body: (Int) -> Void) {
        guard from <= through else { return }
        let startYear = LocalDate(daysSinceEpoch: from).year
        let endYear = LocalDate(daysSinceEpoch: through).year
        for year in startYear...endYear {
            let index = year - firstYear
            if counts.isEmpty || index < 0 || index >= covered.count || !covered[index] {
                body(year)
            }
        }
    }

    /// Whether the days `[from, through]` all lie in years with data.
    @inline(__always)
    func covers(from: Int32, through: Int32) -> Bool {
        if from > through { return true }
        if from < firstDay || through > lastDay { return false }
        if coversWholeRange { return true }
        let startYear = LocalDate(daysSinceEpoch: from).year
        let endYear = LocalDate(daysSinceEpoch: through).year
        for year in startYear...endYear where !covered[year - firstYear] { return false }
        return true
    }

    /// Whether `date` is a working day.
    public func isWorkingDay(_ date: LocalDate) -> CalendarResult<Bool> {
        let day = date.daysSinceEpoch
        let working = cumulative(through: day) != cumulative(through: day - 1)
        return CalendarResult(value: working, missingYears: missingYears(from: day, through: day))
    }

    /// The `n`-th working day after `date`; `date` itself when `n == 0`.
    public func workingDay(_ n: Int, after date: LocalDate) -> CalendarResult<LocalDate> {
        guard n > 0 else { return CalendarResult(value: date, missingYears: []) }
        let start = date.daysSinceEpoch
        let day = firstDay(reaching: cumulative(through: start) + n)
        return CalendarResult(
            value: LocalDate(daysSinceEpoch: day),
            missingYears: missingYears(from: start + 1, through: day))
    }

    /// Working days after `start` up to and including `end`.
    public func workingDays(after start: LocalDate, through end: LocalDate)
        -> CalendarResult<Int>
    {
        guard end > start else { return CalendarResult(value: 0, missingYears: []) }
        let count =
            cumulative(through: end.daysSinceEpoch) - cumulative(through: start.daysSinceEpoch)
        return CalendarResult(
            value: count,
            missingYears: missingYears(
                from: start.daysSinceEpoch + 1, through: end.daysSinceEpoch))
    }
}

// Monday to Friday days from Monday 1969-12-29 (day -3) through `day`,
// negative before it; differences count weekdays over any span.
@inline(__always)
func mondayToFridayCount(_ day: Int32) -> Int {
    let fromMonday = Int(day) + 3
    let weeks = fromMonday >= 0 ? fromMonday / 7 : (fromMonday - 6) / 7
    let dayOfWeek = fromMonday - weeks * 7
    return weeks * 5 + min(dayOfWeek + 1, 5)
}

// The first day whose Monday-to-Friday count reaches `target`.
@inline(__always)
func firstDayReaching(mondayToFriday target: Int) -> Int32 {
    let index = target - 1
    let weeks = index >= 0 ? index / 5 : (index - 4) / 5
    let dayOfWeek = index - weeks * 5
    return Int32(weeks * 7 + dayOfWeek - 3)
}
