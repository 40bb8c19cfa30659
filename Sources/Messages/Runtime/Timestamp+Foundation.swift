import Foundation

extension Timestamp {
    /// Creates the instant of a Foundation `Date`, to the nanosecond that a
    /// `Double` can hold.
    public init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let whole = interval.rounded(.down)
        var nanos = ((interval - whole) * 1e9).rounded()
        var seconds = Int64(whole)
        if nanos >= 1e9 {
            seconds += 1
            nanos -= 1e9
        }
        self.init(seconds: seconds, nanos: Int32(nanos))
    }

    /// The instant as a Foundation `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
    }
}
