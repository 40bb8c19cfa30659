import Messages

/// How values read in tables and reports.
///
/// Instants are shown in China Standard Time (UTC+8), the time the law
/// counts days in and the time every desk works in; `--json` keeps the
/// wire's RFC 3339 instants.
enum Format {
    /// Seconds China Standard Time is ahead of UTC; it keeps no daylight
    /// saving.
    static let chinaOffsetSeconds: Int64 = 8 * 3600

    /// `2026-01-05 09:30` (seconds shown only when not zero), or "" for none.
    static func time(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "" }
        let (date, secondOfDay) = local(timestamp)
        var text = date + " " + pad(secondOfDay / 3600) + ":" + pad(secondOfDay / 60 % 60)
        if secondOfDay % 60 != 0 { text += ":" + pad(secondOfDay % 60) }
        return text
    }

    /// A deadline-like instant: midnight is shown as 24:00 of the day it
    /// ends (`2026-01-19 24:00`), the way the law states a deadline.
    static func deadline(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "" }
        let (_, secondOfDay) = local(timestamp)
        guard secondOfDay == 0, timestamp.nanos == 0 else { return time(timestamp) }
        let (previousDay, _) = local(Timestamp(seconds: timestamp.seconds - 1))
        return previousDay + " 24:00"
    }

    /// The civil date in China Standard Time, `2026-01-05`.
    static func date(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "" }
        return local(timestamp).date
    }

    /// An amount of fen as yuan: `¥1,500.00`.
    static func money(_ fen: Int64) -> String {
        let negative = fen < 0
        let magnitude = fen.magnitude
        var whole = String(magnitude / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        let cents = magnitude % 100
        return (negative ? "-" : "") + "¥" + whole + grouped + "." + (cents < 10 ? "0" : "")
            + String(cents)
    }

    /// "1 working day" or "5 working days".
    static func workingDays(_ count: UInt32) -> String {
        count == 1 ? "1 working day" : "\(count) working days"
    }

    /// A level as a word, coloured by `output` when it colours.
    static func level(_ level: Level, _ output: Output? = nil) -> String {
        let word = Choices.level.shortName(level)
        return output?.coloured(word, level: level) ?? word
    }

    /// The date and the second of the day in China Standard Time: the
    /// instant moved by the offset and written as UTC gives the wall clock.
    private static func local(_ timestamp: Timestamp) -> (date: String, secondOfDay: Int64) {
        let shifted = Timestamp(seconds: timestamp.seconds + chinaOffsetSeconds)
        let text = Array(shifted.rfc3339.utf8)  // 2026-01-05T09:30:00Z
        func number(_ range: Range<Int>) -> Int64 {
            range.reduce(0) { $0 * 10 + Int64(text[$1] - UInt8(ascii: "0")) }
        }
        let date = String(decoding: text[0..<10], as: UTF8.self)
        return (date, number(11..<13) * 3600 + number(14..<16) * 60 + number(17..<19))
    }

    private static func pad(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
