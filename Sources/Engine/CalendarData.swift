import Foundation

extension WorkingCalendar {
    /// The official national calendar shipped with the engine: the State
    /// Council's holiday notices for 2020 to 2026.
    ///
    /// Years outside that range count Monday to Friday and are reported as
    /// missing, until an administrator loads their notice.
    public static func official() throws(CalendarError) -> WorkingCalendar {
        try officialResult.get()
    }

    // Read once per process: the bundled file never changes while it runs.
    private static let officialResult = Result { () throws(CalendarError) -> WorkingCalendar in
        try loadOfficial()
    }

    private static func loadOfficial() throws(CalendarError) -> WorkingCalendar {
        guard let url = Bundle.module.url(forResource: "holidays", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { throw .malformed("the bundled holidays.json resource is missing") }
        return try WorkingCalendar(json: Array(data))
    }

    /// Reads a calendar from its JSON form.
    ///
    /// The shape is `{"version": 1, "regions": [{"region": "000000", "years":
    /// [{"year": 2026, "source": "...", "holidays": ["2026-01-01/2026-01-03",
    /// ...], "makeUpWorkingDays": ["2026-01-04", ...]}]}]}`; a range
    /// `FROM/TO` includes both ends.
    public init(json bytes: [UInt8]) throws(CalendarError) {
        let file: CalendarFile
        do {
            file = try JSONDecoder().decode(CalendarFile.self, from: Data(bytes))
        } catch {
            throw .malformed(String(describing: error))
        }

        var regions: [RegionCode: [CalendarYear]] = [:]
        for entry in file.regions {
            guard let region = RegionCode(entry.region) else {
                throw .invalidRegionCode(entry.region)
            }
            for year in entry.years {
                let field = "region \(entry.region) year \(year.year)"
                let holidays = try Self.expand(year.holidays, field: field + " holidays")
                let workdays = try Self.expand(
                    year.makeUpWorkingDays, field: field + " makeUpWorkingDays")
                regions[region, default: []].append(
                    CalendarYear(
                        year: year.year, holidays: holidays, makeUpWorkingDays: workdays,
                        source: year.source ?? ""))
            }
        }
        try self.init(version: file.version, regions: regions)
    }

    /// The JSON form of this calendar, the shape ``init(json:)`` reads, with
    /// every date listed singly.
    public func jsonBytes() -> [UInt8] {
        let file = CalendarFile(
            version: version,
            regions: years.keys.sorted().map { region in
                CalendarFile.Region(
                    region: region.digits,
                    years: years[region]!.keys.sorted().map { year in
                        let entry = years[region]![year]!
                        return CalendarFile.Year(
                            year: year, source: entry.source,
                            holidays: entry.holidays.sorted().map(\.iso8601),
                            makeUpWorkingDays: entry.makeUpWorkingDays.sorted().map(\.iso8601))
                    })
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array((try? encoder.encode(file)) ?? Data())
    }

    private static func expand(_ items: [String], field: String) throws(CalendarError)
        -> Set<LocalDate>
    {
        var dates: Set<LocalDate> = []
        for item in items {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 1 || parts.count == 2,
                let from = LocalDate(iso8601: String(parts[0])),
                let to = LocalDate(iso8601: String(parts[parts.count - 1])), from <= to
            else { throw .invalidDate(field: field, value: item) }
            var day = from
            while day <= to {
                dates.insert(day)
                day = day.adding(days: 1)
            }
        }
        return dates
    }
}

private struct CalendarFile: Codable {
    struct Year: Codable {
        var year: Int
        var source: String?
        var holidays: [String]
        var makeUpWorkingDays: [String]
    }

    struct Region: Codable {
        var region: String
        var name: String? = nil
        var years: [Year]
    }

    var version: Int
    var regions: [Region]
}
