/// A JSON value (RFC 8259), as parsed or about to be written.
///
/// Numbers keep their text, so a 64-bit integer or a long decimal passes
/// through without rounding. Objects keep their members in order, which makes
/// the writer's output deterministic.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its text in RFC 8259 syntax (e.g. "-12", "1.5e3").
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in order.
    case object(JSONObject)

    /// A number from an integer.
    public static func integer<T: BinaryInteger>(_ value: T) -> JSONValue {
        .number(String(value))
    }

    /// The value as a short phrase for error messages: `"X"`, `12`, `an object`.
    var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let text): return text
        case .string(let s):
            let shown = s.count > 40 ? String(s.prefix(40)) + "..." : s
            return JSONValue.string(shown).serialized()
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object: members in the order they were written or added.
public struct JSONObject: Sendable, Hashable {
    /// One `"key": value` member.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, in order. Keys are unique in parsed objects.
    public var members: [Member]

    /// Creates an object from members.
    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// The value of the first member named `key`; setting appends or replaces.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without looking for an existing one of that name.
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }
}
