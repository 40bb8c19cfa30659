import Engine
import Interchange
import Messages
import Services
import Store
import Transport

/// Case intake: departments report events; each is acknowledged once it is
/// durable, with the case's state and alerts updated in the same commit.
struct IntakeEndpoint {
    let runtime: Runtime

    /// How many acknowledgements one stream may have outstanding. While that
    /// many events wait for their commit the stream stops reading, and HTTP/2
    /// flow control holds the sender: a fast sender is slowed, never
    /// buffered. Large enough that one stream fills a group commit: at 512,
    /// one fast stream's commits carried 60 to 220 events each, and the
    /// fixed cost of a commit (its log pages, their checkpoint) left one
    /// stream about a quarter slower than at 2,048 (docs/benchmarks.md).
    static let window = 2048

    func register(into router: inout MethodRouter) {
        router.registerBidirectional(IntakeService.reportEvents) { events, acks, context in
            try await reportEvents(events, acks, context)
        }
        router.registerUnary(IntakeService.reportEvent) { event, context in
            let caller = try await runtime.authenticator.authorize(context)
            let pending = try await submit(event, index: 1, caller: caller)
            return try await pending.ack(runtime)
        }
    }

    /// An event on its way: answered at once (rejected), or waiting for its
    /// commit.
    enum PendingAck: Sendable {
        case ready(EventAck)
        case writing(PendingWrite<SupervisionCore.Ingested>, started: ContinuousClock.Instant)

        func ack(_ runtime: Runtime) async throws -> EventAck {
            switch self {
            case .ready(let ack):
                runtime.metrics.events.increment(ack.status.protoName ?? "UNKNOWN")
                return ack
            case .writing(let pending, let started):
                let ingested: SupervisionCore.Ingested
                do {
                    ingested = try await pending.value
                } catch {
                    throw runtime.submitFailed(error)
                }
                runtime.submitted(startedAt: started)
                runtime.metrics.ackLatency.observe(seconds(since: started))
                runtime.metrics.events.increment(ingested.ack.status.protoName ?? "UNKNOWN")
                runtime.metrics.recordRaised(ingested.outcome.raised)
                runtime.metrics.alertsWithdrawn.increment(by: Double(ingested.outcome.withdrawn))
                return ingested.ack
            }
        }
    }

    private func reportEvents(
        _ events: RequestStream<Messages.CaseEvent>, _ acks: ResponseWriter<EventAck>,
        _ context: ServerContext
    ) async throws {
        let caller = try await runtime.authenticator.authorize(context)
        let queue = BoundedQueue<PendingAck>(capacity: Self.window)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var index: UInt64 = 0
                do {
                    for try await event in events {
                        index += 1
                        try await queue.push(try await submit(event, index: index, caller: caller))
                    }
                    queue.finish()
                } catch {
                    queue.fail(error)
                    throw error
                }
            }
            // Acknowledge in the order the events came, each once durable.
            do {
                while let pending = try await queue.pop() {
                    try await acks.send(try await pending.ack(runtime))
                }
            } catch {
                queue.fail(error)
                group.cancelAll()
                throw error
            }
            try await group.waitForAll()
        }
    }

    /// Validates one event and queues its write. A malformed event is
    /// answered alone; the stream goes on.
    func submit(_ event: Messages.CaseEvent, index: UInt64, caller: Caller) async throws
        -> PendingAck
    {
        let reportedAt = runtime.clock.now()
        let recorded: RecordedEvent
        do throws(ValidationError) {
            recorded = try RecordedEvent(event, reportedAt: reportedAt)
        } catch {
            return .ready(EventAck(index: index, rejecting: event, error: error))
        }
        guard event.departmentCode == caller.departmentCode else {
            let error = ValidationError(
                field: "department_code",
                reason: "this token reports for department \"\(caller.departmentCode)\", "
                    + "not \"\(event.departmentCode)\"")
            return .ready(EventAck(index: index, rejecting: event, error: error))
        }
        let core = runtime.core
        let clock = runtime.clock
        let started = ContinuousClock.now
        let payload = event.serializedBytes()
        let pending = try await runtime.submit(mayRunAgain: true) { transaction in
            try core.ingest(
                recorded, payload: payload, index: index, reportedBy: caller.tokenID,
                transaction, now: clock.now())
        }
        return .writing(pending, started: started)
    }
}
