import Engine
import Messages

/// One region's working-day calendar for one year, read from its message:
/// the region, and the year's holidays and make-up working days.
public struct RegionalCalendarYear: Hashable, Sendable {
    /// The region the year belongs to; `000000` is the national calendar.
    public var region: RegionCode
    /// The year's days off and make-up working days (调休).
    public var year: CalendarYear

    /// Creates a region's year.
    public init(region: RegionCode, year: CalendarYear) {
        self.region = region
        self.year = year
    }

    /// Reads a calendar message.
    ///
    /// - Throws: ``ValidationError`` naming every bad field, e.g.
    ///   `holidays[2]: "2026-13-01" is not a date YYYY-MM-DD`: a region code
    ///   that is not six digits, a year outside 2000 to 2100, a date not in
    ///   the year, a make-up working day that is not a Saturday or Sunday, or
    ///   a date listed both as a holiday and as a make-up working day.
    public init(_ message: Messages.Calendar) throws(ValidationError) {
        var list = ProblemList()
        let region = RegionCode(message.regionCode)
        if region == nil {
            list.add(
                "region_code",
                "\(quoted(message.regionCode)) is not a region code; expected six digits, "
                    + "000000 for the national calendar")
        }
        let yearNumber = Int(message.year)
        let years = MessageBounds.calendarYears
        let yearValid = years.contains(yearNumber)
        if !yearValid {
            list.add(
                "year",
                "is \(message.year); expected a year from \(years.lowerBound) to "
                    + "\(years.upperBound)")
        }

        func dates(_ texts: [String], _ field: String) -> [(Int, LocalDate)] {
            var result: [(Int, LocalDate)] = []
            for (index, text) in texts.enumerated() {
                let path = FieldPath.index(field, index)
                guard let date = LocalDate(iso8601: text) else {
                    list.add(path, "\(quoted(text)) is not a date YYYY-MM-DD")
                    continue
                }
                if yearValid && date.year != yearNumber {
                    list.add(path, "\(quoted(text)) is not in the year \(yearNumber)")
                    continue
                }
                result.append((index, date))
            }
            return result
        }
        let holidays = dates(message.holidays, "holidays")
        let workdays = dates(message.makeupWorkdays, "makeup_workdays")
        let holidaySet = Set(holidays.map(\.1))
        for (index, date) in workdays {
            let path = FieldPath.index("makeup_workdays", index)
            if holidaySet.contains(date) {
                list.add(path, "\(quoted(date.iso8601)) is also listed as a holiday")
            } else if date.weekday.isMondayToFriday {
                list.add(
                    path,
                    "\(quoted(date.iso8601)) is a \(weekdayName(date)); expected a Saturday or "
                        + "Sunday declared a working day")
            }
        }
        list.text(message.source, at: "source")
        try list.check()

        self.init(
            region: region!,
            year: CalendarYear(
                year: yearNumber, holidays: holidaySet, makeUpWorkingDays: Set(workdays.map(\.1)),
                source: message.source))
    }
}

extension Messages.Calendar {
    /// The message for one region's year, dates in order.
    public init(_ calendar: RegionalCalendarYear) {
        self.init(
            regionCode: calendar.region.digits, year: Int32(calendar.year.year),
            holidays: calendar.year.holidays.sorted().map(\.iso8601),
            makeupWorkdays: calendar.year.makeUpWorkingDays.sorted().map(\.iso8601),
            source: calendar.year.source)
    }
}

extension WorkingCalendar {
    /// A calendar made of calendar messages laid over `base`: a region and
    /// year given replaces the base's, everything else of the base stays.
    ///
    /// - Parameters:
    ///   - version: the new calendar's version.
    ///   - messages: one region's year each; a region and year at most once.
    ///   - base: the calendar underneath, usually ``WorkingCalendar/official()``;
    ///     nil for none.
    /// - Throws: ``ValidationError`` with fields under `calendars[i]`.
    public init(
        version: Int, messages: [Messages.Calendar], over base: WorkingCalendar? = nil
    ) throws(ValidationError) {
        var list = ProblemList()
        var given: [RegionCode: [Int: CalendarYear]] = [:]
        var firstIndex: [String: Int] = [:]
        for (index, message) in messages.enumerated() {
            let path = FieldPath.index("calendars", index)
            do {
                let entry = try RegionalCalendarYear(message)
                let key = "\(entry.region.digits)/\(entry.year.year)"
                if let first = firstIndex[key] {
                    list.add(
                        path + ".year",
                        "region \(entry.region) year \(entry.year.year) is given twice (first "
                            + "at calendars[\(first)]); expected each region's year once")
                    continue
                }
                firstIndex[key] = index
                given[entry.region, default: [:]][entry.year.year] = entry.year
            } catch {
                list.append(contentsOf: error.problems, under: path)
            }
        }
        try list.check()

        var merged = base?.years ?? [:]
        for (region, years) in given {
            for (year, entry) in years { merged[region, default: [:]][year] = entry }
        }
        do {
            try self.init(version: version, regions: merged.mapValues { Array($0.values) })
        } catch {
            // Every year was checked above, so the engine refuses nothing
            // here; should it, its sentence is kept.
            throw ValidationError(field: "calendars", reason: error.description)
        }
    }

    /// One message per region and year of this calendar, by region and year.
    public var calendarMessages: [Messages.Calendar] {
        years.keys.sorted().flatMap { region in
            years[region]!.keys.sorted().map { year in
                Messages.Calendar(RegionalCalendarYear(region: region, year: years[region]![year]!))
            }
        }
    }
}

/// The English name of a date's day of the week, e.g. `Monday`.
func weekdayName(_ date: LocalDate) -> String {
    let name = String(describing: date.weekday)
    return name.prefix(1).uppercased() + name.dropFirst()
}
