import Engine
import Messages

/// The catalogue in the interface standard's messages: departments, items,
/// the centre's rule settings and calendars, as an administrator loads them
/// and as a catalogue file holds them.
///
/// The file form is one JSON object whose members are in proto3 JSON:
///
/// ```json
/// {"departments": [{"code": "330899-WJJ", "name": "卫生健康局", "regionCode": "330899"}],
///  "items": [{"code": "330899-WJJ-002", "departmentCode": "330899-WJJ",
///             "legalLimitDays": 20, "promisedLimitDays": 5}],
///  "ruleSettings": {"lateReportingHours": 48},
///  "calendars": [{"regionCode": "000000", "year": 2027, "holidays": ["2027-01-01"]}]}
/// ```
///
/// `ruleSettings` and `calendars` may be left out (the built-in defaults and
/// the shipped official calendar then apply); `rule_settings` is accepted
/// for `ruleSettings`, as proto names are for every field.
public struct CatalogueDocument: Hashable, Sendable {
    /// The departments (部门).
    public var departments: [Messages.Department]
    /// The items (事项) with their limits.
    public var items: [Messages.Item]
    /// The centre's rule settings; nil for the built-in defaults.
    public var ruleSettings: Messages.RuleSettings?
    /// Calendars laid over the official one, one region's year each.
    public var calendars: [Messages.Calendar]

    /// Creates a document.
    public init(
        departments: [Messages.Department] = [], items: [Messages.Item] = [],
        ruleSettings: Messages.RuleSettings? = nil, calendars: [Messages.Calendar] = []
    ) {
        self.departments = departments
        self.items = items
        self.ruleSettings = ruleSettings
        self.calendars = calendars
    }

    /// The document for an engine catalogue, departments and items by code,
    /// and the calendars of `calendar` when one is given.
    public init(catalogue: Catalogue, calendar: WorkingCalendar? = nil) {
        let centre = Messages.RuleSettings(catalogue.centreRules)
        self.init(
            departments: catalogue.departments.keys.sorted().map {
                Messages.Department(catalogue.departments[$0]!)
            },
            items: catalogue.items.keys.sorted().map { Messages.Item(catalogue.items[$0]!) },
            ruleSettings: centre == Messages.RuleSettings() ? nil : centre,
            calendars: calendar?.calendarMessages ?? [])
    }

    /// Reads the file form.
    ///
    /// - Throws: ``ValidationError``: for text that is not JSON, the line
    ///   and column; for JSON that does not fit, the path of the value in
    ///   `.proto` names (`items[3].legal_limit_days`) and what was expected.
    public init(jsonString text: String) throws(ValidationError) {
        try self.init(jsonUTF8: Array(text.utf8))
    }

    /// Reads the file form from UTF-8 bytes; a byte order mark at the start
    /// is skipped.
    ///
    /// - Throws: ``ValidationError``, as ``init(jsonString:)``.
    public init(jsonUTF8 bytes: [UInt8]) throws(ValidationError) {
        let root: JSONValue
        do {
            let text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            root = try JSONValue(parsing: text)
        } catch {
            throw ValidationError(field: "", reason: "\(error)")
        }
        guard case .object(let object) = root else {
            throw ValidationError(
                field: "",
                reason: "expected an object with departments, items, ruleSettings and calendars")
        }
        self.init()
        var list = ProblemList()
        for member in object.members {
            switch member.key {
            case "departments":
                departments = decodeList(member.value, "departments", into: &list)
            case "items":
                items = decodeList(member.value, "items", into: &list)
            case "ruleSettings", "rule_settings":
                if case .null = member.value { continue }
                ruleSettings = decode(member.value, "rule_settings", into: &list)
            case "calendars":
                calendars = decodeList(member.value, "calendars", into: &list)
            default:
                list.add(
                    FieldPath.protoNames(fromJSON: member.key),
                    "is not a member of a catalogue; expected departments, items, ruleSettings "
                        + "or calendars")
            }
        }
        try list.check()
    }

    /// The file form, as a JSON value in proto3 JSON.
    public func jsonValue() -> JSONValue {
        var object = JSONObject()
        object.append("departments", .array(departments.map { $0.jsonValue() }))
        object.append("items", .array(items.map { $0.jsonValue() }))
        if let ruleSettings { object.append("ruleSettings", ruleSettings.jsonValue()) }
        if !calendars.isEmpty {
            object.append("calendars", .array(calendars.map { $0.jsonValue() }))
        }
        return .object(object)
    }

    /// The file form as text.
    public func jsonString(pretty: Bool = true) -> String {
        jsonValue().serialized(pretty: pretty)
    }

    /// The engine's catalogue of these departments, items and settings.
    ///
    /// - Throws: ``ValidationError`` naming every problem, under
    ///   `departments[i]`, `items[i]` or `rule_settings`: each message's own
    ///   (see ``Engine/Item/init(_:departmentCodes:)``), a code given twice,
    ///   an item whose department is not in the catalogue.
    public func catalogue(version: Int = 1) throws(ValidationError) -> Catalogue {
        var list = ProblemList()
        var engineDepartments: [Engine.Department] = []
        var departmentIndex: [String: Int] = [:]
        for (index, message) in departments.enumerated() {
            let path = FieldPath.index("departments", index)
            if let first = departmentIndex[message.code] {
                list.add(
                    path + ".code",
                    "\(quoted(message.code)) is given twice (first at departments[\(first)]); "
                        + "expected each department once")
                continue
            }
            if !message.code.isEmpty { departmentIndex[message.code] = index }
            do {
                engineDepartments.append(try Engine.Department(message))
            } catch {
                list.append(contentsOf: error.problems, under: path)
            }
        }
        let codes = Set(departmentIndex.keys)
        var engineItems: [Engine.Item] = []
        var itemIndex: [String: Int] = [:]
        for (index, message) in items.enumerated() {
            let path = FieldPath.index("items", index)
            if let first = itemIndex[message.code] {
                list.add(
                    path + ".code",
                    "\(quoted(message.code)) is given twice (first at items[\(first)]); "
                        + "expected each item once")
                continue
            }
            if !message.code.isEmpty { itemIndex[message.code] = index }
            do {
                engineItems.append(try Engine.Item(message, departmentCodes: codes))
            } catch {
                list.append(contentsOf: error.problems, under: path)
            }
        }
        var centre = RuleOverrides()
        if let ruleSettings {
            do {
                centre = try RuleOverrides(ruleSettings)
            } catch {
                list.append(contentsOf: error.problems, under: "rule_settings")
            }
        }
        try list.check()
        do {
            return try Catalogue(
                version: version, departments: engineDepartments, items: engineItems,
                centreRules: centre)
        } catch {
            // Everything the engine checks was checked above with its field;
            // should the engine still refuse, its sentence is kept.
            throw ValidationError(field: "", reason: error.description)
        }
    }

    /// The working-day calendar: these calendars laid over `base`.
    ///
    /// - Throws: ``ValidationError`` under `calendars[i]`.
    public func calendar(version: Int = 1, over base: WorkingCalendar?) throws(ValidationError)
        -> WorkingCalendar
    {
        try WorkingCalendar(version: version, messages: calendars, over: base)
    }
}

/// Decodes one message from JSON, adding any problem under `path`.
private func decode<M: ProtoMessage>(
    _ value: JSONValue, _ path: String, into list: inout ProblemList
) -> M? {
    do {
        return try M(jsonValue: value, options: JSONDecodingOptions())
    } catch let error as JSONDecodingError {
        list.add(FieldPath.join(path, FieldPath.protoNames(fromJSON: error.path)), error.reason)
    } catch {
        list.add(path, "\(error)")
    }
    return nil
}

/// Decodes a JSON array of messages, adding problems under `path[i]`.
private func decodeList<M: ProtoMessage>(
    _ value: JSONValue, _ path: String, into list: inout ProblemList
) -> [M] {
    switch value {
    case .null:
        return []
    case .array(let elements):
        return elements.enumerated().compactMap { index, element in
            decode(element, FieldPath.index(path, index), into: &list)
        }
    default:
        list.add(path, "expected an array of \(M.protoMessageName) objects")
        return []
    }
}
