/// The scheduler's queue: for every open case (or notice, or complaint), the
/// next instant at which an alert becomes due, ordered so that the earliest
/// is found at once.
///
/// A binary min-heap of small entries (an instant and a slot number) with an
/// index from slot to heap position, so that a key's instant is updated or
/// removed in O(log n) without hashing keys while sifting: a key is hashed
/// once per call, to find its slot. The server sleeps until ``earliest`` and
/// then takes ``popDue(at:)``.
///
/// The methods are inlinable so that they are specialised for the key type
/// in the caller's module.
public struct DueQueue<Key: Hashable & Sendable>: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var instant: Int64
        @usableFromInline var slot: Int32

        @usableFromInline
        init(instant: Int64, slot: Int32) {
            self.instant = instant
            self.slot = slot
        }
    }

    @usableFromInline var heap: [Entry] = []
    // position[slot]: the slot's index in `heap`, or -1 when the slot is free.
    @usableFromInline var position: [Int32] = []
    @usableFromInline var keys: [Key?] = []
    @usableFromInline var slots: [Key: Int32] = [:]
    @usableFromInline var freeSlots: [Int32] = []

    /// An empty queue.
    public init() {}

    /// An empty queue with room for `capacity` keys.
    public init(capacity: Int) {
        heap.reserveCapacity(capacity)
        position.reserveCapacity(capacity)
        keys.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    /// How many keys are queued.
    @inlinable public var count: Int { heap.count }

    /// Whether nothing is queued.
    @inlinable public var isEmpty: Bool { heap.isEmpty }

    /// The earliest queued instant and its key.
    @inlinable public var earliest: (instant: Instant, key: Key)? {
        guard let first = heap.first else { return nil }
        return (Instant(millisecondsSinceEpoch: first.instant), keys[Int(first.slot)]!)
    }

    /// The instant queued for `key`.
    @inlinable public func dueAt(_ key: Key) -> Instant? {
        guard let slot = slots[key] else { return nil }
        return Instant(millisecondsSinceEpoch: heap[Int(position[Int(slot)])].instant)
    }

    /// Queues `key` at `instant`, replacing its previous instant; nil removes it.
    @inlinable public mutating func update(_ key: Key, dueAt instant: Instant?) {
        guard let instant else {
            remove(key)
            return
        }
        let millis = instant.millisecondsSinceEpoch
        if let slot = slots[key] {
            let index = Int(position[Int(slot)])
            let old = heap[index].instant
            heap[index].instant = millis
            if millis < old { siftUp(index) } else if old < millis { siftDown(index) }
            return
        }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            keys[Int(slot)] = key
        } else {
            slot = Int32(keys.count)
            keys.append(key)
            position.append(-1)
        }
        slots[key] = slot
        heap.append(Entry(instant: millis, slot: slot))
        position[Int(slot)] = Int32(heap.count - 1)
        siftUp(heap.count - 1)
    }

    /// Removes `key`; nothing happens when it is not queued.
    @inlinable public mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        removeSlot(slot)
    }

    /// Removes and returns every key due at or before `now`, earliest first.
    @inlinable public mutating func popDue(at now: Instant) -> [(instant: Instant, key: Key)] {
        var due: [(instant: Instant, key: Key)] = []
        let limit = now.millisecondsSinceEpoch
        while let first = heap.first, first.instant <= limit {
            let key = keys[Int(first.slot)]!
            due.append((Instant(millisecondsSinceEpoch: first.instant), key))
            slots.removeValue(forKey: key)
            removeSlot(first.slot)
        }
        return due
    }

    @inlinable mutating func removeSlot(_ slot: Int32) {
        let index = Int(position[Int(slot)])
        let last = heap.count - 1
        if index != last {
            heap[index] = heap[last]
            position[Int(heap[index].slot)] = Int32(index)
        }
        heap.removeLast()
        position[Int(slot)] = -1
        keys[Int(slot)] = nil
        freeSlots.append(slot)
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }

    @inlinable mutating func siftUp(_ start: Int) {
        var child = start
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry.instant < heap[parent].instant else { break }
            heap[child] = heap[parent]
            position[Int(heap[child].slot)] = Int32(child)
            child = parent
        }
        heap[child] = entry
        position[Int(entry.slot)] = Int32(child)
    }

    @inlinable mutating func siftDown(_ start: Int) {
        var parent = start
        let entry = heap[parent]
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            var smallest = left
            if right < count && heap[right].instant < heap[left].instant { smallest = right }
            guard heap[smallest].instant < entry.instant else { break }
            heap[parent] = heap[smallest]
            position[Int(heap[parent].slot)] = Int32(parent)
            parent = smallest
        }
        heap[parent] = entry
        position[Int(entry.slot)] = Int32(parent)
    }
}
