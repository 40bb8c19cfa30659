import CProtos

/// An instant: seconds and nanoseconds since 1970-01-01T00:00:00Z, as
/// google.protobuf.Timestamp carries it.
///
/// The interface standard sends every instant in this form (absolute, UTC);
/// China Standard Time is a matter of display. In JSON an instant is an
/// RFC 3339 string such as "2026-01-05T09:30:00Z"; offsets like "+08:00"
/// are accepted on input.
public struct Timestamp: ProtoMessage, Comparable {
    /// The message's full proto name.
    public static let protoMessageName = "google.protobuf.Timestamp"

    /// Whole seconds since 1970-01-01T00:00:00Z; negative before it.
    public var seconds: Int64
    /// Nanoseconds within the second, 0 to 999,999,999 (also for negative
    /// seconds: the instant is `seconds + nanos / 1e9`).
    public var nanos: Int32

    /// The first instant RFC 3339 can write: 0001-01-01T00:00:00Z.
    public static let minimumSeconds: Int64 = -62_135_596_800
    /// The last whole second RFC 3339 can write: 9999-12-31T23:59:59Z.
    public static let maximumSeconds: Int64 = 253_402_300_799

    /// Creates the instant 1970-01-01T00:00:00Z.
    public init() {
        seconds = 0
        nanos = 0
    }

    /// Creates an instant from seconds and nanoseconds since 1970.
    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// Creates an instant from nanoseconds since 1970.
    public init(nanosecondsSince1970 total: Int64) {
        let (q, r) = total.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.seconds = r < 0 ? q - 1 : q
        self.nanos = Int32(r < 0 ? r + 1_000_000_000 : r)
    }

    /// Parses an RFC 3339 instant: "2026-01-05T09:30:00Z",
    /// "2026-01-05T17:30:00.250+08:00".
    ///
    /// Returns `nil` when the text is not such an instant or lies outside
    /// years 1 to 9999.
    public init?(rfc3339 text: String) {
        guard let parsed = RFC3339.parse(text) else { return nil }
        self = parsed
    }

    /// The instant in RFC 3339 form, UTC, with 0, 3, 6 or 9 fraction digits.
    public var rfc3339: String {
        RFC3339.format(self)
    }

    /// Orders instants in time.
    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanos) < (b.seconds, b.nanos)
    }

    /// Encodes the instant in protobuf's binary wire format.
    public func serializedBytes() -> [UInt8] {
        packMessage(self)
    }

    /// Decodes an instant from protobuf's binary wire format.
    public init(serializedBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { raw throws(MessageDecodingError) in
            try unpackMessage(raw, as: Timestamp.self, name: Self.protoMessageName,
                              unpack: google__protobuf__timestamp__unpack)
        }
    }

    /// Decodes an instant from part of a byte array.
    public init(serializedBytes bytes: ArraySlice<UInt8>) throws {
        self = try bytes.withUnsafeBytes { raw throws(MessageDecodingError) in
            try unpackMessage(raw, as: Timestamp.self, name: Self.protoMessageName,
                              unpack: google__protobuf__timestamp__unpack)
        }
    }

    /// The instant as an RFC 3339 JSON string.
    public func jsonValue(options: JSONEncodingOptions) -> JSONValue {
        .string(rfc3339)
    }

    /// Reads an instant from an RFC 3339 JSON string.
    public init(jsonValue: JSONValue, options: JSONDecodingOptions) throws {
        try self.init(json: jsonValue, path: "", options: options)
    }
}

extension Timestamp: CMessageConvertible, JSONPathDecodable {
    func cMessage(in arena: inout Arena) -> UnsafeMutablePointer<Google__Protobuf__Timestamp> {
        let c = arena.allocate(Google__Protobuf__Timestamp.self)
        google__protobuf__timestamp__init(c)
        c.pointee.seconds = seconds
        c.pointee.nanos = nanos
        return c
    }

    init(cMessage c: UnsafePointer<Google__Protobuf__Timestamp>) throws(FieldDecodingError) {
        seconds = c.pointee.seconds
        nanos = c.pointee.nanos
    }

    init(json: JSONValue, path: String, options: JSONDecodingOptions) throws(JSONDecodingError) {
        guard case .string(let text) = json, let parsed = RFC3339.parse(text) else {
            throw .mapping(path, "expected an RFC 3339 instant such as "
                + "\"2026-01-05T09:30:00Z\" or \"2026-01-05T17:30:00+08:00\", "
                + "got \(json.summary)")
        }
        self = parsed
    }
}

/// RFC 3339 instants, computed with the proleptic Gregorian calendar.
enum RFC3339 {
    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a count of days since 1970-01-01.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func format(_ t: Timestamp) -> String {
        let total = Int(t.seconds)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = total - days * 86_400
        let (year, month, day) = civil(days: days)
        var s = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        s += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":"
        s += pad(secondOfDay % 60, 2)
        let nanos = Int(t.nanos)
        if nanos != 0 {
            if nanos % 1_000_000 == 0 {
                s += "." + pad(nanos / 1_000_000, 3)
            } else if nanos % 1000 == 0 {
                s += "." + pad(nanos / 1000, 6)
            } else {
                s += "." + pad(nanos, 9)
            }
        }
        return s + "Z"
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width
            ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func parse(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        var i = 0

        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var n = 0
            for k in i..<(i + width) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                n = n * 10 + Int(b[k] - 0x30)
            }
            i += width
            return n
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }

        guard let year = number(4), expect("-"), let month = number(2), expect("-"),
              let day = number(2), expect("T"), let hour = number(2), expect(":"),
              let minute = number(2), expect(":"), let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour < 24, minute < 60, second < 60, year >= 1
        else { return nil }

        var nanos = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                guard digits < 9 else { return nil }
                nanos = nanos * 10 + Int(b[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }

        // "Z", or an offset east (+) or west (-) of UTC.
        var offsetSeconds = 0
        if !expect("Z") {
            guard i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else {
                return nil
            }
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2), expect(":"), let om = number(2), oh < 24, om < 60 else {
                return nil
            }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        guard i == b.count else { return nil }

        let seconds = days(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        guard seconds >= Timestamp.minimumSeconds, seconds <= Timestamp.maximumSeconds else {
            return nil
        }
        return Timestamp(seconds: Int64(seconds), nanos: Int32(nanos))
    }

    private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
