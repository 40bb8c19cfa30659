/// How long to wait before reconnecting: exponential backoff with full
/// jitter.
///
/// The n-th consecutive failure (counting from 0) waits a random time between
/// zero and `min(maximum, initial × multiplierⁿ)`. Spreading the waits over
/// the whole range keeps a county's reporters from reconnecting in step after
/// the server comes back.
public struct Backoff: Sendable, Hashable {
    /// The ceiling of the first wait.
    public var initial: Duration
    /// The largest ceiling.
    public var maximum: Duration
    /// How much the ceiling grows with each failure.
    public var multiplier: Double

    /// Makes a policy; the defaults wait up to 0.2 s, then 0.4 s, ... up to 30 s.
    public init(
        initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30),
        multiplier: Double = 2
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The ceiling of the wait after `failures` consecutive failures before
    /// this one.
    public func ceiling(afterFailures failures: Int) -> Duration {
        let initialSeconds = seconds(initial)
        let maximumSeconds = seconds(maximum)
        var ceiling = initialSeconds
        for _ in 0..<min(failures, 64) {
            ceiling *= multiplier
            if ceiling >= maximumSeconds { break }
        }
        return .nanoseconds(Int64(min(ceiling, maximumSeconds) * 1e9))
    }

    /// A random wait between zero and the ceiling.
    public func delay(afterFailures failures: Int) -> Duration {
        let top = seconds(ceiling(afterFailures: failures))
        guard top > 0 else { return .zero }
        return .nanoseconds(Int64(Double.random(in: 0...top) * 1e9))
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) / 1e18
    }
}
