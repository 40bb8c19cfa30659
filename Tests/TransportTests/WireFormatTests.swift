import Testing
@testable import Transport

/// The wire's small pieces, driven in memory.
@Suite struct WireFormatTests {
    // MARK: Framing

    @Test func framesCarryFlagLengthAndBytes() {
        #expect(MessageFraming.framed([0xAA, 0xBB]) == [0, 0, 0, 0, 2, 0xAA, 0xBB])
        #expect(MessageFraming.framed([]) == [0, 0, 0, 0, 0])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64, 1000])
    func deframingSurvivesAnyChunking(chunkSize: Int) throws {
        let messages: [[UInt8]] = [
            [], [1], Array(repeating: 2, count: 300), [3, 4, 5], [],
            Array(0..<255).map(UInt8.init),
        ]
        var wire: [UInt8] = []
        for message in messages { MessageFraming.append(message, to: &wire) }

        var deframer = MessageDeframer(limit: 1000)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < wire.count {
            let end = min(offset + chunkSize, wire.count)
            try deframer.process(Array(wire[offset..<end])) { received.append($0) }
            offset = end
        }
        #expect(received == messages)
        #expect(!deframer.hasPartialMessage)
    }

    @Test func partialMessageIsVisibleAtTheEnd() throws {
        var deframer = MessageDeframer(limit: 100)
        try deframer.process([0, 0, 0, 0, 4, 1, 2]) { _ in Issue.record("not complete yet") }
        #expect(deframer.hasPartialMessage)
        var prefixOnly = MessageDeframer(limit: 100)
        try prefixOnly.process([0, 0]) { _ in }
        #expect(prefixOnly.hasPartialMessage)
    }

    @Test func limitIsCheckedOnThePrefixBeforeBuffering() {
        var deframer = MessageDeframer(limit: 4 * 1024 * 1024)
        // A prefix announcing 4 GiB - 1 arrives alone: refused at once.
        #expect(throws: MessageDeframer.Failure.tooLarge(length: 0xFFFF_FFFF, limit: 4_194_304)) {
            try deframer.process([0, 0xFF, 0xFF, 0xFF, 0xFF]) { _ in }
        }
        // After a failure the deframer refuses everything.
        #expect(throws: MessageDeframer.Failure.self) {
            try deframer.process([0, 0, 0, 0, 0]) { _ in }
        }
    }

    @Test func exactlyTheLimitPassesOneMoreFails() throws {
        var deframer = MessageDeframer(limit: 10)
        var count = 0
        try deframer.process(MessageFraming.framed(Array(repeating: 1, count: 10))) { _ in
            count += 1
        }
        #expect(count == 1)
        #expect(throws: MessageDeframer.Failure.tooLarge(length: 11, limit: 10)) {
            try deframer.process([0, 0, 0, 0, 11]) { _ in }
        }
        #expect(MessageDeframer.Failure.tooLarge(length: 11, limit: 10).error.code
            == .resourceExhausted)
    }

    @Test func compressedFlagIsInternalError() {
        var deframer = MessageDeframer(limit: 10)
        #expect(throws: MessageDeframer.Failure.compressed) {
            try deframer.process([1, 0, 0, 0, 1, 9]) { _ in }
        }
        #expect(MessageDeframer.Failure.compressed.error.code == .internal)
        var other = MessageDeframer(limit: 10)
        #expect(throws: MessageDeframer.Failure.invalidFlags(0x80)) {
            try other.process([0x80, 0, 0, 0, 0]) { _ in }
        }
    }

    // MARK: Percent-encoding

    @Test func percentEncodingLeavesPrintableASCIIAlone() {
        let plain = "deadline exceeded: case 42"
        #expect(PercentEncoding.encode(plain) == plain)
    }

    @Test func percentEncodingEscapesPercentControlAndNonASCII() {
        #expect(PercentEncoding.encode("100%") == "100%25")
        #expect(PercentEncoding.encode("a\nb") == "a%0Ab")
        #expect(PercentEncoding.encode("审批") == "%E5%AE%A1%E6%89%B9")
    }

    @Test(arguments: ["", "plain", "100% done", "审批超期 (红牌)", "tab\tnew\nline", "%%%"])
    func percentEncodingRoundTrips(message: String) {
        #expect(PercentEncoding.decode(Array(PercentEncoding.encode(message).utf8)) == message)
    }

    @Test func malformedPercentSequencesAreKept() {
        #expect(PercentEncoding.decode(Array("50%".utf8)) == "50%")
        #expect(PercentEncoding.decode(Array("%zz%4".utf8)) == "%zz%4")
        #expect(PercentEncoding.decode(Array("%41%42".utf8)) == "AB")
    }

    // MARK: grpc-timeout

    @Test(arguments: [
        ("1H", Duration.seconds(3600)), ("2M", .seconds(120)), ("3S", .seconds(3)),
        ("4m", .milliseconds(4)), ("5u", .microseconds(5)), ("6n", .nanoseconds(6)),
        ("99999999H", .seconds(Int64(99_999_999) * 3600)), ("0n", .zero),
    ])
    func timeoutParsesEveryUnit(text: String, expected: Duration) {
        #expect(GRPCTimeout.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: ["", "S", "1", "123456789S", "1x", "-1S", "1.5S", " 1S", "1s"])
    func malformedTimeoutsAreRejected(text: String) {
        #expect(GRPCTimeout.parse(Array(text.utf8)) == nil)
    }

    @Test func timeoutFormatsInTheFinestUnitThatFits() {
        #expect(GRPCTimeout.format(.nanoseconds(5)) == "5n")
        #expect(GRPCTimeout.format(.milliseconds(250)) == "250000u")
        #expect(GRPCTimeout.format(.seconds(5)) == "5000000u")
        #expect(GRPCTimeout.format(.seconds(1000)) == "1000000m")
        #expect(GRPCTimeout.format(.seconds(200_000)) == "200000S")
        #expect(GRPCTimeout.format(.seconds(200_000_000)) == "3333334M")
    }

    @Test func timeoutFormattingRoundsUpAndSaturates() {
        // 100,000,001 ns does not fit 8 digits of n: 100001 u, rounded up.
        #expect(GRPCTimeout.format(.nanoseconds(100_000_001)) == "100001u")
        #expect(GRPCTimeout.format(.zero) == "0n")
        #expect(GRPCTimeout.format(.seconds(-3)) == "0n")
        #expect(GRPCTimeout.format(.seconds(Int64.max)) == "99999999H")
    }

    @Test(arguments: [1, 999, 1_000_000, 123_456_789_012, 9_000_000_000_000])
    func formattedTimeoutIsNeverShorter(nanos: Int64) throws {
        let formatted = GRPCTimeout.format(.nanoseconds(nanos))
        let parsed = try #require(GRPCTimeout.parse(Array(formatted.utf8)))
        #expect(parsed >= .nanoseconds(nanos))
        #expect(formatted.utf8.count <= 9)
    }

    // MARK: Metadata and base64

    @Test func base64AcceptsPaddedAndUnpadded() {
        #expect(Base64.decode(Array("AP8Q".utf8)) == [0, 0xFF, 0x10])
        #expect(Base64.decode(Array("AQ==".utf8)) == [1])
        #expect(Base64.decode(Array("AQ".utf8)) == [1])
        #expect(Base64.decode(Array("AQI=".utf8)) == [1, 2])
        #expect(Base64.decode(Array("AQI".utf8)) == [1, 2])
        #expect(Base64.decode(Array("A".utf8)) == nil)
        #expect(Base64.decode(Array("A*==".utf8)) == nil)
        #expect(Base64.decode(Array("AQ===".utf8)) == nil)
    }

    @Test func base64RoundTripsEveryLength() {
        for length in 0..<40 {
            let data = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            #expect(Base64.decode(Array(Base64.encode(data, padded: false).utf8)) == data)
            #expect(Base64.decode(Array(Base64.encode(data, padded: true).utf8)) == data)
        }
    }

    @Test func metadataKeepsOrderAndRepeatsAndLowercasesKeys() {
        var metadata = Metadata()
        metadata.add("X-Region", "east")
        metadata.add("x-region", "west")
        metadata.add("x-other", "1")
        #expect(metadata["x-region"] == "east")
        #expect(metadata.values(for: "X-REGION") == [.string("east"), .string("west")])
        #expect(metadata.map(\.key) == ["x-region", "x-region", "x-other"])
        let removed = metadata.remove("x-region")
        #expect(removed)
        #expect(metadata.count == 1)
        let removedAgain = metadata.remove("x-region")
        #expect(!removedAgain)
    }

    @Test func binaryMetadataTravelsAsUnpaddedBase64() throws {
        var metadata = Metadata()
        metadata.add("x-id-bin", bytes: [1])
        metadata.add("x-text", "t")
        let fields = metadata.wireFields()
        #expect(fields.map(\.0) == ["x-id-bin", "x-text"])
        #expect(fields.map(\.1) == ["AQ", "t"])

        var parsed = Metadata()
        try parsed.appendFromWire(name: "x-id-bin", value: Array("AQ==".utf8))
        #expect(parsed.first(for: "x-id-bin") == .binary([1]))
        #expect(throws: RPCError.self) {
            try parsed.appendFromWire(name: "x-bad-bin", value: Array("!!".utf8))
        }
    }

    @Test func reservedHeadersAreNeitherSentNorSurfaced() throws {
        var metadata: Metadata = ["grpc-status": "0", "content-type": "text/plain", "x-ok": "1"]
        metadata.add(":path", "/forged")
        #expect(metadata.wireFields().map(\.0) == ["x-ok"])

        var received = Metadata()
        for name in [":status", "content-type", "te", "grpc-status", "grpc-message",
                     "grpc-timeout", "grpc-encoding", "grpc-accept-encoding"] {
            try received.appendFromWire(name: name, value: Array("v".utf8))
        }
        #expect(received.isEmpty)
    }
}
