/// Choices for writing a message's JSON form.
public struct JSONEncodingOptions: Sendable, Hashable {
    /// Write the .proto field names ("event_id") instead of the lowerCamelCase
    /// JSON names ("eventId").
    public var useProtoFieldNames: Bool
    /// Write fields without presence even when they hold their default (0,
    /// "", false, the zero enum value, empty lists and maps).
    public var emitDefaultValues: Bool

    /// Creates options; the defaults give proto3's canonical JSON.
    public init(useProtoFieldNames: Bool = false, emitDefaultValues: Bool = false) {
        self.useProtoFieldNames = useProtoFieldNames
        self.emitDefaultValues = emitDefaultValues
    }
}

/// Choices for reading a message from JSON.
public struct JSONDecodingOptions: Sendable, Hashable {
    /// Skip members that name no field (and enum names that name no value)
    /// instead of failing; for reading JSON written by a newer peer.
    public var ignoreUnknownFields: Bool

    /// Creates options; by default an unknown field is an error.
    public init(ignoreUnknownFields: Bool = false) {
        self.ignoreUnknownFields = ignoreUnknownFields
    }
}

/// Why JSON text could not be read as a message.
///
/// A syntax error gives the line and column in the text; a mapping error gives
/// the JSON path of the value, e.g. "received.applicant.idType", and what
/// was expected there.
public struct JSONDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Whether the text was not JSON, or the JSON did not fit the message.
    public enum Kind: Sendable, Hashable {
        /// The text breaks RFC 8259.
        case syntax
        /// The JSON is well formed but does not match the message.
        case mapping
    }

    /// Whether the text was not JSON, or the JSON did not fit the message.
    public var kind: Kind
    /// For a mapping error, the path of the offending value ("" for the whole
    /// message); empty for a syntax error.
    public var path: String
    /// For a syntax error, the 1-based line and column (in characters); 0 for
    /// a mapping error.
    public var line: Int
    /// See ``line``.
    public var column: Int
    /// What was wrong and what was expected.
    public var reason: String

    /// Creates an error.
    public init(kind: Kind, path: String, line: Int, column: Int, reason: String) {
        self.kind = kind
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// One line: "line 2, column 5: ..." or "received.applicant.idType: ...".
    public var description: String {
        switch kind {
        case .syntax: return "invalid JSON at line \(line), column \(column): \(reason)"
        case .mapping: return path.isEmpty ? reason : "\(path): \(reason)"
        }
    }

    static func mapping(_ path: String, _ reason: String) -> JSONDecodingError {
        JSONDecodingError(kind: .mapping, path: path, line: 0, column: 0, reason: reason)
    }

    static func syntax(
        in input: UnsafeBufferPointer<UInt8>, offset: Int, reason: String
    ) -> JSONDecodingError {
        var line = 1
        var column = 1
        for i in 0..<Swift.min(offset, input.count) {
            let byte = input[i]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONDecodingError(kind: .syntax, path: "", line: line, column: column,
                                 reason: reason)
    }
}

/// A value that reads itself from JSON, knowing its path for error messages.
protocol JSONPathDecodable {
    init(json: JSONValue, path: String, options: JSONDecodingOptions) throws(JSONDecodingError)
}

/// Path arithmetic for error messages.
enum JSONPath {
    static func member(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }

    static func index(_ path: String, _ i: Int) -> String {
        "\(path)[\(i)]"
    }

    static func key(_ path: String, _ key: String) -> String {
        "\(path)[\(JSONValue.string(key).serialized())]"
    }
}

/// Reading proto3 JSON values, for the generated code.
enum JSONRead {
    static func object(
        _ value: JSONValue, _ path: String, _ messageName: String
    ) throws(JSONDecodingError) -> JSONObject {
        guard case .object(let object) = value else {
            throw .mapping(path, "expected an object for \(messageName), got \(value.summary)")
        }
        return object
    }

    static func unknownField(
        _ key: String, _ path: String, _ messageName: String
    ) -> JSONDecodingError {
        .mapping(path, "unknown field \(JSONValue.string(key).serialized()) in \(messageName)")
    }

    static func string(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> String {
        guard case .string(let s) = value else {
            throw .mapping(path, "expected a string, got \(value.summary)")
        }
        return s
    }

    static func bool(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> Bool {
        guard case .bool(let b) = value else {
            throw .mapping(path, "expected true or false, got \(value.summary)")
        }
        return b
    }

    /// An integer from a JSON number, or from a string of decimal digits (the
    /// form 64-bit integers are written in).
    static func integer<T: FixedWidthInteger>(
        _ value: JSONValue, _ path: String, _ typeName: String
    ) throws(JSONDecodingError) -> T {
        switch value {
        case .number(let text):
            if let n = T(text) { return n }
            if isIntegerText(text) {
                throw .mapping(path, "\(text) is out of range for \(typeName)")
            }
            // 1.0 or 1e3: a number with an integral value.
            if let d = Double(text), d.rounded() == d, let n = T(exactly: d) { return n }
            throw .mapping(path, "expected an integer (\(typeName)), got \(text)")
        case .string(let s):
            guard isIntegerText(s) else {
                throw .mapping(path, "expected an integer (\(typeName)), got \(value.summary)")
            }
            guard let n = T(s) else {
                throw .mapping(path, "\(s) is out of range for \(typeName)")
            }
            return n
        default:
            throw .mapping(path, "expected an integer (\(typeName)), got \(value.summary)")
        }
    }

    private static func isIntegerText(_ text: String) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func double(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> Double {
        switch value {
        case .number(let text):
            guard let d = Double(text), d.isFinite else {
                throw .mapping(path, "\(text) is out of range for double")
            }
            return d
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let s):
            guard let d = Double(s), d.isFinite, s.utf8.allSatisfy({ $0 > 0x20 }) else {
                throw .mapping(path, "expected a number, \"NaN\", \"Infinity\" or "
                    + "\"-Infinity\", got \(value.summary)")
            }
            return d
        default:
            throw .mapping(path, "expected a number, got \(value.summary)")
        }
    }

    static func float(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> Float {
        let d = try double(value, path)
        if d.isFinite && abs(d) > Double(Float.greatestFiniteMagnitude) {
            throw .mapping(path, "\(d) is out of range for float")
        }
        return Float(d)
    }

    static func bytes(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> [UInt8] {
        guard case .string(let s) = value, let bytes = Base64.decode(s) else {
            throw .mapping(path, "expected base64 text (standard or URL-safe alphabet), "
                + "got \(value.summary)")
        }
        return bytes
    }

    /// An enum value from its name or number; `nil` for an unknown name when
    /// unknown fields are ignored.
    static func enumValue<E: ProtoEnum>(
        _ value: JSONValue, _ path: String, _ options: JSONDecodingOptions
    ) throws(JSONDecodingError) -> E? {
        switch value {
        case .string(let name):
            if let e = E(protoName: name) { return e }
            if options.ignoreUnknownFields { return nil }
            let names = E.allCases.compactMap(\.protoName).joined(separator: ", ")
            throw .mapping(path, "expected one of \(names), got \(value.summary)")
        case .number:
            let n: Int32 = try integer(value, path, "enum \(E.protoEnumName)")
            return E(rawValue: n)
        default:
            throw .mapping(path, "expected a \(E.protoEnumName) name or number, "
                + "got \(value.summary)")
        }
    }

    /// The elements of a repeated field; `null` is an empty list.
    static func array(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> [JSONValue] {
        switch value {
        case .array(let elements): return elements
        case .null: return []
        default: throw .mapping(path, "expected an array, got \(value.summary)")
        }
    }

    /// The members of a map field; `null` is an empty map.
    static func map(_ value: JSONValue, _ path: String) throws(JSONDecodingError) -> JSONObject {
        switch value {
        case .object(let object): return object
        case .null: return JSONObject()
        default: throw .mapping(path, "expected an object (a map), got \(value.summary)")
        }
    }

    static func messages<M: JSONPathDecodable>(
        _ value: JSONValue, _ path: String, _ options: JSONDecodingOptions
    ) throws(JSONDecodingError) -> [M] {
        let elements = try array(value, path)
        var result: [M] = []
        result.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            result.append(try M(json: element, path: JSONPath.index(path, i), options: options))
        }
        return result
    }

    static func repeated<T>(
        _ value: JSONValue, _ path: String,
        _ read: (JSONValue, String) throws(JSONDecodingError) -> T
    ) throws(JSONDecodingError) -> [T] {
        let elements = try array(value, path)
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (i, element) in elements.enumerated() {
            result.append(try read(element, JSONPath.index(path, i)))
        }
        return result
    }

    static func enums<E: ProtoEnum>(
        _ value: JSONValue, _ path: String, _ options: JSONDecodingOptions
    ) throws(JSONDecodingError) -> [E] {
        let elements = try array(value, path)
        var result: [E] = []
        for (i, element) in elements.enumerated() {
            if let e: E = try enumValue(element, JSONPath.index(path, i), options) {
                result.append(e)
            }
        }
        return result
    }
}

/// Writing proto3 JSON values, for the generated code.
enum JSONWrite {
    /// 64-bit integers are strings, so that JavaScript readers keep every digit.
    static func int64<T: FixedWidthInteger>(_ value: T) -> JSONValue {
        .string(String(value))
    }

    static func int32<T: FixedWidthInteger>(_ value: T) -> JSONValue {
        .number(String(value))
    }

    static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return .number(value.description)
    }

    static func float(_ value: Float) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
        return .number(value.description)
    }

    static func bytes(_ value: [UInt8]) -> JSONValue {
        .string(Base64.encode(value))
    }

    /// An enum as its name; a number this build does not know stays a number.
    static func enumValue<E: ProtoEnum>(_ value: E) -> JSONValue {
        if let name = value.protoName { return .string(name) }
        return .number(String(value.rawValue))
    }
}
