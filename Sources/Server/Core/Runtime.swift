import Engine
import Messages
import Store
import Synchronization
import Transport

/// Everything the services share: the store, the supervision core, the
/// clock, access control, the alert hub, metrics and logs.
final class Runtime: Sendable {
    let store: Store
    let core: SupervisionCore
    let clock: any ServerClock
    let authenticator: Authenticator
    let hub: AlertHub
    let metrics: ServerMetrics
    let log: Logger
    let catalogue: CatalogueBook
    let region: String
    let serverName: String
    let startedAt: Instant
    let heartbeatDefault: Duration
    // The callbacks sit in a class box, never as a bare closure in a Mutex:
    // each `withLock` on a Mutex holding a function value wraps the stored
    // closure in two more reabstraction thunks, so calling it after every
    // write made each call walk a chain as long as the writes so far.
    private let wakeScheduler = Mutex<Callback?>(nil)
    private let lastWriteFailure = Mutex<String?>(nil)

    /// What is wrong with the store, when its last write failed.
    var storeProblem: String? { lastWriteFailure.withLock { $0 } }

    init(
        store: Store, core: SupervisionCore, clock: any ServerClock, hub: AlertHub,
        catalogue: CatalogueBook, metrics: ServerMetrics, log: Logger, region: String,
        serverName: String, heartbeatDefault: Duration = .seconds(15)
    ) {
        self.store = store
        self.core = core
        self.clock = clock
        self.authenticator = Authenticator(store: store)
        self.hub = hub
        self.catalogue = catalogue
        self.metrics = metrics
        self.log = log
        self.region = region
        self.serverName = serverName
        self.startedAt = clock.now()
        self.heartbeatDefault = heartbeatDefault
    }

    /// Lets the scheduler be woken after writes that may move its next
    /// instant.
    func setSchedulerWake(_ wake: @escaping @Sendable () -> Void) {
        wakeScheduler.withLock { $0 = Callback(wake) }
    }

    /// Runs `body` in the next group commit, returns once durable, and wakes
    /// the scheduler; store failures become gRPC errors a caller can act on.
    ///
    /// `mayRunAgain` (see `Store.write`) is for bodies whose only effect
    /// outside the transaction is on the supervision core, which the store's
    /// rollback observer has rebuilt.
    func write<Result: Sendable>(
        mayRunAgain: Bool = false,
        _ body: @escaping @Sendable (WriteTransaction) throws -> Result
    ) async throws -> Result {
        let started = ContinuousClock.now
        do {
            let result = try await store.write(mayRunAgain: mayRunAgain, body)
            metrics.storeWrite.observe(seconds(since: started))
            wrote()
            return result
        } catch {
            failed(error)
            throw Self.rpcError(error)
        }
    }

    private func wrote() {
        lastWriteFailure.withLock { $0 = nil }
        wakeScheduler.withLock { $0 }?.run()
    }

    /// A store error from a write means the batch did not commit: record the
    /// problem (health turns NOT_SERVING). The store's rollback observer has
    /// already had the state its writes changed in memory rebuilt.
    private func failed(_ error: any Error) {
        guard let error = error as? StoreError else { return }
        switch error {
        case .diskFull, .readOnly, .ioFailure, .corrupt, .busy, .sqlite:
            lastWriteFailure.withLock { $0 = "\(error)" }
            log.error("store write failed", ["error": error])
        default:
            break
        }
    }

    /// Queues `body` like `write` but returns once queued, for pipelines that
    /// collect results in order.
    func submit<Result: Sendable>(
        mayRunAgain: Bool = false,
        _ body: @escaping @Sendable (WriteTransaction) throws -> Result
    ) async throws -> PendingWrite<Result> {
        do {
            return try await store.submit(mayRunAgain: mayRunAgain, body)
        } catch {
            throw Self.rpcError(error)
        }
    }

    /// Called once a submitted write is durable.
    func submitted(startedAt started: ContinuousClock.Instant) {
        metrics.storeWrite.observe(seconds(since: started))
        wrote()
    }

    /// Called when a submitted write failed.
    func submitFailed(_ error: any Error) -> any Error {
        failed(error)
        return Self.rpcError(error)
    }

    /// Reads from the store; failures become gRPC errors.
    func read<Result>(_ body: (ReadTransaction) throws -> Result) async throws -> Result {
        do {
            return try await store.read(body)
        } catch {
            throw Self.rpcError(error)
        }
    }

    /// Evaluates what came due, for the scheduler.
    func tick() async throws {
        let core = self.core
        let clock = self.clock
        let outcome = try await write(mayRunAgain: true) { transaction in
            try core.tick(transaction, now: clock.now())
        }
        metrics.recordRaised(outcome.raised)
        metrics.alertsWithdrawn.increment(by: Double(outcome.withdrawn))
        if !outcome.raised.isEmpty {
            log.debug("thresholds passed", ["alerts": outcome.raised.count])
        }
    }

    /// The gRPC error for a failure of the store or the services.
    static func rpcError(_ error: any Error) -> any Error {
        switch error {
        case let error as RPCError:
            return error
        case let error as StoreError:
            switch error {
            case .diskFull:
                return RPCError(
                    code: .resourceExhausted,
                    message: "the server's disk is full; nothing was recorded: \(error)")
            case .readOnly, .busy, .ioFailure, .closed:
                return RPCError(
                    code: .unavailable, message: "the store cannot record now: \(error)")
            case .positionExpired(_, let oldest):
                var trailers = Metadata()
                trailers.add("monitor-oldest-sequence", String(oldest))
                return RPCError(code: .outOfRange, message: "\(error)", metadata: trailers)
            case .invalidArgument:
                return RPCError(code: .invalidArgument, message: "\(error)")
            case .notFound:
                return RPCError(code: .notFound, message: "\(error)")
            case .alreadyExists:
                return RPCError(code: .alreadyExists, message: "\(error)")
            default:
                return RPCError(code: .internal, message: "store failure: \(error)")
            }
        case let refusal as SupervisionRefusal:
            switch refusal {
            case .notFound: return RPCError(code: .notFound, message: refusal.description)
            case .notPossible:
                return RPCError(code: .failedPrecondition, message: refusal.description)
            }
        default:
            return error
        }
    }
}

/// A callback held by reference, so that storing and reading it under a lock
/// never rewraps the closure.
private final class Callback: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
