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

        /// The next entry, waiting at most `timeout`.
        func next(timeout: Duration) async -> Next {
            if let ready = take() { return ready }
            let waited = await withTaskGroup(of: Bool.self) { group in
                group.addTask { [self] in
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.head < state.buffer.count || state.overflowed
                                || state.closed || state.ended || Task.isCancelled
                            {
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return false
                }
                let first = await group.next() ?? false
                // When the timer won, the waiting half may not even have
                // started: cancelled first, it returns at once when it does;
                // one already waiting is released here. (Released before the
                // cancellation, a late one would wait for the next entry and
                // hold this call, and its heartbeat, until then.)
                group.cancelAll()
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
                return first
            }
            _ = waited
            return take(idleIfEmpty: true)!
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
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.ended = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Stops the feed; the hub forgets it.
        func cancel() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
            hub?.remove(id)
        }
    }

    private struct State {
        var subscribers: [UInt64: Subscription] = [:]
        var nextID: UInt64 = 0
        var position: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())
    let capacity: Int

    /// A hub whose watchers may fall at most `capacity` entries behind.
    init(capacity: Int = 4096, position: UInt64 = 0) {
        self.capacity = capacity
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
            return (subscription, state.closed)
        }
        if closed { subscription.end() }
        return subscription
    }

    /// Ends every feed, and every later one at once: the server is stopping.
    func close() {
        let subscribers = state.withLock { state in
            state.closed = true
            return Array(state.subscribers.values)
        }
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
