import Foundation

/// A new time-ordered event id in the UUID version 7 layout: 48 bits of
/// Unix milliseconds, then random bits, so that ids sort by the time they
/// were made and the server's store writes them in key order.
func newEventID(at date: Date = Date()) -> String {
    var generator = SystemRandomNumberGenerator()
    let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
    var bytes = [UInt8](repeating: 0, count: 16)
    for index in 0..<6 {
        bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index)))
    }
    for index in 6..<16 {
        bytes[index] = generator.next()
    }
    bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
    bytes[8] = 0x80 | (bytes[8] & 0x3F)  // the RFC 9562 variant
    let hex = bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
    return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }
        .joined(separator: "-")
}
