import Messages

/// The values the generated fixtures put into fields, by variant.
///
/// Variant 0 is the "every field set" one: maximum integers, unicode text,
/// two-element lists. Variant 1 holds the other edges: minimum and negative
/// integers, empty strings and lists, an enum number no build knows, and a
/// present zero for optional fields. Variant 2 leaves optionals out.
enum FixtureValues {
    static func string(_ v: Int, _ field: Int) -> String {
        switch v % 3 {
        case 0: return "事项 \(field): é 😀 行政审批"
        case 1: return ""
        default: return "line\n\t\"quoted\" \\ \u{1} \(field)"
        }
    }

    static func bytes(_ v: Int) -> [UInt8] {
        [[0, 255, 128, 10, 13], [], [0x61]][v % 3]
    }

    static func bool(_ v: Int) -> Bool {
        v % 3 != 1
    }

    static func int32(_ v: Int) -> Int32 {
        [Int32.max, Int32.min, -1][v % 3]
    }

    static func uint32(_ v: Int) -> UInt32 {
        [UInt32.max, 0, 1][v % 3]
    }

    static func int64(_ v: Int) -> Int64 {
        [Int64.max, Int64.min, -42][v % 3]
    }

    static func uint64(_ v: Int) -> UInt64 {
        // 2^53 + 1: the first integer a double cannot hold.
        [UInt64.max, 0, 9_007_199_254_740_993][v % 3]
    }

    static func double(_ v: Int) -> Double {
        [1.5, -2.25e300, Double.leastNonzeroMagnitude][v % 3]
    }

    static func float(_ v: Int) -> Float {
        [1.5, -3.25e30, 0.1][v % 3]
    }

    static func enumValue<E: ProtoEnum>(_ v: Int) -> E {
        switch v % 3 {
        case 0: return E.allCases.last!
        case 1: return E(rawValue: 99)
        default: return E.allCases[0]
        }
    }

    static func timestamp(_ v: Int) -> Timestamp {
        [
            Timestamp(rfc3339: "2026-01-05T09:30:00Z")!,
            Timestamp(seconds: Timestamp.minimumSeconds),
            Timestamp(seconds: Timestamp.maximumSeconds, nanos: 999_999_999),
        ][v % 3]
    }

    /// An optional field: set, set to the type's zero (variant 1), or absent.
    static func optional<T>(_ v: Int, _ make: (Int) -> T) -> T? {
        switch v % 3 {
        case 0: return make(0)
        case 1: return make(1)
        default: return nil
        }
    }

    /// The variants of a repeated field's elements: two, none, or one.
    static func indices(_ v: Int) -> [Int] {
        switch v % 3 {
        case 0: return [v, v + 1]
        case 1: return []
        default: return [v]
        }
    }

    static func mapKeys(_ v: Int) -> [String] {
        switch v % 3 {
        case 0: return ["", "monitor.v1.IntakeService"]
        case 1: return []
        default: return ["a"]
        }
    }
}
