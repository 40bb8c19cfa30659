/// The day a count of working days reaches, or that it is held by an open
/// special procedure.
enum ClockDay: Hashable, Sendable {
    /// The count ends on this day (days since 1970-01-01).
    case day(Int32)
    /// An open special procedure that started on this day holds the count.
    case held(since: Int32)
}

/// A pause of the case clock: a special procedure's span of days, start
/// exclusive, end inclusive; open while `end` is nil.
struct Pause: Hashable, Sendable {
    var start: Int32
    var end: Int32?
}

/// Accumulates the days a computation counted over, to report the years
/// that had no calendar data.
struct CalendarSpan {
    var first: Int32 = .max
    var last: Int32 = .min

    mutating func include(from: Int32, through: Int32) {
        guard from <= through else { return }
        if from < first { first = from }
        if through > last { last = through }
    }

    var isEmpty: Bool { first > last }
}

extension RegionCalendar {
    /// The `k`-th counted day after `start`: working days after `start` that
    /// no pause covers. `k == 0` is `start` itself. Pauses must be sorted by
    /// start; they may overlap.
    ///
    /// A pause that starts before the count reaches `k` adds its working days
    /// (start exclusive, end inclusive, less any part already added); an open
    /// one holds the count.
    @inline(__always)
    func countedDay(
        _ k: Int, after start: Int32, pauses: [Pause],
        span: inout CalendarSpan
    ) -> ClockDay {
        guard k > 0 else { return .day(start) }
        var target = cumulative(through: start) + k
        var cursor = start
        for pause in pauses {
            let from = max(pause.start, cursor)
            if let end = pause.end, end <= from { continue }
            if cumulative(through: from) >= target { break }
            guard let end = pause.end else {
                span.include(from: start + 1, through: from)
                return .held(since: from)
            }
            target += cumulative(through: end) - cumulative(through: from)
            cursor = end
        }
        let day = firstDay(reaching: target)
        span.include(from: start + 1, through: day)
        return .day(day)
    }

    /// The `k`-th working day after `start`, ignoring pauses (the special
    /// procedure's own count, delivery, complaints, supervision feedback).
    @inline(__always)
    func plainDay(_ k: Int, after start: Int32, span: inout CalendarSpan) -> Int32 {
        guard k > 0 else { return start }
        let day = firstDay(reaching: cumulative(through: start) + k)
        span.include(from: start + 1, through: day)
        return day
    }

    /// Working days after `from` through `through`.
    @inline(__always)
    func count(after from: Int32, through: Int32) -> Int {
        through > from ? cumulative(through: through) - cumulative(through: from) : 0
    }
}

extension Int32 {
    /// 00:00 local of this day (days since 1970-01-01).
    @inline(__always)
    var startInstant: Instant { LocalDate(daysSinceEpoch: self).startInstant }

    /// 24:00 local of this day.
    @inline(__always)
    var endInstant: Instant { LocalDate(daysSinceEpoch: self + 1).startInstant }
}
