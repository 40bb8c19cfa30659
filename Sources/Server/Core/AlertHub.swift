import Store
import Synchronization

/// Hands every alert transition, the moment its commit is durable, to the
/// watchers whose filter it matches.
///
/// The store's writer calls `publish` after each commit, in sequence order,
/// so every watcher's buffer is in order too. A watcher's buffer is bounded:
/// a watcher that falls `capacity` entries behind is cut off, and told where
/// to resume, instead of holding memory for it without bound. When the
/// server stops, `close` ends every feed once its buffer is taken, so that
/// watchers, whose calls never end by themselves, do not hold the stop.
final class AlertHub: Sendable {
    /// One watcher's live feed.
    final class Subscription: Sendable {
        fileprivate struct State {
            var buffer: [AlertLogEntry] = []
            var head = 0
            var overflowed = false
            var closed = false
            /// The hub closed: the feed ends once the buffer is taken.
            var ended = false
            /// Every entry up to this sequence was offered: queued here, or
            /// not wanted by the filter.
            var offeredThrough: UInt64 = 0
            var waiter: CheckedContinuation<Void, Never>?
            /// When the waiter gives up and takes a heartbeat instead.
            var waitDeadline = ContinuousClock.Instant.now
        }

        let id: UInt64
        /// The hub's position when this subscription attached: the feed
        /// holds every matching entry after it.
        let startPosition: UInt64
        let accepts: @Sendable (AlertLogEntry) -> Bool
        fileprivate let state = Mutex(State())
        fileprivate let capacity: Int
        private weak let hub: AlertHub?

        fileprivate init(
            id: UInt64, capacity: Int, hub: AlertHub, position: UInt64,
            accepts: @escaping @Sendable (AlertLogEntry) -> Bool
        ) {
            state.withLock { $0.offeredThrough = position }
            self.startPosition = position
            self.id = id
            self.capacity = capacity
            self.hub = hub
            self.accepts = accepts
        }

        /// What waiting for the next entry gave.
        enum Next {
            case entry(AlertLogEntry)
            /// Nothing arrived in time; the hub had published up to this
            /// sequence, all of which this watcher has been given or did not
            /// want.
            case idle(position: UInt64)
            /// The watcher fell too far behind and was cut off.
            case overflowed
            /// The server is stopping; everything buffered was taken.
            case ended
        }

        /// The next entry, waiting at most `timeout` (give or take the hub's tick).
        ///
        /// A wait costs one continuation: the timeout is kept by the hub's
        /// ticker, not by a timer per wait, because a hundred watchers of a busy
        /// centre wait thousands of times a second.
        func next(timeout: Duration) async -> Next {
            if let ready = take() { return ready }
            let deadline = ContinuousClock.now + timeout
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.head < state.buffer.count || state.overflowed
                            || state.closed || state.ended || Task.isCancelled
                            || deadline <= ContinuousClock.now
                        {
                            return true
                        }
                        state.waiter = continuation
                        state.waitDeadline = deadline
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                releaseWaiter()
            }
            return take(idleIfEmpty: true)!
        }

        /// Releases the waiter, if any, when `change` (run under the lock)
        /// says so; it then takes what is there, or idles, or ends. Resumed
        /// after the lock is released, never under it.
        private func releaseWaiter(_ change: (inout State) -> Bool = { _ in true }) {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard change(&state) else { return nil }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Called by the hub's ticker: releases a waiter whose time is up.
        fileprivate func wakeIfDue(_ now: ContinuousClock.Instant) {
            releaseWaiter { $0.waiter != nil && $0.waitDeadline <= now }
        }

        /// The next buffered entry; when there is none, nil, or with
        /// `idleIfEmpty` the position read under the same lock, so that no
        /// entry can slip in between "empty" and "seen up to here".
        private func take(idleIfEmpty: Bool = false) -> Next? {
            state.withLock { state -> Next? in
                if state.overflowed { return .overflowed }
                guard state.head < state.buffer.count else {
                    if state.ended { return .ended }
                    return idleIfEmpty ? .idle(position: state.offeredThrough) : nil
                }
                let entry = state.buffer[state.head]
                state.head += 1
                if state.head == state.buffer.count {
                    state.buffer.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                return .entry(entry)
            }
        }

        /// Called by the hub's publisher; overflows the feed when it is full.
        fileprivate func offer(_ entries: [AlertLogEntry]) {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard !state.overflowed, !state.closed, !state.ended else { return nil }
                for entry in entries where accepts(entry) {
                    if state.buffer.count - state.head >= capacity {
                        state.overflowed = true
                        state.buffer.removeAll()
                        state.head = 0
                        break
                    }
                    state.buffer.append(entry)
                }
                if let last = entries.last, !state.overflowed {
                    state.offeredThrough = max(state.offeredThrough, last.sequence)
                }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Ends the feed once its buffer is taken: the hub is closing.
        fileprivate func end() {
            releaseWaiter {
                $0.ended = true
                return true
            }
        }

        /// Stops the feed; the hub forgets it.
        func cancel() {
            releaseWaiter {
                $0.closed = true
                return true
            }
            hub?.remove(id)
        }
    }

    private struct State {
        var subscribers: [UInt64: Subscription] = [:]
        var nextID: UInt64 = 0
        var position: UInt64 = 0
        var closed = false
        /// Releases waiters whose heartbeat is due; runs while anyone watches.
        var ticker: Task<Void, Never>?
    }

    private let state = Mutex(State())
    let capacity: Int
    /// How often the ticker looks for watchers whose heartbeat is due, and so
    /// how late a heartbeat may come.
    let tick: Duration

    /// A hub whose watchers may fall at most `capacity` entries behind.
    init(capacity: Int = 4096, position: UInt64 = 0, tick: Duration = .milliseconds(50)) {
        self.capacity = capacity
        self.tick = tick
        state.withLock { $0.position = position }
    }

    /// The last sequence published.
    var position: UInt64 { state.withLock { $0.position } }

    /// How many watchers are attached.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Attaches a watcher; it receives every entry published from now on
    /// that `accepts` lets through.
    func subscribe(accepts: @escaping @Sendable (AlertLogEntry) -> Bool) -> Subscription {
        let (subscription, closed) = state.withLock { state in
            state.nextID += 1
            let subscription = Subscription(
                id: state.nextID, capacity: capacity, hub: self, position: state.position,
                accepts: accepts)
            state.subscribers[subscription.id] = subscription
            if state.ticker == nil, !state.closed {
                state.ticker = Task { [weak self, tick] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        guard let self, self.wakeDueWaiters() else { return }
                    }
                }
            }
            return (subscription, state.closed)
        }
        if closed { subscription.end() }
        return subscription
    }

    /// Wakes the waiters whose heartbeat is due; false, with the ticker
    /// forgotten, when nobody watches any more.
    private func wakeDueWaiters() -> Bool {
        let subscribers = state.withLock { state -> [Subscription]? in
            if state.subscribers.isEmpty {
                state.ticker = nil
                return nil
            }
            return Array(state.subscribers.values)
        }
        guard let subscribers else { return false }
        let now = ContinuousClock.now
        for subscriber in subscribers {
            subscriber.wakeIfDue(now)
        }
        return true
    }

    /// Ends every feed, and every later one at once: the server is stopping.
    func close() {
        let (subscribers, ticker) = state.withLock { state in
            state.closed = true
            defer { state.ticker = nil }
            return (Array(state.subscribers.values), state.ticker)
        }
        ticker?.cancel()
        for subscriber in subscribers {
            subscriber.end()
        }
    }

    /// Publishes the entries one commit appended, in sequence order.
    func publish(_ entries: [AlertLogEntry]) {
        guard let last = entries.last else { return }
        let subscribers = state.withLock { state in
            state.position = max(state.position, last.sequence)
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers {
            subscriber.offer(entries)
        }
    }

    fileprivate func remove(_ id: UInt64) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
    }
}
