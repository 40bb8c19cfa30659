import Foundation
import Interchange
import Messages
import Services

/// The catalogue and what it holds: departments, items, rule settings,
/// working-day calendars and scoring schemes.
enum CatalogueCommands {
    static var catalogue: Command {
        Command(
            name: "catalogue",
            abstract: "Import or export the whole catalogue (administrators import).",
            discussion: """
                The catalogue file is one JSON object with departments, items, ruleSettings \
                and calendars in proto3 JSON (the form of demo/catalogue.json). Items or \
                departments alone may also come as CSV; see 'monctl catalogue import --help'.
                """,
            subcommands: [importCatalogue, exportCatalogue])
    }

    static var importCatalogue: Command {
        Command(
            name: "import",
            abstract: "Add or replace departments, items, rule settings and calendars from a file.",
            discussion: """
                The file is checked in full before anything is sent, against the departments \
                the server already has; every problem is listed with its place and the command \
                exits with status 6, changing nothing. Departments go first, then items in \
                batches of 500, the rule settings, and each calendar; each step makes a new \
                catalogue version, and open cases it affects are recomputed.

                CSV of items: a header line naming the columns, in any order. Required: code, \
                name, department_code, legal_limit_days. Optional: kind (licensing, \
                non-licensing, public-service), promised_limit_days, intake_limit_days, \
                legal_extension_days, undertake_days, review_days, approve_days, fee_max_fen, \
                fee_basis, allowed_procedures (types separated by ;), retired (true/false). An \
                empty cell leaves the field out, so its default applies.
                CSV of departments: code, name, region_code, and optionally retired.
                """,
            arguments: [
                Argument(
                    name: "file",
                    help: "A catalogue JSON file or a CSV file; - reads standard input.")
            ],
            options: [
                .value(
                    "format", "format",
                    "json or csv (default: csv for a name ending in .csv, else json)."),
            ],
            examples: [
                "monctl catalogue import demo/catalogue.json",
                "monctl catalogue import items.csv",
                "printf 'code,name,region_code\\n330899-XFJ,信访局,330899\\n' "
                    + "| monctl catalogue import - --format csv",
            ],
            run: runImport)
    }

    private static func readDocument(_ invocation: Invocation) throws -> CatalogueFile {
        let path = invocation.argument("file")
        let format = invocation.option("format")?.lowercased()
            ?? (path.lowercased().hasSuffix(".csv") ? "csv" : "json")
        guard format == "csv" || format == "json" else {
            throw invalidValue("--format", format, "is not a format; expected json or csv")
        }
        let bytes = try readInputFile(path, what: "a catalogue in \(format.uppercased())")
        if format == "csv" {
            return try CatalogueCSV.document(
                from: String(decoding: bytes, as: UTF8.self), name: path)
        }
        do {
            return CatalogueFile(document: try CatalogueDocument(jsonUTF8: bytes), name: path)
        } catch {
            throw Failure.input(problemLines(error, file: path))
        }
    }

    /// Every problem of a validation error, one line each under the file's
    /// name.
    static func problemLines(_ error: any Error, file: String) -> String {
        guard let error = error as? ValidationError else { return "\(file): \(error)" }
        return error.problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }

    private static func runImport(_ invocation: Invocation) async throws {
        let path = invocation.argument("file")
        let file = try readDocument(invocation)
        let document = file.document
        let output = invocation.output
        let changes = try await invocation.withConnection { connection -> [CatalogueChange] in
            // Checked as the server will see it: the file's departments laid
            // over the ones it has.
            let existing = try await connection.call(
                CatalogueService.listDepartments, ListDepartmentsRequest(includeRetired: true))
            var check = document
            for department in existing.departments
            where !check.departments.contains(where: { $0.code == department.code }) {
                check.departments.append(department)
            }
            do {
                _ = try check.catalogue()
                _ = try document.calendar(over: nil)
            } catch {
                throw Failure.input(file.describe(error) + "\nnothing was imported")
            }

            var changes: [CatalogueChange] = []
            let progress = Progress(output: output)
            let total = document.departments.count + document.items.count
                + document.calendars.count + (document.ruleSettings == nil ? 0 : 1)
            var done = 0
            func report(_ what: String) {
                progress.update("catalogue import: \(done)/\(total) entries sent (\(what))")
            }
            for batch in chunks(document.departments, of: 500) {
                changes.append(
                    try await connection.call(
                        CatalogueService.putDepartments, PutDepartmentsRequest(departments: batch)))
                done += batch.count
                report("departments")
            }
            for batch in chunks(document.items, of: 500) {
                changes.append(
                    try await connection.call(
                        CatalogueService.putItems, PutItemsRequest(items: batch)))
                done += batch.count
                report("items")
            }
            if let settings = document.ruleSettings {
                changes.append(
                    try await connection.call(
                        CatalogueService.putRuleSettings,
                        PutRuleSettingsRequest(settings: settings)))
                done += 1
                report("rule settings")
            }
            for calendar in document.calendars {
                changes.append(
                    try await connection.call(
                        CatalogueService.putCalendar, PutCalendarRequest(calendar: calendar)))
                done += 1
                report("calendars")
            }
            if total > 0 { progress.finish("catalogue import: \(done)/\(total) entries sent") }
            return changes
        }

        if invocation.json {
            var object = JSONObject()
            object.append("changes", .array(changes.map { $0.jsonValue() }))
            return output.json(.object(object))
        }
        var parts: [String] = []
        if !document.departments.isEmpty {
            parts.append(counted(document.departments.count, "department"))
        }
        if !document.items.isEmpty { parts.append(counted(document.items.count, "item")) }
        if document.ruleSettings != nil { parts.append("the rule settings") }
        if !document.calendars.isEmpty {
            parts.append(counted(document.calendars.count, "calendar"))
        }
        guard let last = changes.last else {
            return output.line("nothing to import: \(path) holds no entries")
        }
        let recomputed = changes.reduce(0) { $0 + $1.casesRecomputed }
        output.line(
            "imported \(listing(parts, conjunction: "and")): catalogue version \(last.version), "
                + "\(counted(Int(recomputed), "open case")) recomputed")
    }

    static var exportCatalogue: Command {
        Command(
            name: "export",
            abstract: "Write the server's catalogue as one JSON document, the import form.",
            options: [
                .value("output", "file", "Write to this file instead of standard output.",
                       short: "o"),
            ],
            examples: [
                "monctl catalogue export > catalogue.json",
                "monctl catalogue export -o backup/catalogue-2026-03.json",
            ],
            run: runExport)
    }

    private static func runExport(_ invocation: Invocation) async throws {
        let document = try await invocation.withConnection { connection -> CatalogueDocument in
            let departments = try await connection.call(
                CatalogueService.listDepartments, ListDepartmentsRequest(includeRetired: true))
            let (items, _) = try await Paging(limit: nil, pageToken: "").collect { token, size in
                let page = try await connection.call(
                    CatalogueService.listItems,
                    ListItemsRequest(includeRetired: true, pageSize: size, pageToken: token))
                return (page.items, page.nextPageToken)
            }
            let settings = try await connection.call(
                CatalogueService.getRuleSettings, GetRuleSettingsRequest())
            let loaded = try await connection.call(
                CatalogueService.listCalendars, ListCalendarsRequest())
            var calendars: [Messages.Calendar] = []
            for entry in loaded.calendars {
                calendars.append(
                    try await connection.call(
                        CatalogueService.getCalendar,
                        GetCalendarRequest(regionCode: entry.regionCode, year: entry.year)))
            }
            return CatalogueDocument(
                departments: departments.departments,
                items: items.map { item in
                    var item = item
                    item.version = 0  // read only: the server assigns it
                    return item
                },
                ruleSettings: settings == RuleSettings() ? nil : settings,
                calendars: calendars)
        }
        let text = document.jsonString(pretty: true) + "\n"
        if let path = invocation.option("output") {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw Failure.input("--output: cannot write \(quote(path))")
            }
            invocation.output.note(
                "wrote \(counted(document.departments.count, "department")), "
                    + "\(counted(document.items.count, "item")) and "
                    + "\(counted(document.calendars.count, "calendar")) to \(path)")
        } else {
            invocation.output.write(text)
        }
    }

    // MARK: Departments and items

    static var departments: Command {
        Command(
            name: "departments",
            abstract: "List the departments (部门) of the catalogue.",
            subcommands: [
                Command(
                    name: "list",
                    abstract: "List the departments.",
                    options: [.flag("include-retired", "Show retired departments too.")],
                    examples: ["monctl departments list"],
                    run: { invocation in
                        let response = try await invocation.withConnection {
                            try await $0.call(
                                CatalogueService.listDepartments,
                                ListDepartmentsRequest(
                                    includeRetired: invocation.flag("include-retired")))
                        }
                        if invocation.json { return invocation.output.json(response) }
                        guard !response.departments.isEmpty else {
                            return noteEmpty(invocation, "no departments in the catalogue")
                        }
                        var table = Table("CODE", "NAME", "REGION", "RETIRED")
                        for department in response.departments {
                            table.append(
                                department.code, department.name, department.regionCode,
                                department.retired ? "retired" : "")
                        }
                        invocation.output.write(table.render())
                    })
            ])
    }

    static var items: Command {
        Command(
            name: "items",
            abstract: "List approval items (事项) and show one with its limits.",
            subcommands: [listItems, showItem])
    }

    static var listItems: Command {
        Command(
            name: "list",
            abstract: "List items with their legal and promised limits.",
            options: [
                .value("department", "code", "Only this department's items."),
                .flag("include-retired", "Show retired items too."),
            ] + PagingOptions.all,
            examples: ["monctl items list", "monctl items list --department 330899-WJJ --all"],
            run: { invocation in
                let request = ListItemsRequest(
                    departmentCode: invocation.option("department") ?? "",
                    includeRetired: invocation.flag("include-retired"))
                let paging = try invocation.paging()
                let (items, next) = try await invocation.withConnection { connection in
                    try await paging.collect { token, size in
                        var page = request
                        page.pageToken = token
                        page.pageSize = size
                        let response = try await connection.call(CatalogueService.listItems, page)
                        return (response.items, response.nextPageToken)
                    }
                }
                if invocation.json {
                    return invocation.output.json(
                        ListItemsResponse(items: items, nextPageToken: next))
                }
                guard !items.isEmpty else { return noteEmpty(invocation, "no items match") }
                var table = Table("CODE", "NAME", "DEPARTMENT", "KIND", "LEGAL", "PROMISED")
                table.rightAligned = [4, 5]
                for item in items {
                    table.append(
                        item.code, item.name + (item.retired ? " (retired)" : ""),
                        item.departmentCode, Choices.itemKind.shortName(item.kind),
                        "\(item.legalLimitDays)",
                        item.promisedLimitDays.map { "\($0)" } ?? "\(item.legalLimitDays)")
                }
                invocation.output.write(table.render())
                invocation.output.note("limits in working days")
                noteMore(next, invocation, noun: "items")
            })
    }

    static var showItem: Command {
        Command(
            name: "show",
            abstract: "Show one item with every limit, its fee standard and procedures.",
            arguments: [Argument(name: "code", help: "The item's catalogue code.")],
            examples: ["monctl items show 330899-WJJ-002"],
            run: { invocation in
                let item = try await invocation.withConnection {
                    try await $0.call(
                        CatalogueService.getItem, GetItemRequest(code: invocation.argument("code")))
                }
                if invocation.json { return invocation.output.json(item) }
                invocation.output.write(render(item))
            })
    }

    private static func render(_ item: Messages.Item) -> String {
        var details = Details()
        details.add("item", "\(item.code)  \(item.name)")
        details.add("department", item.departmentCode)
        details.add("kind", Choices.itemKind.shortName(item.kind))
        details.add("legal limit (法定时限)", Format.workingDays(item.legalLimitDays))
        details.add(
            "promised limit (承诺时限)",
            item.promisedLimitDays.map(Format.workingDays) ?? "the legal limit")
        details.add(
            "intake limit", item.intakeLimitDays.map(Format.workingDays) ?? "5 working days")
        let defaultExtension = item.kind == .licensing ? 10 : 0
        details.add(
            "legal extension",
            Format.workingDays(item.legalExtensionDays ?? UInt32(defaultExtension)))
        if let steps = item.stepLimits {
            var parts: [String] = []
            if let days = steps.undertakeDays { parts.append("undertake \(days)") }
            if let days = steps.reviewDays { parts.append("review \(days)") }
            if let days = steps.approveDays { parts.append("approve \(days)") }
            details.add("step limits", parts.joined(separator: ", ") + " working days")
        }
        if let fee = item.feeStandard {
            details.add(
                "fee standard", "at most \(Format.money(fee.maxFen))"
                    + (fee.basis.isEmpty ? "" : " (\(fee.basis))"))
        } else {
            details.add("fee standard", "none: the item may charge nothing")
        }
        details.add(
            "special procedures",
            item.allowedProcedures.isEmpty
                ? "none allowed" : item.allowedProcedures.map(Choices.procedure.shortName)
                    .joined(separator: ", "))
        if let overrides = item.ruleOverrides, overrides != RuleSettings() {
            details.add("rule overrides", overrides.jsonString())
        }
        if item.retired { details.add("retired", "yes") }
        details.add("version", "\(item.version)")
        return details.render()
    }

    // MARK: Rule settings

    static var rules: Command {
        Command(
            name: "rules",
            abstract: "Show or set the centre's rule settings (thresholds and switches).",
            subcommands: [
                Command(
                    name: "show",
                    abstract: "Show every rule setting, with the built-in default where unset.",
                    examples: ["monctl rules show", "monctl rules show --json > rules.json"],
                    run: { invocation in
                        let settings = try await invocation.withConnection {
                            try await $0.call(
                                CatalogueService.getRuleSettings, GetRuleSettingsRequest())
                        }
                        if invocation.json { return invocation.output.json(settings) }
                        invocation.output.write(render(settings))
                    }),
                Command(
                    name: "set",
                    abstract: "Replace the centre's rule settings with a JSON file's.",
                    discussion: """
                        The file is one RuleSettings object in proto3 JSON; a setting left \
                        out falls back to its built-in default. Open cases are recomputed.
                        """,
                    arguments: [
                        Argument(
                            name: "file", help: "A RuleSettings JSON file; - reads standard input.")
                    ],
                    examples: [
                        "echo '{\"lateReportingHours\": 48}' | monctl rules set -",
                        "monctl rules set rules.json",
                    ],
                    run: { invocation in
                        let path = invocation.argument("file")
                        let settings = try readMessage(
                            RuleSettings.self, from: path, what: "rule settings in JSON")
                        do {
                            _ = try CatalogueDocument(ruleSettings: settings).catalogue()
                        } catch {
                            throw Failure.input(problemLines(error, file: path))
                        }
                        let change = try await invocation.withConnection {
                            try await $0.call(
                                CatalogueService.putRuleSettings,
                                PutRuleSettingsRequest(settings: settings))
                        }
                        printChange(change, "rule settings set", invocation)
                    }),
            ])
    }

    private static func render(_ settings: RuleSettings) -> String {
        func value(_ number: UInt32?, _ fallback: UInt32, _ unit: String) -> String {
            let shown = number ?? fallback
            let words = unit == "hours"
                ? (shown == 1 ? "1 hour" : "\(shown) hours") : Format.workingDays(shown)
            return number == nil ? words + " (default)" : words
        }
        var details = Details()
        let days = "working days"
        details.add("case warning", value(settings.caseWarningDays, 2, days) + " before promised")
        details.add(
            "procedure warning", value(settings.procedureWarningDays, 2, days) + " before end")
        details.add("procedure red", value(settings.procedureRedDaysOver, 1, days) + " over")
        details.add("delivery limit", value(settings.deliveryLimitDays, 10, days))
        details.add("late reporting", value(settings.lateReportingHours, 24, "hours"))
        details.add("complaint accept", value(settings.complaintAcceptDays, 5, days))
        details.add("complaint conclude", value(settings.complaintConcludeDays, 15, days))
        details.add(
            "complaint warning", value(settings.complaintWarningDays, 2, days) + " before due")
        details.add("complaint yellow", value(settings.complaintYellowDaysOver, 1, days) + " over")
        details.add("complaint red", value(settings.complaintRedDaysOver, 2, days) + " over")
        details.add("feedback due", value(settings.feedbackDueDays, 3, days))
        let switches = settings.switches.map {
            Choices.rule.shortName($0.rule) + ($0.enabled ? " on" : " off")
        }
        details.add(
            "rule switches",
            switches.isEmpty ? "every rule on" : switches.joined(separator: ", "))
        return details.render()
    }

    private static func printChange(
        _ change: CatalogueChange, _ what: String, _ invocation: Invocation
    ) {
        if invocation.json { return invocation.output.json(change) }
        invocation.output.line(
            "\(what): catalogue version \(change.version), "
                + "\(counted(Int(change.casesRecomputed), "open case")) recomputed")
    }

    // MARK: Calendars

    static var calendar: Command {
        Command(
            name: "calendar",
            abstract: "Load, show and list working-day calendars (holidays and make-up days).",
            discussion: """
                A calendar is one region's year: its holidays and its make-up working days \
                (调休), from the State Council's yearly notice. Region 000000 is the national \
                calendar every region without its own falls back to. A year with no calendar \
                is counted Monday to Friday, and its deadlines are marked provisional.
                """,
            subcommands: [loadCalendar, showCalendar, listCalendars])
    }

    static var loadCalendar: Command {
        Command(
            name: "load",
            abstract: "Load or replace calendars from a JSON file.",
            discussion: """
                The file holds one Calendar object in proto3 JSON, an array of them, or an \
                object with a calendars array (as in a catalogue file). Dates are YYYY-MM-DD.
                """,
            arguments: [
                Argument(name: "file", help: "A calendar JSON file; - reads standard input.")
            ],
            examples: [
                "monctl calendar load calendar-2027.json",
                "echo '{\"regionCode\": \"000000\", \"year\": 2027, "
                    + "\"holidays\": [\"2027-01-01\"], \"source\": \"国办发明电〔2026〕X号\"}' "
                    + "| monctl calendar load -",
            ],
            run: runLoadCalendar)
    }

    private static func runLoadCalendar(_ invocation: Invocation) async throws {
        let path = invocation.argument("file")
        let bytes = try readInputFile(path, what: "calendars in JSON")
        let root: JSONValue
        do {
            root = try JSONValue(parsing: bytes)
        } catch {
            throw Failure.input("\(path): \(error)")
        }
        var elements: [JSONValue]
        switch root {
        case .array(let array): elements = array
        case .object(let object) where object["calendars"] != nil:
            guard case .array(let array) = object["calendars"]! else {
                throw Failure.input("\(path): calendars: expected an array of calendars")
            }
            elements = array
        default: elements = [root]
        }
        var calendars: [Messages.Calendar] = []
        for (index, element) in elements.enumerated() {
            do {
                calendars.append(try Messages.Calendar(jsonValue: element, options: .init()))
            } catch {
                let place = elements.count > 1 ? "calendars[\(index)]: " : ""
                throw Failure.input("\(path): \(place)\(error)")
            }
        }
        do {
            _ = try CatalogueDocument(calendars: calendars).calendar(over: nil)
        } catch {
            throw Failure.input(problemLines(error, file: path))
        }
        let changes = try await invocation.withConnection { connection in
            var changes: [CatalogueChange] = []
            for calendar in calendars {
                changes.append(
                    try await connection.call(
                        CatalogueService.putCalendar, PutCalendarRequest(calendar: calendar)))
            }
            return changes
        }
        if invocation.json {
            var object = JSONObject()
            object.append("changes", .array(changes.map { $0.jsonValue() }))
            return invocation.output.json(.object(object))
        }
        for (calendar, change) in zip(calendars, changes) {
            invocation.output.line(
                "loaded calendar \(calendar.regionCode)/\(calendar.year) "
                    + "(\(counted(calendar.holidays.count, "holiday")), "
                    + "\(counted(calendar.makeupWorkdays.count, "make-up working day"))): "
                    + "catalogue version \(change.version), "
                    + "\(counted(Int(change.casesRecomputed), "open case")) recomputed")
        }
    }

    static var showCalendar: Command {
        Command(
            name: "show",
            abstract: "Show one region's calendar for one year.",
            arguments: [
                Argument(name: "region", help: "The six-digit region code (000000: national)."),
                Argument(name: "year", help: "The year, e.g. 2026."),
            ],
            examples: ["monctl calendar show 000000 2026"],
            run: { invocation in
                let year: Int32 = try parseInteger(
                    invocation.argument("year"), name: "<year>", in: 2000...2100)
                let calendar = try await invocation.withConnection {
                    try await $0.call(
                        CatalogueService.getCalendar,
                        GetCalendarRequest(regionCode: invocation.argument("region"), year: year))
                }
                if invocation.json { return invocation.output.json(calendar) }
                var details = Details()
                details.add("calendar", "region \(calendar.regionCode), \(calendar.year)")
                details.add("source", calendar.source)
                details.add("holidays", dateRuns(calendar.holidays))
                details.add("make-up days (调休)", calendar.makeupWorkdays.joined(separator: ", "))
                invocation.output.write(details.render())
            })
    }

    /// Consecutive dates shown as ranges: `2026-10-01..2026-10-07`.
    static func dateRuns(_ dates: [String]) -> String {
        var runs: [(first: String, last: String)] = []
        for date in dates.sorted() {
            if let run = runs.last, let last = Timestamp(rfc3339: run.last + "T00:00:00Z"),
                let day = Timestamp(rfc3339: date + "T00:00:00Z"),
                day.seconds - last.seconds == 86_400
            {
                runs[runs.count - 1].last = date
            } else {
                runs.append((date, date))
            }
        }
        return runs.map { $0.first == $0.last ? $0.first : "\($0.first)..\($0.last)" }
            .joined(separator: ", ")
    }

    static var listCalendars: Command {
        Command(
            name: "list",
            abstract: "List the calendars loaded, by region and year.",
            options: [.value("region", "code", "Only this region's calendars.")],
            examples: ["monctl calendar list", "monctl calendar list --region 330899"],
            run: { invocation in
                let response = try await invocation.withConnection {
                    try await $0.call(
                        CatalogueService.listCalendars,
                        ListCalendarsRequest(regionCode: invocation.option("region") ?? ""))
                }
                if invocation.json { return invocation.output.json(response) }
                guard !response.calendars.isEmpty else {
                    return noteEmpty(invocation, "no calendars loaded")
                }
                var table = Table("REGION", "YEAR", "SOURCE")
                for calendar in response.calendars {
                    table.append(calendar.regionCode, "\(calendar.year)", calendar.source)
                }
                invocation.output.write(table.render())
            })
    }

    // MARK: Scoring schemes

    static var schemes: Command {
        Command(
            name: "schemes",
            abstract: "List and publish versions of the monthly scoring scheme (绩效评估).",
            subcommands: [
                Command(
                    name: "list",
                    abstract: "List the published scoring schemes.",
                    examples: ["monctl schemes list"],
                    run: { invocation in
                        let response = try await invocation.withConnection {
                            try await $0.call(
                                CatalogueService.listScoringSchemes, ListScoringSchemesRequest())
                        }
                        if invocation.json { return invocation.output.json(response) }
                        guard !response.schemes.isEmpty else {
                            return noteEmpty(invocation, "no scoring schemes published")
                        }
                        var table = Table(
                            "VERSION", "NAME", "FROM", "BASE", "YELLOW", "RED", "PUBLISHED")
                        for scheme in response.schemes {
                            table.append(
                                "\(scheme.version)", scheme.name, scheme.effectiveFrom,
                                points(scheme.baseScore), "-" + points(scheme.yellowCardPoints),
                                "-" + points(scheme.redCardPoints), Format.time(scheme.publishedAt))
                        }
                        invocation.output.write(table.render())
                    }),
                Command(
                    name: "publish",
                    abstract: "Publish a new scoring scheme version from a JSON file.",
                    arguments: [
                        Argument(
                            name: "file",
                            help: "A ScoringScheme JSON file; - reads standard input.")
                    ],
                    examples: ["monctl schemes publish scheme-2027.json"],
                    run: { invocation in
                        let scheme = try readMessage(
                            ScoringScheme.self, from: invocation.argument("file"),
                            what: "a scoring scheme in JSON")
                        let published = try await invocation.withConnection {
                            try await $0.call(
                                CatalogueService.putScoringScheme,
                                PutScoringSchemeRequest(scheme: scheme))
                        }
                        if invocation.json { return invocation.output.json(published) }
                        invocation.output.line(
                            "published scoring scheme version \(published.version) "
                                + "(\(quote(published.name))), effective from "
                                + published.effectiveFrom)
                    }),
            ])
    }

    private static func points(_ value: Double) -> String {
        value == value.rounded() ? "\(Int64(value))" : "\(value)"
    }
}

/// `elements` in consecutive slices of at most `size`.
func chunks<T>(_ elements: [T], of size: Int) -> [[T]] {
    stride(from: 0, to: elements.count, by: size).map {
        Array(elements[$0..<min($0 + size, elements.count)])
    }
}
