import Messages
import Services
import Testing
import Transport

/// The typed layer over the transport: real sockets, real protobuf bytes.
@Suite("Typed calls")
struct TypedRPCTests {
    private func withServer(
        _ configure: (inout MethodRouter) -> Void,
        _ body: (RPCClient, GRPCChannel) async throws -> Void
    ) async throws {
        var router = MethodRouter()
        configure(&router)
        let server = GRPCServer(configuration: ServerConfiguration(), router: router)
        try server.start()
        let channel = GRPCChannel(host: "127.0.0.1", port: server.port)
        do {
            try await body(RPCClient(channel: channel), channel)
        } catch {
            await channel.close()
            await server.shutdown()
            throw error
        }
        await channel.close()
        await server.shutdown()
    }

    @Test func unaryCarriesMessagesAndMetadata() async throws {
        try await withServer({ router in
            router.registerUnary(AdminService.getServerInfo) { _, context in
                var info = ServerInfo()
                info.regionCode = "330899"
                info.callerName = context.metadata["authorization"] ?? "nobody"
                return info
            }
        }) { client, _ in
            var authorised = client
            authorised.metadata = ["authorization": "Bearer mon_x"]
            let info = try await authorised.unary(
                AdminService.getServerInfo, GetServerInfoRequest())
            #expect(info.regionCode == "330899")
            #expect(info.callerName == "Bearer mon_x")
        }
    }

    @Test func bidirectionalAnswersEachMessageInOrder() async throws {
        try await withServer({ router in
            router.registerBidirectional(IntakeService.reportEvents) { events, acks, _ in
                var index: UInt64 = 0
                for try await event in events {
                    index += 1
                    var ack = EventAck()
                    ack.index = index
                    ack.eventID = event.eventID
                    ack.status = .accepted
                    try await acks.send(ack)
                }
            }
        }) { client, _ in
            let call = try await client.streaming(IntakeService.reportEvents)
            for n in 1...50 {
                var event = CaseEvent()
                event.eventID = "e-\(n)"
                try await call.send(event)
            }
            try await call.finishSending()
            var seen: [String] = []
            for try await ack in call.responses { seen.append(ack.eventID) }
            #expect(seen == (1...50).map { "e-\($0)" })
        }
    }

    @Test func malformedRequestIsInternalAndNamesTheMessage() async throws {
        try await withServer({ router in
            router.registerUnary(AdminService.getServerInfo) { _, _ in ServerInfo() }
        }) { _, channel in
            // Field 1 announced as a 100-byte string, with 1 byte behind it.
            let garbage: [UInt8] = [0x0A, 100, 0x41]
            do {
                _ = try await channel.unary(path: AdminService.getServerInfo.path, request: garbage)
                Issue.record("a malformed request was answered")
            } catch let error as RPCError {
                #expect(error.code == .internal)
                #expect(error.message.contains("monitor.v1.GetServerInfoRequest"))
            }
        }
    }

    @Test func aServiceNotOfferedSaysSo() async throws {
        try await withServer({ router in
            router.registerNotOffered(
                ComplaintService.descriptor,
                reason: "this server does not offer monitor.v1.ComplaintService yet")
        }) { client, _ in
            do {
                _ = try await client.unary(ComplaintService.getComplaint, GetComplaintRequest())
                Issue.record("answered")
            } catch let error as RPCError {
                #expect(error.code == .unimplemented)
                #expect(error.message.contains("does not offer monitor.v1.ComplaintService"))
            }
        }
    }
}
