/// A message of the interface standard: a value with a binary and a JSON form.
///
/// Every generated message type conforms, and so does ``Timestamp``. The
/// binary form is protobuf's wire format, produced and parsed by protobuf-c;
/// the JSON form is proto3's canonical JSON mapping.
///
/// ```swift
/// let bytes = event.serializedBytes()
/// let again = try CaseEvent(serializedBytes: bytes)
/// let json = event.jsonString()          // {"eventId":"e-1",...}
/// ```
public protocol ProtoMessage: Sendable, Hashable, CustomDebugStringConvertible {
    /// The message's full proto name, e.g. "monitor.v1.CaseEvent".
    static var protoMessageName: String { get }

    /// Creates a message with every field at its default.
    init()

    /// Encodes the message in protobuf's binary wire format.
    func serializedBytes() -> [UInt8]

    /// Decodes a message from protobuf's binary wire format.
    ///
    /// - Throws: ``MessageDecodingError`` when the bytes are not this message,
    ///   or a string field holds invalid UTF-8.
    init(serializedBytes bytes: [UInt8]) throws

    /// Decodes a message from part of a byte array, e.g. a received frame.
    ///
    /// - Throws: ``MessageDecodingError``, as ``init(serializedBytes:)``.
    init(serializedBytes bytes: ArraySlice<UInt8>) throws

    /// Returns the message's canonical JSON form as a value.
    func jsonValue(options: JSONEncodingOptions) -> JSONValue

    /// Reads a message from its JSON form.
    ///
    /// - Throws: ``JSONDecodingError`` naming the JSON path of the offending
    ///   value and what was expected there.
    init(jsonValue: JSONValue, options: JSONDecodingOptions) throws
}

extension ProtoMessage {
    /// Returns the message's canonical JSON text, compact or indented.
    public func jsonString(
        pretty: Bool = false, options: JSONEncodingOptions = JSONEncodingOptions()
    ) -> String {
        jsonValue(options: options).serialized(pretty: pretty)
    }

    /// Returns the message's canonical JSON form with the default options.
    public func jsonValue() -> JSONValue {
        jsonValue(options: JSONEncodingOptions())
    }

    /// Reads a message from JSON text.
    ///
    /// - Throws: ``JSONDecodingError``: a syntax error with its line and
    ///   column, or a mapping error with its JSON path.
    public init(
        jsonString text: String, options: JSONDecodingOptions = JSONDecodingOptions()
    ) throws {
        try self.init(jsonValue: try JSONValue(parsing: text), options: options)
    }

    /// Reads a message from JSON text held as UTF-8 bytes.
    ///
    /// - Throws: ``JSONDecodingError``, as ``init(jsonString:options:)``.
    public init(
        jsonUTF8 bytes: [UInt8], options: JSONDecodingOptions = JSONDecodingOptions()
    ) throws {
        try self.init(jsonValue: try JSONValue(parsing: bytes), options: options)
    }

    /// The message as indented canonical JSON, for logs and test failures.
    public var debugDescription: String {
        "\(Self.protoMessageName) \(jsonString(pretty: true))"
    }
}

/// An enum of the interface standard: open, as every proto3 enum is.
///
/// Each generated enum has a case per declared value and
/// `unrecognized(Int32)` for a number this build does not know, so a value
/// sent by a newer peer survives a round trip.
public protocol ProtoEnum: RawRepresentable, CaseIterable, Sendable, Hashable
where RawValue == Int32, AllCases == [Self] {
    /// The enum's full proto name, e.g. "monitor.v1.Level".
    static var protoEnumName: String { get }

    /// Creates the value with this number; unknown numbers are kept.
    init(rawValue: Int32)

    /// The value's proto name ("LEVEL_RED"), or `nil` for an unrecognized one.
    var protoName: String? { get }

    /// Creates the value with this proto name, or `nil` if there is none.
    init?(protoName: String)
}

/// Why bytes could not be decoded as a message.
///
/// protobuf-c reports only that parsing failed, so the error says which
/// message was expected and how many bytes there were; a string field with
/// invalid UTF-8 is named.
public struct MessageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full proto name of the message being decoded.
    public var messageName: String
    /// How many bytes were given.
    public var byteCount: Int
    /// The full proto name of the offending field, when one is known.
    public var field: String?
    /// What was wrong.
    public var reason: String

    /// Creates an error; the generated code and the runtime throw these.
    public init(messageName: String, byteCount: Int, field: String?, reason: String) {
        self.messageName = messageName
        self.byteCount = byteCount
        self.field = field
        self.reason = reason
    }

    /// One line: "malformed protobuf for monitor.v1.CaseEvent (12 bytes): ...".
    public var description: String {
        let at = field.map { " in field \($0)" } ?? ""
        return "malformed protobuf for \(messageName) (\(byteCount) bytes)\(at): \(reason)"
    }
}
