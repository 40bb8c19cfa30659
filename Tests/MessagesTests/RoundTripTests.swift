import Messages
import Testing

/// Every message type, fully populated in several variants, survives the
/// binary form (through protobuf-c) and the JSON form unchanged.
@Suite struct RoundTripTests {
    @Test func everyMessageTypeHasFixtures() {
        // The registry and the fixtures come from the same descriptors; a
        // type missing here would go untested.
        let fixtureNames = Set(Fixtures.all.map(\.name))
        let registryNames = Set(MessageTypeRegistry.byName.keys).subtracting([
            Timestamp.protoMessageName,
        ])
        #expect(fixtureNames == registryNames)
        #expect(fixtureNames.count > 100)
    }

    @Test(arguments: Fixtures.all.map(\.name))
    func binaryRoundTrip(name: String) throws {
        let entry = try #require(Fixtures.all.first { $0.name == name })
        for variant in 0..<entry.variants {
            let message = entry.make(variant)
            #expect(type(of: message).protoMessageName == name)
            let bytes = message.serializedBytes()
            let decoded = try decode(bytes: bytes, like: message)
            #expect(sameMessage(decoded, message), "variant \(variant) of \(name)")

            // A slice of a larger buffer decodes the same.
            let framed = [0xAA] + bytes + [0xBB]
            let slice = framed[1..<(1 + bytes.count)]
            let fromSlice = try type(of: message).init(serializedBytes: slice)
            #expect(sameMessage(fromSlice, message))
        }
    }

    @Test(arguments: Fixtures.all.map(\.name))
    func jsonRoundTrip(name: String) throws {
        let entry = try #require(Fixtures.all.first { $0.name == name })
        for variant in 0..<entry.variants {
            let message = entry.make(variant)
            for pretty in [false, true] {
                let text = message.jsonString(pretty: pretty)
                let decoded = try decode(json: text, like: message)
                #expect(sameMessage(decoded, message), "variant \(variant): \(text)")
            }
            // The .proto names are accepted as well as the JSON names.
            let protoNamed = message.jsonString(options: .init(useProtoFieldNames: true))
            #expect(sameMessage(try decode(json: protoNamed, like: message), message))
            // Defaults written out read back as defaults.
            let withDefaults = message.jsonString(options: .init(emitDefaultValues: true))
            #expect(sameMessage(try decode(json: withDefaults, like: message), message))
        }
    }

    @Test func emptyMessagesEncodeToNothing() throws {
        #expect(CaseEvent().serializedBytes() == [])
        #expect(try CaseEvent(serializedBytes: []) == CaseEvent())
        #expect(CaseEvent().jsonString() == "{}")
        #expect(try CaseEvent(jsonString: "{}") == CaseEvent())
    }

    @Test func optionalFieldPresentAsZeroDiffersFromAbsent() throws {
        let absent = Item(code: "I-1")
        let zero = Item(code: "I-1", promisedLimitDays: 0)
        #expect(absent != zero)

        let absentBytes = absent.serializedBytes()
        let zeroBytes = zero.serializedBytes()
        // Field 6, varint 0: two more bytes on the wire.
        #expect(zeroBytes.count == absentBytes.count + 2)
        #expect(try Item(serializedBytes: zeroBytes).promisedLimitDays == 0)
        #expect(try Item(serializedBytes: absentBytes).promisedLimitDays == nil)

        #expect(zero.jsonString() == #"{"code":"I-1","promisedLimitDays":0}"#)
        #expect(try Item(jsonString: zero.jsonString()) == zero)
        #expect(try Item(jsonString: absent.jsonString()) == absent)
    }

    @Test func unknownEnumNumbersSurvive() throws {
        let alert = Alert(rule: Rule(rawValue: 4242), level: .red)
        #expect(alert.rule == .unrecognized(4242))
        #expect(alert.rule.protoName == nil)

        let decoded = try Alert(serializedBytes: alert.serializedBytes())
        #expect(decoded.rule.rawValue == 4242)
        #expect(decoded.level == .red)

        let json = alert.jsonString()
        #expect(json == #"{"rule":4242,"level":"LEVEL_RED"}"#)
        #expect(try Alert(jsonString: json) == alert)

        // .unrecognized(n) of a known number is the known case.
        #expect(Level.unrecognized(3) == .red)
        #expect(Set([Level.unrecognized(3), .red]).count == 1)
    }

    @Test func oneofVariantsRoundTrip() throws {
        let kinds: [CaseEvent.Kind] = [
            .received(CaseReceived(itemCode: "330101-001", channel: .online)),
            .accepted(CaseAccepted()),
            .intakeRefused(IntakeRefused(reason: "材料不齐")),
            .correctionRequested(CorrectionRequested(missingMaterials: ["a", "", "c"])),
            .stepCompleted(StepCompleted(step: .approve, outcome: .return)),
            .specialProcedureEnded(SpecialProcedureEnded(feeFen: -1)),
            .concluded(CaseConcluded(result: .denied, reason: "不符合条件")),
        ]
        for kind in kinds {
            let event = CaseEvent(eventID: "e-1", kind: kind)
            #expect(try CaseEvent(serializedBytes: event.serializedBytes()) == event)
            #expect(try CaseEvent(jsonString: event.jsonString()) == event)
        }
        // An empty message in a oneof is still a choice.
        let accepted = CaseEvent(kind: .accepted(CaseAccepted()))
        #expect(try CaseEvent(serializedBytes: accepted.serializedBytes()).kind != nil)
        #expect(accepted.jsonString() == #"{"accepted":{}}"#)
    }

    @Test func mapsEncodeInKeyOrder() throws {
        let response = GRPCHealthV1.HealthListResponse(statuses: [
            "monitor.v1.IntakeService": .init(status: .serving),
            "": .init(status: .notServing),
            "b": .init(),
        ])
        #expect(try GRPCHealthV1.HealthListResponse(serializedBytes: response.serializedBytes())
            == response)
        #expect(response.serializedBytes() == response.serializedBytes())
        #expect(response.jsonString() == #"{"statuses":{"":{"status":"NOT_SERVING"},"b":{},"#
            + #""monitor.v1.IntakeService":{"status":"SERVING"}}}"#)
    }
}
