import Testing
import Transport

/// Python grpcio's client against our server: the wire must be what grpcio expects.
@Suite struct GrpcioClientTests {
    func withServer(
        probe: Probe = Probe(),
        _ body: (GRPCServer) async throws -> Void
    ) async throws {
        let server = try startTestServer(probe: probe)
        do {
            try await body(server)
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func unaryWithTextAndBinaryMetadata() async throws {
        try await withServer { server in
            let results = try await runPythonClient(port: server.port, scenario: "unary")
            let result = try #require(results.first)
            #expect(result["code"] as? String == "OK")
            #expect(result["reply"] as? String == "受理")
            let initial = result["initial"] as? [String: [String]]
            #expect(initial?["x-echo-source"] == ["county"])
            #expect(initial?["x-echo-key-bin"] == ["hex:00ff10"])
            let trailing = result["trailing"] as? [String: [String]]
            #expect(trailing?["x-trailer-note"] == ["done"])
        }
    }

    @Test func everyStatusCodeWithPercentEncodedMessages() async throws {
        try await withServer { server in
            let results = try await runPythonClient(port: server.port, scenario: "statuses")
            #expect(results.count == 19)
            let names = [
                "", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
            ]
            for result in results.prefix(16) {
                let sent = try #require(result["sent"] as? Int)
                #expect(result["code"] as? String == names[sent])
                #expect(result["message"] as? String == result["expected_message"] as? String)
                let trailing = result["trailing"] as? [String: [String]]
                #expect(trailing?["x-detail-bin"] == ["hex:000102ff"])
            }
            let byMethod = Dictionary(
                uniqueKeysWithValues: results.dropFirst(16).map {
                    ($0["method"] as! String, $0)
                })
            #expect(byMethod["FailAfterSend"]?["code"] as? String == "ABORTED")
            #expect(byMethod["Throw"]?["code"] as? String == "UNKNOWN")
            #expect(byMethod["Nope"]?["code"] as? String == "UNIMPLEMENTED")
        }
    }

    @Test func serverClientAndBidirectionalStreams() async throws {
        try await withServer { server in
            let results = try await runPythonClient(port: server.port, scenario: "streams")
            #expect(results.count == 4)
            let byKind = Dictionary(
                uniqueKeysWithValues: results.map { ($0["kind"] as! String, $0) })
            #expect(byKind["server"]?["count"] as? Int == 300)
            #expect(byKind["server"]?["ordered"] as? Bool == true)
            #expect(byKind["client"]?["reply"] as? String == "\((0..<200).reduce(0, +))/200")
            #expect(byKind["bidi"]?["same"] as? Bool == true)
            #expect(byKind["client-empty"]?["reply"] as? String == "0/0")
        }
    }

    @Test func deadlineEndsTheCallAndCancelsTheHandler() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { server in
            let results = try await runPythonClient(port: server.port, scenario: "deadline")
            let result = try #require(results.first)
            #expect(result["code"] as? String == "DEADLINE_EXCEEDED")
            await probe.wait(for: "sleep.cancelled")
            #expect(probe.value("sleep.cancelled") == 1)
        }
    }

    @Test func clientCancellationCancelsTheHandler() async throws {
        let probe = Probe()
        try await withServer(probe: probe) { server in
            let results = try await runPythonClient(port: server.port, scenario: "cancel") {
                peer in
                await probe.wait(for: "sleep.started")
                peer.send("go")
            }
            #expect(results.first?["code"] as? String == "CANCELLED")
            await probe.wait(for: "sleep.cancelled")
            #expect(probe.value("sleep.cancelled") == 1)
        }
    }

    @Test func fourMebibytesPassOneByteMoreIsResourceExhausted() async throws {
        try await withServer { server in
            let results = try await runPythonClient(port: server.port, scenario: "limits")
            #expect(results.count == 3)
            #expect(results[0]["code"] as? String == "OK")
            #expect(results[0]["reply"] as? String == "\(4 * 1024 * 1024)/1")
            #expect(results[1]["code"] as? String == "RESOURCE_EXHAUSTED")
            #expect(results[2]["after"] as? String == "still here")
        }
    }

    @Test func concurrentCallsFromManyThreads() async throws {
        try await withServer { server in
            let results = try await runPythonClient(port: server.port, scenario: "concurrent")
            #expect(results.first?["count"] as? Int == 100)
            #expect(results.first?["distinct"] as? Int == 100)
        }
    }
}
