import Messages
import Testing

/// Bytes that are not the expected message throw an error that names the
/// message and the byte count; they never crash.
@Suite struct MalformedInputTests {
    private func decodingError(_ bytes: [UInt8]) -> MessageDecodingError? {
        do {
            _ = try CaseEvent(serializedBytes: bytes)
            return nil
        } catch let error as MessageDecodingError {
            return error
        } catch {
            Issue.record("unexpected error type \(type(of: error)): \(error)")
            return nil
        }
    }

    private var typicalEvent: CaseEvent {
        CaseEvent(
            eventID: "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", revision: 1,
            departmentCode: "330101-LAND", caseID: "2026-0001",
            occurredAt: Timestamp(rfc3339: "2026-01-05T09:30:00+08:00"),
            kind: .received(CaseReceived(
                itemCode: "330101-001",
                applicant: Applicant(type: .person, name: "张三", idType: .residentIDCard,
                                     idNumber: "330101199001011234", phone: "13800000000"),
                channel: .counter, title: "建设用地规划许可")))
    }

    @Test func truncatedBytesThrowOrDecodeAPrefix() {
        let bytes = typicalEvent.serializedBytes()
        var failures = 0
        for length in 0..<bytes.count {
            // A cut at a field boundary is a valid shorter message; any other
            // cut must throw, and nothing may crash.
            if let error = decodingError(Array(bytes[..<length])) {
                failures += 1
                #expect(error.messageName == "monitor.v1.CaseEvent")
                #expect(error.byteCount == length)
            }
        }
        #expect(failures > bytes.count / 2)
    }

    @Test func cutInsideAStringNamesTheMessageAndLength() throws {
        // Field 1 (event_id), length 10, only 3 bytes follow.
        let error = try #require(decodingError([0x0A, 0x0A, 0x61, 0x62, 0x63]))
        #expect(error.description
            == "malformed protobuf for monitor.v1.CaseEvent (5 bytes): "
            + "not valid protobuf wire format for this message")
    }

    @Test func wrongWireTypeThrows() {
        // Field 1 (event_id, a string) sent as a varint.
        #expect(decodingError([0x08, 0x01]) != nil)
        // Field 10 (received, a message) sent as a fixed32.
        #expect(decodingError([0x55, 0, 0, 0, 0]) != nil)
    }

    @Test func invalidUTF8IsRejectedWithTheFieldName() throws {
        // event_id = C3 28: a lead byte followed by a non-continuation byte.
        let error = try #require(decodingError([0x0A, 0x02, 0xC3, 0x28]))
        #expect(error.field == "monitor.v1.CaseEvent.event_id")
        #expect(error.description.contains("not valid UTF-8"))

        // Nested: received (10) { applicant (2) { name (2) = FF } }.
        let nested: [UInt8] = [0x52, 0x05, 0x12, 0x03, 0x12, 0x01, 0xFF]
        let nestedError = try #require(decodingError(nested))
        #expect(nestedError.field == "monitor.v1.Applicant.name")
        #expect(nestedError.messageName == "monitor.v1.CaseEvent")
    }

    @Test func hugeLengthPrefixThrows() {
        // event_id claims 2^35 bytes.
        #expect(decodingError([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x61]) != nil)
        // A varint longer than ten bytes.
        #expect(decodingError([0x10] + [UInt8](repeating: 0xFF, count: 11) + [0x01]) != nil)
    }

    @Test func unknownFieldsAreSkipped() throws {
        // Field 99 (varint 7) before event_id "a".
        let bytes: [UInt8] = [0x98, 0x06, 0x07, 0x0A, 0x01, 0x61]
        #expect(try CaseEvent(serializedBytes: bytes) == CaseEvent(eventID: "a"))
    }

    @Test func randomBytesNeverCrash() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let valid = typicalEvent.serializedBytes()
        for round in 0..<2000 {
            var bytes = valid
            // Flip a few bytes of a valid message, or make noise.
            if round % 2 == 0 {
                for _ in 0..<(1 + Int(next() % 4)) {
                    bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
                }
            } else {
                bytes = (0..<Int(next() % 64)).map { _ in UInt8(truncatingIfNeeded: next()) }
            }
            _ = try? CaseEvent(serializedBytes: bytes)
            _ = try? CaseView(serializedBytes: bytes)
            _ = try? GRPCReflectionV1.ServerReflectionResponse(serializedBytes: bytes)
        }
    }
}
