import Foundation
import Messages
import Testing

/// Instants in RFC 3339 and their conversions.
@Suite struct TimestampTests {
    @Test func formatsUTCWithTheShortestFractionOfThreeSixOrNineDigits() {
        #expect(Timestamp(seconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 1_767_605_400).rfc3339 == "2026-01-05T09:30:00Z")
        #expect(Timestamp(seconds: 1, nanos: 500_000_000).rfc3339 == "1970-01-01T00:00:01.500Z")
        #expect(Timestamp(seconds: 1, nanos: 1000).rfc3339 == "1970-01-01T00:00:01.000001Z")
        #expect(Timestamp(seconds: 1, nanos: 1).rfc3339 == "1970-01-01T00:00:01.000000001Z")
        #expect(Timestamp(seconds: -1).rfc3339 == "1969-12-31T23:59:59Z")
        #expect(Timestamp(seconds: Timestamp.minimumSeconds).rfc3339 == "0001-01-01T00:00:00Z")
        #expect(Timestamp(seconds: Timestamp.maximumSeconds).rfc3339 == "9999-12-31T23:59:59Z")
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00Z")?.rfc3339 == "2024-02-29T12:00:00Z")
    }

    @Test func parsesOffsetsAndFractions() {
        #expect(Timestamp(rfc3339: "2026-01-05T17:30:00+08:00")
            == Timestamp(rfc3339: "2026-01-05T09:30:00Z"))
        #expect(Timestamp(rfc3339: "2026-01-05T00:30:00-09:00")?.rfc3339
            == "2026-01-05T09:30:00Z")
        #expect(Timestamp(rfc3339: "2026-01-05T09:30:00.1Z")?.nanos == 100_000_000)
        #expect(Timestamp(rfc3339: "2026-01-05T09:30:00.123456789Z")?.nanos == 123_456_789)
    }

    @Test func rejectsWhatIsNotAnRFC3339Instant() {
        for text in ["2026-01-05", "2026-01-05T09:30:00", "2026-01-05 09:30:00Z",
                     "2026-02-29T00:00:00Z", "2026-01-05T24:00:00Z", "2026-01-05T09:30:00.Z",
                     "2026-01-05T09:30:00.1234567890Z", "2026-01-05T09:30:00+0800",
                     "0000-12-31T00:00:00Z", "0001-01-01T00:00:00+00:01", "x"] {
            #expect(Timestamp(rfc3339: text) == nil, "accepted \(text)")
        }
    }

    @Test func convertsToAndFromDateAndNanoseconds() {
        let t = Timestamp(rfc3339: "2026-01-05T09:30:00.250Z")!
        #expect(t.date == Date(timeIntervalSince1970: 1_767_605_400.25))
        #expect(Timestamp(t.date) == t)
        #expect(Timestamp(nanosecondsSince1970: -1) == Timestamp(seconds: -1, nanos: 999_999_999))
        #expect(Timestamp(seconds: 1) < Timestamp(seconds: 1, nanos: 1))
    }

    @Test func binaryFormMatchesTheWellKnownType() throws {
        // seconds = 1 (field 1 varint), nanos = 2 (field 2 varint).
        #expect(Timestamp(seconds: 1, nanos: 2).serializedBytes() == [0x08, 0x01, 0x10, 0x02])
        #expect(try Timestamp(serializedBytes: [0x08, 0x01, 0x10, 0x02])
            == Timestamp(seconds: 1, nanos: 2))
    }
}
