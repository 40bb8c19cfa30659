import Messages
import Services
import Transport

/// `ServerBench serve-ack`: ReportEvents on our transport, answered without the
/// store or the engine. Each event is decoded and acknowledged ACCEPTED at once, so
/// the same load measures what the transport, the message layer and the client
/// cost by themselves. Runs until killed.
func serveAcknowledgingOnly(_ arguments: Arguments) async throws {
    var router = MethodRouter()
    router.registerBidirectional(IntakeService.reportEvents) { events, acks, _ in
        var index: UInt64 = 0
        for try await event in events {
            index += 1
            var ack = EventAck()
            ack.index = index
            ack.eventID = event.eventID
            ack.revision = event.revision
            ack.status = .accepted
            try await acks.send(ack)
        }
    }
    var configuration = ServerConfiguration()
    configuration.eventLoops = arguments.integer("loops", default: configuration.eventLoops)
    let server = GRPCServer(configuration: configuration, router: router)
    try server.start()
    say("READY \(server.port)")
    while true {
        try await Task.sleep(for: .seconds(3600))
    }
}
