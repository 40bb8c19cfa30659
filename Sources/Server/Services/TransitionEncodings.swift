import Messages
import Store
import Synchronization

/// The wire form of recent alert transitions as `WatchAlertsResponse`s, shared by
/// every watcher: a card that reaches a hundred watchers is decoded from its log
/// entry and encoded once, not a hundred times.
///
/// A fixed ring indexed by sequence, so it holds at most `slots` messages and
/// needs no eviction: a newer entry simply takes an older one's slot, and a
/// watcher replaying old history encodes for itself.
final class TransitionEncodings: Sendable {
    private struct Slot {
        var sequence: UInt64 = 0
        var bytes: [UInt8] = []
    }

    private let slots: Mutex<[Slot]>
    private let count: Int

    init(slots: Int = 1024) {
        count = max(1, slots)
        self.slots = Mutex(Array(repeating: Slot(), count: max(1, slots)))
    }

    /// The encoded response for `entry`, made by the first watcher that asks.
    func response(for entry: AlertLogEntry) throws -> [UInt8] {
        let index = Int(entry.sequence % UInt64(count))
        let cached = slots.withLock { slots -> [UInt8]? in
            slots[index].sequence == entry.sequence ? slots[index].bytes : nil
        }
        if let cached { return cached }
        // Encoded outside the lock; two watchers racing both encode, which
        // gives the same bytes.
        let bytes = try Self.response(entry).serializedBytes()
        slots.withLock { $0[index] = Slot(sequence: entry.sequence, bytes: bytes) }
        return bytes
    }

    /// The message a watcher gets for one log entry.
    static func response(_ entry: AlertLogEntry) throws -> WatchAlertsResponse {
        var transition = try AlertTransition(serializedBytes: entry.payload)
        transition.sequence = entry.sequence
        transition.alert?.sequence = entry.sequence
        var response = WatchAlertsResponse()
        response.message = .transition(transition)
        return response
    }
}
