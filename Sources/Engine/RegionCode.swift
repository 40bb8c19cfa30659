/// A six-digit administrative division code (行政区划代码), e.g. `330106`.
///
/// The code is hierarchical: the first two digits name the province, the
/// next two the city, the last two the county. The calendar falls back from a
/// county to its city, its province and then the national calendar.
public struct RegionCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The six digits.
    public let digits: String

    /// The code of the national calendar, which every region falls back to.
    public static let national = RegionCode(uncheckedDigits: "000000")

    /// Creates a region code; nil unless `digits` is exactly six ASCII digits.
    public init?(_ digits: String) {
        guard digits.utf8.count == 6,
            digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        self.digits = digits
    }

    init(uncheckedDigits: String) {
        self.digits = uncheckedDigits
    }

    /// The regions consulted for this one, nearest first: the region itself,
    /// its city (`xxyy00`), its province (`xx0000`), then the nation.
    public var fallbackChain: [RegionCode] {
        let bytes = Array(digits.utf8)
        var chain: [RegionCode] = [self]
        let city = String(decoding: bytes[0..<4], as: UTF8.self) + "00"
        let province = String(decoding: bytes[0..<2], as: UTF8.self) + "0000"
        for candidate in [city, province, RegionCode.national.digits]
        where candidate != chain.last!.digits {
            chain.append(RegionCode(uncheckedDigits: candidate))
        }
        return chain
    }

    /// Orders codes by their digits.
    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool {
        lhs.digits < rhs.digits
    }

    /// The six digits.
    public var description: String { digits }
}
