import Foundation
import Interchange
import Messages

/// The catalogue's CSV forms: one file of items, or one of departments,
/// told apart by their header.
///
/// Items: `code,name,department_code,legal_limit_days` are required columns;
/// `kind`, `promised_limit_days`, `intake_limit_days`,
/// `legal_extension_days`, `undertake_days`, `review_days`, `approve_days`,
/// `fee_max_fen`, `fee_basis`, `allowed_procedures` (separated by `;`) and
/// `retired` may be added in any order. An empty cell leaves the field out,
/// so the documented default applies.
///
/// Departments: `code,name,region_code`, and optionally `retired`.
enum CatalogueCSV {
    /// The columns of an items file, in the order the docs list them.
    static let itemColumns = [
        "code", "name", "department_code", "kind", "legal_limit_days", "promised_limit_days",
        "intake_limit_days", "legal_extension_days", "undertake_days", "review_days",
        "approve_days", "fee_max_fen", "fee_basis", "allowed_procedures", "retired",
    ]
    static let requiredItemColumns = ["code", "name", "department_code", "legal_limit_days"]

    /// The columns of a departments file.
    static let departmentColumns = ["code", "name", "region_code", "retired"]
    static let requiredDepartmentColumns = ["code", "name", "region_code"]

    /// Reads a CSV file into a catalogue document holding its items or its
    /// departments.
    ///
    /// - Throws: ``Failure`` (invalid input) listing every problem as
    ///   `file:line: column: what was wrong; expected ...`.
    static func document(from text: String, name: String) throws -> CatalogueFile {
        let records = try parseCSV(text, name: name)
        guard let header = records.first else {
            throw Failure.input("\(name) is empty; expected a header line, e.g. "
                + requiredItemColumns.joined(separator: ","))
        }
        let columns = header.fields.map(normalise)
        let isDepartments = columns.contains("region_code") && !columns.contains("legal_limit_days")
        let known = isDepartments ? departmentColumns : itemColumns
        let required = isDepartments ? requiredDepartmentColumns : requiredItemColumns

        var problems: [String] = []
        for (index, column) in columns.enumerated() where !known.contains(column) {
            problems.append(
                "\(name):\(header.line): column \(index + 1) \(quote(header.fields[index])) is "
                    + "not a column of \(isDepartments ? "departments" : "items")"
                    + (didYouMean(column, among: known).isEmpty
                        ? "; known: " + known.joined(separator: ",")
                        : didYouMean(column, among: known)))
        }
        let missing = required.filter { !columns.contains($0) }
        if !missing.isEmpty {
            problems.append(
                "\(name):\(header.line): the header lacks " + listing(missing, conjunction: "and")
                    + "; an \(isDepartments ? "departments" : "items") file needs "
                    + required.joined(separator: ","))
        }
        if !problems.isEmpty { throw Failure.input(problems.joined(separator: "\n")) }

        var document = CatalogueDocument()
        var lines: [Int] = []
        for record in records.dropFirst() {
            var row = Row(record: record, columns: columns, file: name)
            if record.fields.count != columns.count {
                problems.append(
                    "\(name):\(record.line): has \(record.fields.count) fields; the header has "
                        + "\(columns.count)")
                continue
            }
            if isDepartments {
                document.departments.append(row.department())
            } else {
                document.items.append(row.item())
            }
            lines.append(record.line)
            problems += row.problems
        }
        if !problems.isEmpty {
            let shown = problems.prefix(50)
            var text = shown.joined(separator: "\n")
            if problems.count > shown.count {
                text += "\n... and \(problems.count - shown.count) more problems"
            }
            throw Failure.input(text)
        }
        return CatalogueFile(
            document: document, name: name, lines: [isDepartments ? "departments" : "items": lines])
    }

    /// `Legal Limit Days`, `legalLimitDays` and `legal-limit-days` all name
    /// `legal_limit_days`.
    static func normalise(_ header: String) -> String {
        var out = ""
        for character in header.trimmingCharacters(in: .whitespaces) {
            if character.isUppercase {
                if !out.isEmpty && out.last != "_" { out += "_" }
                out += character.lowercased()
            } else if character == " " || character == "-" {
                if out.last != "_" { out += "_" }
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// One data line, read cell by cell, collecting problems.
    private struct Row {
        let record: CSVRecord
        let columns: [String]
        let file: String
        var problems: [String] = []

        init(record: CSVRecord, columns: [String], file: String) {
            self.record = record
            self.columns = columns
            self.file = file
        }

        func cell(_ column: String) -> String {
            guard let index = columns.firstIndex(of: column), index < record.fields.count
            else { return "" }
            return record.fields[index].trimmingCharacters(in: .whitespaces)
        }

        mutating func problem(_ column: String, _ text: String) {
            problems.append("\(file):\(record.line): \(column): \(text)")
        }

        mutating func days(_ column: String) -> UInt32? {
            let text = cell(column)
            guard !text.isEmpty else { return nil }
            guard let value = UInt32(text), value <= MessageBounds.limitDays else {
                problem(
                    column,
                    "\(quote(text)) is not a whole number of working days from 0 to "
                        + "\(MessageBounds.limitDays)")
                return nil
            }
            return value
        }

        mutating func flag(_ column: String) -> Bool {
            switch cell(column).lowercased() {
            case "", "false", "no", "0": return false
            case "true", "yes", "1": return true
            default:
                problem(column, "\(quote(cell(column))) is not true or false")
                return false
            }
        }

        mutating func department() -> Messages.Department {
            Messages.Department(
                code: cell("code"), name: cell("name"), regionCode: cell("region_code"),
                retired: flag("retired"))
        }

        mutating func item() -> Messages.Item {
            var item = Messages.Item()
            item.code = cell("code")
            item.name = cell("name")
            item.departmentCode = cell("department_code")
            if !cell("kind").isEmpty {
                do {
                    item.kind = try Choices.itemKind.parse(cell("kind"), name: "kind")
                } catch {
                    problem("kind", "\(quote(cell("kind"))) is not an item kind; expected "
                        + listing(Choices.itemKind.names))
                }
            }
            if cell("legal_limit_days").isEmpty {
                problem("legal_limit_days", "is empty; expected the legal limit in working days")
            } else {
                item.legalLimitDays = days("legal_limit_days") ?? 0
            }
            item.promisedLimitDays = days("promised_limit_days")
            item.intakeLimitDays = days("intake_limit_days")
            item.legalExtensionDays = days("legal_extension_days")
            let steps = StepLimits(
                undertakeDays: days("undertake_days"), reviewDays: days("review_days"),
                approveDays: days("approve_days"))
            if steps != StepLimits() { item.stepLimits = steps }
            let fee = cell("fee_max_fen")
            if !fee.isEmpty {
                if let fen = Int64(fee), fen >= 0, fen <= MessageBounds.amountFen {
                    item.feeStandard = FeeStandard(maxFen: fen, basis: cell("fee_basis"))
                } else {
                    problem("fee_max_fen", "\(quote(fee)) is not an amount in fen from 0 to "
                        + "\(MessageBounds.amountFen)")
                }
            } else if !cell("fee_basis").isEmpty {
                problem("fee_basis", "is given without fee_max_fen; expected both or neither")
            }
            let procedures = cell("allowed_procedures")
                .split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "," })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for name in procedures {
                do {
                    item.allowedProcedures.append(
                        try Choices.procedure.parse(name, name: "allowed_procedures"))
                } catch {
                    problem(
                        "allowed_procedures",
                        "\(quote(name)) is not a special procedure type; expected "
                            + listing(Choices.procedure.names) + " (separated by ;)")
                }
            }
            item.retired = flag("retired")
            return item
        }
    }
}

/// A catalogue read from a file, with the line each entry came from when
/// the file was CSV, so that problems found later point at lines.
struct CatalogueFile {
    /// What the file holds.
    var document: CatalogueDocument
    /// The file's name as given.
    var name: String
    /// For CSV: the line of each entry of `departments` or `items`.
    var lines: [String: [Int]] = [:]

    /// Every problem of an error, one line each: `file:LINE: field: reason`
    /// for a CSV entry, `file: field: reason` otherwise.
    func describe(_ error: any Error) -> String {
        guard let error = error as? ValidationError else { return "\(name): \(error)" }
        return error.problems.map(describe).joined(separator: "\n")
    }

    private func describe(_ problem: FieldProblem) -> String {
        for (list, numbers) in lines where problem.field.hasPrefix(list + "[") {
            let rest = problem.field.dropFirst(list.count + 1)
            guard let close = rest.firstIndex(of: "]"), let index = Int(rest[..<close]),
                index < numbers.count
            else { continue }
            var field = rest[rest.index(after: close)...]
            if field.hasPrefix(".") { field = field.dropFirst() }
            return "\(name):\(numbers[index]): "
                + (field.isEmpty ? problem.reason : "\(field): \(problem.reason)")
        }
        return "\(name): \(problem)"
    }
}
