/// Custom metadata of a call: an ordered multimap of lowercase keys to values, sent as
/// HTTP/2 headers (request, response) or trailers.
///
/// A key ending in `-bin` carries bytes, base64-encoded on the wire; every other key
/// carries printable ASCII text. Headers the protocol reserves for itself (pseudo
/// headers, `content-type`, `te`, `grpc-status`, `grpc-message`, `grpc-timeout`,
/// `grpc-encoding`, `grpc-accept-encoding`) never appear here: the transport writes
/// and reads them.
///
/// ```swift
/// var metadata: Metadata = ["x-request-source": "county-portal"]
/// metadata.add("x-trace-bin", bytes: [0x01, 0x02])
/// let source = metadata["x-request-source"]   // "county-portal"
/// ```
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One value: text for ordinary keys, bytes for `-bin` keys.
    public enum Value: Sendable, Hashable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        /// Printable ASCII text.
        case string(String)
        /// Arbitrary bytes, carried by a key ending in `-bin`.
        case binary([UInt8])

        /// Makes a text value from a literal.
        public init(stringLiteral text: String) {
            self = .string(text)
        }

        /// The text, or the bytes in base64.
        public var description: String {
            switch self {
            case .string(let text): return text
            case .binary(let bytes): return Base64.encode(bytes, padded: true)
            }
        }
    }

    /// One entry of the multimap.
    public typealias Element = (key: String, value: Value)

    private var entries: [(key: String, value: Value)]

    /// Makes empty metadata.
    public init() {
        entries = []
    }

    /// Makes metadata from pairs, in order; keys are lowercased.
    public init(dictionaryLiteral elements: (String, Value)...) {
        entries = []
        for (key, value) in elements {
            switch value {
            case .string(let text): add(key, text)
            case .binary(let bytes): add(key, bytes: bytes)
            }
        }
    }

    /// The number of entries, counting every value of a repeated key.
    public var count: Int { entries.count }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends a text value under `key` (lowercased). A `-bin` key stores the text's
    /// UTF-8 bytes.
    public mutating func add(_ key: String, _ value: String) {
        let key = key.lowercased()
        if Self.isBinaryKey(key) {
            entries.append((key, .binary(Array(value.utf8))))
        } else {
            entries.append((key, .string(value)))
        }
    }

    /// Appends a byte value under `key` (lowercased), which must end in `-bin`: the
    /// protocol carries bytes only under such keys.
    public mutating func add(_ key: String, bytes: [UInt8]) {
        let key = key.lowercased()
        precondition(
            Self.isBinaryKey(key),
            "metadata key '\(key)' carries bytes, so it must end in '-bin'")
        entries.append((key, .binary(bytes)))
    }

    /// The first text value under `key`, or the base64 form of the first byte value.
    public subscript(key: String) -> String? {
        first(for: key)?.description
    }

    /// The first value under `key`, or nil.
    public func first(for key: String) -> Value? {
        let key = key.lowercased()
        return entries.first { $0.key == key }?.value
    }

    /// Every value under `key`, in the order they were added.
    public func values(for key: String) -> [Value] {
        let key = key.lowercased()
        return entries.filter { $0.key == key }.map(\.value)
    }

    /// Removes every value under `key`; returns whether any was there.
    @discardableResult
    public mutating func remove(_ key: String) -> Bool {
        let key = key.lowercased()
        let before = entries.count
        entries.removeAll { $0.key == key }
        return entries.count != before
    }

    /// Iterates the entries in order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> {
        entries.makeIterator()
    }

    /// Compares entries in order.
    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Hashes the entries in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }

    static func isBinaryKey(_ key: String) -> Bool {
        key.utf8.count > 4 && key.hasSuffix("-bin")
    }

    /// Headers the transport owns; they are never surfaced as metadata nor taken from it.
    static func isReserved(_ key: String) -> Bool {
        if key.utf8.first == UInt8(ascii: ":") { return true }
        switch key {
        case "content-type", "te", "grpc-status", "grpc-message", "grpc-timeout",
            "grpc-encoding", "grpc-accept-encoding", "content-length", "connection",
            "transfer-encoding", "keep-alive", "upgrade", "host":
            return true
        default:
            return false
        }
    }

    /// Adds a header received from the wire. Reserved headers are skipped; a `-bin`
    /// value that is not base64 is an error naming the key.
    mutating func appendFromWire(name: String, value: [UInt8]) throws(RPCError) {
        if Self.isReserved(name) { return }
        if Self.isBinaryKey(name) {
            guard let bytes = Base64.decode(value) else {
                throw RPCError(
                    code: .internal,
                    message: "metadata '\(name)' is not valid base64")
            }
            entries.append((name, .binary(bytes)))
        } else {
            entries.append((name, .string(String(decoding: value, as: UTF8.self))))
        }
    }

    /// The entries as header fields, bytes base64-encoded without padding; reserved
    /// keys are left out so a caller cannot forge the transport's headers.
    func wireFields() -> [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(entries.count)
        for (key, value) in entries where !Self.isReserved(key) {
            switch value {
            case .string(let text): fields.append((key, text))
            case .binary(let bytes): fields.append((key, Base64.encode(bytes, padded: false)))
            }
        }
        return fields
    }
}
