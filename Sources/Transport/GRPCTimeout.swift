/// The `grpc-timeout` header: at most eight ASCII digits and a unit letter
/// (`H`ours, `M`inutes, `S`econds, `m`illiseconds, `u` microseconds, `n`anoseconds).
enum GRPCTimeout {
    /// The largest value the header can carry in any unit.
    static let maxValue: Int64 = 99_999_999

    /// Parses a header value; nil when it is not eight digits or fewer and a unit.
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Duration? {
        let text = Array(bytes)
        guard let unit = text.last, text.count >= 2, text.count <= 9 else { return nil }
        var value: Int64 = 0
        for byte in text.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(value * 3600)
        case UInt8(ascii: "M"): return .seconds(value * 60)
        case UInt8(ascii: "S"): return .seconds(value)
        case UInt8(ascii: "m"): return .milliseconds(value)
        case UInt8(ascii: "u"): return .microseconds(value)
        case UInt8(ascii: "n"): return .nanoseconds(value)
        default: return nil
        }
    }

    /// Formats a timeout in the finest unit that fits eight digits, rounding up so the
    /// peer never sees a shorter timeout than the caller asked for. Negative timeouts
    /// become `0n`; anything past `99999999H` is capped there.
    static func format(_ timeout: Duration) -> String {
        let (seconds, attoseconds) = timeout.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) {
            return "0n"
        }
        // Whole nanoseconds, rounded up; seconds beyond ~292 years would overflow.
        let units: [(divisor: Int64, letter: Character)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
        ]
        if seconds < 9_000_000_000 {
            let nanos = seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
            for (divisor, letter) in units {
                let value = (nanos + divisor - 1) / divisor
                if value <= maxValue { return "\(value)\(letter)" }
            }
        }
        if seconds >= maxValue * 3600 { return "\(maxValue)H" }
        let wholeSeconds = attoseconds > 0 ? seconds + 1 : seconds
        let minutes = (wholeSeconds + 59) / 60
        if minutes <= maxValue { return "\(minutes)M" }
        let hours = (wholeSeconds + 3599) / 3600
        return "\(min(hours, maxValue))H"
    }
}
