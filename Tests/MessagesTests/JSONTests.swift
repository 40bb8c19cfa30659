import Foundation
import Messages
import Testing

/// The strict JSON parser, the writer, and the proto3 JSON mapping's rules.
@Suite struct JSONTests {
    private func syntaxError(_ text: String) -> JSONDecodingError? {
        do {
            _ = try JSONValue(parsing: text)
            return nil
        } catch let error as JSONDecodingError {
            return error
        } catch {
            return nil
        }
    }

    private func mappingError<M: ProtoMessage>(
        _ type: M.Type, _ text: String, options: JSONDecodingOptions = .init()
    ) -> String? {
        do {
            _ = try M(jsonString: text, options: options)
            return nil
        } catch let error as JSONDecodingError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func parserRejectsWhatRFC8259Rejects() throws {
        let bad = [
            "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "NaN", "'a'",
            "\"\u{1}\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\" 1}", "[1 2]",
            "tru", "null x", "// c\n1", "{\"a\":1,\"a\":2}", "\"abc",
            String(repeating: "[", count: 101) + String(repeating: "]", count: 101),
        ]
        for text in bad {
            let error = syntaxError(text)
            #expect(error?.kind == .syntax, "accepted \(text.debugDescription)")
        }
    }

    @Test func parserAcceptsValidJSON() throws {
        let value = try JSONValue(parsing: """
             { "a": [1, -0.5e+3, true, false, null], "b": "\\u00e9\\ud83d\\ude00\\n",
               "c": {}, "d": [] }
            """)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object["a"] == .array([.number("1"), .number("-0.5e+3"), .bool(true),
                                       .bool(false), .null]))
        #expect(object["b"] == .string("é😀\n"))
        #expect(object.members.map(\.key) == ["a", "b", "c", "d"])
    }

    @Test func syntaxErrorsGiveLineAndColumn() throws {
        let error = try #require(syntaxError("{\n  \"行政\": [1, 2,]\n}"))
        #expect(error.line == 2)
        #expect(error.column == 15)
        #expect(error.description
            == "invalid JSON at line 2, column 15: expected a value, got ']'")
    }

    @Test func invalidUTF8TextIsASyntaxError() {
        #expect(throws: JSONDecodingError.self) {
            _ = try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22])
        }
    }

    @Test func writerIsDeterministicCompactAndPretty() {
        var object = JSONObject()
        object.append("b", .array([.number("1"), .string("x\"\\\u{1}\n")]))
        object.append("a", .object(JSONObject()))
        let value = JSONValue.object(object)
        #expect(value.serialized() == #"{"b":[1,"x\"\\\u0001\n"],"a":{}}"#)
        #expect(value.serialized(pretty: true) == """
            {
              "b": [
                1,
                "x\\"\\\\\\u0001\\n"
              ],
              "a": {}
            }
            """)
    }

    @Test func canonicalMappingOfACaseEvent() throws {
        let event = CaseEvent(
            eventID: "e-1", revision: 2, departmentCode: "330101-LAND", caseID: "2026-0001",
            occurredAt: Timestamp(rfc3339: "2026-01-05T17:30:00.250+08:00"),
            kind: .specialProcedureEnded(SpecialProcedureEnded(
                procedureID: "p-1", result: "合格", feeFen: -9_007_199_254_740_993)))
        let json = event.jsonString()
        #expect(json == #"{"eventId":"e-1","revision":2,"departmentCode":"330101-LAND","#
            + #""caseId":"2026-0001","occurredAt":"2026-01-05T09:30:00.250Z","#
            + #""specialProcedureEnded":{"procedureId":"p-1","result":"合格","#
            + #""feeFen":"-9007199254740993"}}"#)
        #expect(event.jsonString(options: .init(useProtoFieldNames: true))
            .hasPrefix(#"{"event_id":"e-1","revision":2,"department_code""#))
    }

    @Test func inputAcceptsBothNamesNumbersForEnumsAndNullAsDefault() throws {
        let text = """
            {"event_id": "e", "revision": "3", "caseId": null,
             "received": {"applicant": {"idType": 2, "type": "APPLICANT_TYPE_PERSON"},
                          "channel": null}}
            """
        let event = try CaseEvent(jsonString: text)
        #expect(event.eventID == "e")
        #expect(event.revision == 3)
        #expect(event.caseID == "")
        guard case .received(let received)? = event.kind else {
            Issue.record("no received event")
            return
        }
        #expect(received.applicant?.idType == .passport)
        #expect(received.applicant?.type == .person)
        #expect(received.channel == .unspecified)
    }

    @Test func integersAcceptStringsAndIntegralNumbers() throws {
        #expect(try FeeCharged(jsonString: #"{"amountFen": 12}"#).amountFen == 12)
        #expect(try FeeCharged(jsonString: #"{"amountFen": "-12"}"#).amountFen == -12)
        #expect(try FeeCharged(jsonString: #"{"amountFen": 1.2e1}"#).amountFen == 12)
        #expect(try ExtensionGranted(jsonString: #"{"days": "10"}"#).days == 10)
        #expect(mappingError(ExtensionGranted.self, #"{"days": -1}"#)
            == "days: -1 is out of range for uint32")
        #expect(mappingError(ExtensionGranted.self, #"{"days": 1.5}"#)
            == "days: expected an integer (uint32), got 1.5")
        #expect(mappingError(FeeCharged.self, #"{"amountFen": "9223372036854775808"}"#)
            == "amountFen: 9223372036854775808 is out of range for int64")
    }

    @Test func mappingErrorsNameThePathAndTheExpectation() {
        #expect(mappingError(CaseEvent.self, #"{"received":{"applicant":{"idType":"X"}}}"#)
            == "received.applicant.idType: expected one of ID_TYPE_UNSPECIFIED, "
            + "ID_TYPE_RESIDENT_ID_CARD, ID_TYPE_PASSPORT, "
            + "ID_TYPE_UNIFIED_SOCIAL_CREDIT_CODE, ID_TYPE_OTHER, got \"X\"")
        #expect(mappingError(CaseEvent.self, #"{"eventId": 5}"#)
            == "eventId: expected a string, got 5")
        let materials = #"{"correctionRequested":{"missingMaterials":["a",1]}}"#
        #expect(mappingError(CaseEvent.self, materials)
            == "correctionRequested.missingMaterials[1]: expected a string, got 1")
        #expect(mappingError(CaseEvent.self, #"{"occurredAt": "2026-13-01T00:00:00Z"}"#)?
            .hasPrefix("occurredAt: expected an RFC 3339 instant") == true)
        #expect(mappingError(CaseEvent.self, "[]")
            == "expected an object for monitor.v1.CaseEvent, got an array")
        #expect(mappingError(CaseEvent.self, #"{"accepted": {}, "received": {}}"#)
            == "received: oneof kind already has \"accepted\" set")
        #expect(mappingError(GRPCHealthV1.HealthListResponse.self,
                             #"{"statuses": {"a": {"status": true}}}"#)
            == "statuses[\"a\"].status: expected a grpc.health.v1.HealthCheckResponse"
            + ".ServingStatus name or number, got true")
    }

    @Test func unknownFieldsFailUnlessIgnored() throws {
        #expect(mappingError(CaseEvent.self, #"{"received": {"colour": "red"}}"#)
            == "received: unknown field \"colour\" in monitor.v1.CaseReceived")
        let ignoring = JSONDecodingOptions(ignoreUnknownFields: true)
        let event = try CaseEvent(
            jsonString: #"{"eventId":"e","colour":1,"received":{"channel":"CHANNEL_FAX"}}"#,
            options: ignoring)
        #expect(event == CaseEvent(eventID: "e", kind: .received(CaseReceived())))
    }

    @Test func bytesAreBase64InEitherAlphabet() throws {
        let response = GRPCReflectionV1.FileDescriptorResponse(
            fileDescriptorProto: [[0xFB, 0xFF], [], [0x61, 0x62, 0x63, 0x64]])
        #expect(response.jsonString()
            == #"{"fileDescriptorProto":["+/8=","","YWJjZA=="]}"#)
        let urlSafe = try GRPCReflectionV1.FileDescriptorResponse(
            jsonString: #"{"fileDescriptorProto":["-_8","","YWJjZA"]}"#)
        #expect(urlSafe == response)
        #expect(mappingError(GRPCReflectionV1.FileDescriptorResponse.self,
                             #"{"fileDescriptorProto":["a"]}"#)?
            .hasPrefix("fileDescriptorProto[0]: expected base64") == true)
    }

    @Test func doublesWriteSpecialValuesAsStrings() throws {
        let scheme = ScoringScheme(baseScore: .infinity, yellowCardPoints: -.infinity,
                                   redCardPoints: 0.1)
        let json = scheme.jsonString()
        #expect(json == #"{"baseScore":"Infinity","yellowCardPoints":"-Infinity","#
            + #""redCardPoints":0.1}"#)
        #expect(try ScoringScheme(jsonString: json) == scheme)
        let nan = try ScoringScheme(jsonString: #"{"baseScore":"NaN"}"#)
        #expect(nan.baseScore.isNaN)
        #expect(mappingError(ScoringScheme.self, #"{"baseScore":1e999}"#)
            == "baseScore: 1e999 is out of range for double")
    }
}

/// The JSON examples of docs/interface.md are valid events.
@Suite struct InterfaceDocumentTests {
    @Test func everyJSONExampleIsACaseEvent() throws {
        let url = repositoryRoot.appendingPathComponent("docs/interface.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let blocks = text.components(separatedBy: "```json\n").dropFirst()
            .map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count >= 12)
        for block in blocks {
            let event = try CaseEvent(jsonString: block)
            #expect(event.kind != nil, "\(block)")
            #expect(event.occurredAt != nil)
        }
    }
}
