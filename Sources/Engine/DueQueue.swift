/// The scheduler's queue: for every open case (or notice, or complaint), the
/// next instant at which an alert becomes due, ordered so that the earliest
/// is found at once.
///
/// A binary min-heap with an index from key to heap slot, so that a key's
/// instant is updated or removed in O(log n) when its case changes. The
/// server sleeps until ``earliest`` and then takes ``popDue(at:)``.
public struct DueQueue<Key: Hashable & Sendable>: Sendable {
    private var heap: [(instant: Instant, key: Key)] = []
    private var slots: [Key: Int] = [:]

    /// An empty queue.
    public init() {}

    /// An empty queue with room for `capacity` keys.
    public init(capacity: Int) {
        heap.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    /// How many keys are queued.
    public var count: Int { heap.count }

    /// Whether nothing is queued.
    public var isEmpty: Bool { heap.isEmpty }

    /// The earliest queued instant and its key.
    public var earliest: (instant: Instant, key: Key)? { heap.first }

    /// The instant queued for `key`.
    public func dueAt(_ key: Key) -> Instant? {
        slots[key].map { heap[$0].instant }
    }

    /// Queues `key` at `instant`, replacing its previous instant; nil removes it.
    public mutating func update(_ key: Key, dueAt instant: Instant?) {
        guard let instant else {
            remove(key)
            return
        }
        if let slot = slots[key] {
            let old = heap[slot].instant
            heap[slot].instant = instant
            if instant < old { siftUp(slot) } else if old < instant { siftDown(slot) }
        } else {
            heap.append((instant, key))
            slots[key] = heap.count - 1
            siftUp(heap.count - 1)
        }
    }

    /// Removes `key`; nothing happens when it is not queued.
    public mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        let last = heap.count - 1
        if slot != last {
            heap.swapAt(slot, last)
            slots[heap[slot].key] = slot
        }
        heap.removeLast()
        if slot < heap.count {
            siftDown(slot)
            siftUp(slot)
        }
    }

    /// Removes and returns every key due at or before `now`, earliest first.
    public mutating func popDue(at now: Instant) -> [(instant: Instant, key: Key)] {
        var due: [(instant: Instant, key: Key)] = []
        while let first = heap.first, first.instant <= now {
            due.append(first)
            remove(first.key)
        }
        return due
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].instant < heap[parent].instant else { return }
            swapSlots(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            let right = left + 1
            var smallest = left
            if right < count && heap[right].instant < heap[left].instant { smallest = right }
            guard heap[smallest].instant < heap[parent].instant else { return }
            swapSlots(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapSlots(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        slots[heap[a].key] = a
        slots[heap[b].key] = b
    }
}
