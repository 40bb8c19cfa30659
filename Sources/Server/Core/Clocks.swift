import Engine
import Glibc
import Synchronization

/// The server's source of time: the instant now, and a way to sleep until a
/// later one. The scheduler sleeps on it until the next threshold, so that a
/// test or a demo can move time and see alerts raised the moment it passes.
public protocol ServerClock: SupervisionClock {
    /// Suspends until the clock reads `instant` or later.
    ///
    /// - Throws: `CancellationError` when the task is cancelled.
    func sleep(until instant: Instant) async throws
}

/// The system's real-time clock.
public struct SystemClock: ServerClock {
    public init() {}

    public func now() -> Instant {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        return Instant(millisecondsSinceEpoch: milliseconds)
    }

    public func sleep(until instant: Instant) async throws {
        // Sleep in bounded slices: the wall clock may be stepped (NTP), and a
        // single long monotonic sleep would then wake at the wrong instant.
        while true {
            let left = instant.millisecondsSinceEpoch - now().millisecondsSinceEpoch
            if left <= 0 { return }
            try await Task.sleep(for: .milliseconds(min(left, 60_000)))
        }
    }
}

/// A clock that runs from a chosen start instant at a chosen speed: the demo
/// starts shortly before midnight and runs fast, so deadlines pass within a
/// minute of real time.
public struct ScaledClock: ServerClock {
    private let start: Instant
    private let origin: ContinuousClock.Instant
    private let speed: Double

    /// Reads `start` now, then advances `speed` seconds per real second.
    public init(start: Instant, speed: Double) {
        precondition(speed > 0, "a clock runs forward")
        self.start = start
        self.origin = ContinuousClock.now
        self.speed = speed
    }

    public func now() -> Instant {
        let elapsed = ContinuousClock.now - origin
        let real = Double(elapsed.components.seconds) * 1000
            + Double(elapsed.components.attoseconds) / 1e15
        let advanced = start.millisecondsSinceEpoch + Int64(real * speed)
        return Instant(millisecondsSinceEpoch: advanced)
    }

    public func sleep(until instant: Instant) async throws {
        while true {
            let left = Double(instant.millisecondsSinceEpoch - now().millisecondsSinceEpoch)
            if left <= 0 { return }
            try await Task.sleep(for: .milliseconds(max(1, Int64(left / speed))))
        }
    }
}

/// A clock that moves only when told to: tests drive deadlines past with it.
public final class ManualClock: ServerClock {
    private struct Sleeper {
        var id: UInt64
        var until: Instant
        var wake: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Instant
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>

    /// A clock reading `start` until it is advanced.
    public init(start: Instant) {
        state = Mutex(State(now: start))
    }

    public func now() -> Instant { state.withLock { $0.now } }

    /// Moves the clock to `instant` (never backwards) and wakes every sleeper
    /// whose instant has come.
    public func advance(to instant: Instant) {
        let woken = state.withLock { state in
            state.now = max(state.now, instant)
            let now = state.now
            let due = state.sleepers.filter { $0.until <= now }
            state.sleepers.removeAll { $0.until <= now }
            return due
        }
        for sleeper in woken { sleeper.wake.resume() }
    }

    /// Moves the clock forward by `seconds`.
    public func advance(seconds: Int64) {
        advance(to: now().adding(seconds: seconds))
    }

    public func sleep(until instant: Instant) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.now >= instant || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, until: instant, wake: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            cancelled?.wake.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}

/// The demo's clock: it races through two weeks of history, then runs at a
/// watchable speed from shortly before midnight, so that a newcomer sees a
/// fortnight of cases and then deadlines passing live.
public struct DemoClock: ServerClock {
    private let start: Instant
    private let catchUp: Instant
    private let fastSpeed: Double
    private let speed: Double
    private let origin: ContinuousClock.Instant

    /// Reads `start` now, runs `fastSpeed` times real time until `catchUp`,
    /// then `speed` times.
    public init(start: Instant, catchUp: Instant, fastSpeed: Double, speed: Double) {
        precondition(catchUp >= start && fastSpeed > 0 && speed > 0, "a clock runs forward")
        self.start = start
        self.catchUp = catchUp
        self.fastSpeed = fastSpeed
        self.speed = speed
        self.origin = ContinuousClock.now
    }

    /// Real milliseconds the fast phase lasts.
    private var fastPhase: Double {
        Double(catchUp.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / fastSpeed
    }

    public func now() -> Instant {
        let elapsed = ContinuousClock.now - origin
        let real = Double(elapsed.components.seconds) * 1000
            + Double(elapsed.components.attoseconds) / 1e15
        if real < fastPhase {
            return start.adding(milliseconds: Int64(real * fastSpeed))
        }
        return catchUp.adding(milliseconds: Int64((real - fastPhase) * speed))
    }

    public func sleep(until instant: Instant) async throws {
        while true {
            let current = now()
            if current >= instant { return }
            let left = Double(instant.millisecondsSinceEpoch - current.millisecondsSinceEpoch)
            let rate = current < catchUp ? fastSpeed : speed
            try await Task.sleep(for: .milliseconds(max(1, min(1000, Int64(left / rate)))))
        }
    }
}
