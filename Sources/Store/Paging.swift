import Foundation

/// The key of the last row of a page, carried to the client as an opaque
/// string so the next page starts strictly after it (keyset pagination: no
/// OFFSET, so a deep page costs what the first one does).
///
/// The text is base64url of a JSON array whose first element names the query
/// the token belongs to, so a token from another query is refused instead of
/// being misread.
struct PageToken {
    /// The query the token belongs to ("cases", "alerts", ...).
    let query: String
    /// The sort key of the last row returned: integers and strings.
    let key: [KeyPart]

    /// One component of a sort key.
    enum KeyPart: Equatable {
        case integer(Int64)
        case text(String)
    }

    init(query: String, key: [KeyPart]) {
        self.query = query
        self.key = key
    }

    /// Decodes `text`, checking that it belongs to `query` and has the
    /// expected kinds of key parts.
    init(decoding text: String, query: String, shape: [KeyKind]) throws {
        let invalid = StoreError.invalidArgument(
            name: "page_token", value: text,
            expected: "a token returned by the previous page of the same \(query) query")
        var base64 = text.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
            let array = try? JSONSerialization.jsonObject(with: data) as? [Any],
            array.count == shape.count + 1,
            array.first as? String == query
        else { throw invalid }

        var parts: [KeyPart] = []
        for (value, kind) in zip(array.dropFirst(), shape) {
            switch kind {
            case .integer:
                guard let number = value as? NSNumber, !(value is String) else { throw invalid }
                parts.append(.integer(number.int64Value))
            case .text:
                guard let string = value as? String else { throw invalid }
                parts.append(.text(string))
            }
        }
        self.query = query
        self.key = parts
    }

    /// The kind of one key part, for decoding.
    enum KeyKind {
        case integer
        case text
    }

    /// The opaque text handed to the client.
    var encoded: String {
        var array: [Any] = [query]
        for part in key {
            switch part {
            case .integer(let value): array.append(NSNumber(value: value))
            case .text(let value): array.append(value)
            }
        }
        // An array of numbers and strings always serialises.
        let data = (try? JSONSerialization.data(withJSONObject: array)) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The key parts as values to bind to a row-value comparison.
    var values: [any SQLValue] {
        key.map { part -> any SQLValue in
            switch part {
            case .integer(let value): return value
            case .text(let value): return value
            }
        }
    }
}

/// Builds a WHERE clause and its bound values piece by piece.
struct Conditions {
    private(set) var clauses: [String] = []
    private(set) var values: [any SQLValue] = []

    /// Adds `clause` with its values.
    mutating func add(_ clause: String, _ bound: [any SQLValue] = []) {
        clauses.append(clause)
        values.append(contentsOf: bound)
    }

    /// Adds `column IN (...)` unless the set is empty (which means "any").
    mutating func addIn<T: SQLValue & Comparable>(_ column: String, _ set: Set<T>) {
        guard !set.isEmpty else { return }
        if set.count == 1, let only = set.first {
            add("\(column) = ?", [only])
            return
        }
        let marks = Array(repeating: "?", count: set.count).joined(separator: ", ")
        add("\(column) IN (\(marks))", set.sorted())
    }

    /// Adds an alert filter's conditions; the alert table and the alert log
    /// name these columns alike.
    mutating func add(_ filter: AlertFilter) {
        addIn("department", filter.departments)
        addIn("level", filter.levels)
        addIn("rule", filter.rules)
        addIn("status", filter.statuses)
        if let caseID = filter.caseID {
            add("case_id = ?", [caseID])
        }
    }

    /// "WHERE a AND b", or "" when there is no condition.
    var sql: String {
        clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
    }
}

/// Checks a caller's page size: 1 to 1,000, with 0 meaning the default.
func checkedPageSize(_ size: Int, default defaultSize: Int = 100) throws -> Int {
    if size == 0 { return defaultSize }
    guard (1...1000).contains(size) else {
        throw StoreError.invalidArgument(
            name: "page_size", value: "\(size)", expected: "1 to 1000, or 0 for the default")
    }
    return size
}
