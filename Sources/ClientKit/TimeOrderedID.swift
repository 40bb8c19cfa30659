import Foundation
import Synchronization

/// Makes event identifiers that sort in the order they were made: UUID
/// version 7 (RFC 9562), in the usual lowercase 8-4-4-4-12 form.
///
/// The first 48 bits are the Unix time in milliseconds; the next 12 count up
/// within a millisecond, so identifiers made by one process are strictly
/// increasing even when the clock stands still or steps back; the last 62
/// bits are random. The server stores time-ordered identifiers much faster
/// than random ones, because each lands next to the one before.
///
/// `EventReporter` gives one to every event reported without an id.
public enum TimeOrderedID {
    /// The generator `next()` uses: one per process, so that every id the
    /// process makes is greater than the one before.
    private static let shared = Generator()

    /// A new identifier, greater than every one this process made before.
    public static func next() -> String {
        format(shared.nextBits(now: UInt64(max(0, Date().timeIntervalSince1970 * 1000))))
    }

    /// The identifier's text form.
    static func format(_ bits: (high: UInt64, low: UInt64)) -> String {
        let hex = hex16(bits.high) + hex16(bits.low)
        let characters = Array(hex)
        return String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-"
            + String(characters[12..<16]) + "-" + String(characters[16..<20]) + "-"
            + String(characters[20..<32])
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The clock and counter behind a sequence of identifiers.
    final class Generator: Sendable {
        private struct Clock {
            var milliseconds: UInt64 = 0
            var counter: UInt64 = 0
        }

        private let clock = Mutex(Clock())

        /// The 128 bits of the next identifier, for a clock reading `now` in
        /// milliseconds.
        func nextBits(now: UInt64) -> (high: UInt64, low: UInt64) {
            let (milliseconds, counter) = clock.withLock { clock -> (UInt64, UInt64) in
                if now > clock.milliseconds {
                    clock.milliseconds = now
                    // Start low in the 12-bit space, leaving room to count up.
                    clock.counter = UInt64.random(in: 0..<0x400)
                } else if clock.counter < 0xFFF {
                    clock.counter += 1
                } else {
                    // 4096 in one millisecond: borrow the next millisecond.
                    clock.milliseconds += 1
                    clock.counter = 0
                }
                return (clock.milliseconds, clock.counter)
            }
            let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | counter
            let low = 0x8000_0000_0000_0000 | (UInt64.random(in: 0...UInt64.max) >> 2)
            return (high, low)
        }
    }
}
