import Engine
import Foundation
import Interchange
import Messages
import Services
import Store
import Synchronization
import Transport

/// The supervision server: the store, the engine and every service of the
/// interface standard, behind one gRPC listener.
///
/// ```swift
/// let server = try await MonitorServer.start(configuration: config, logger: log)
/// // ... until SIGTERM:
/// await server.shutdown()
/// ```
public final class MonitorServer: Sendable {
    /// The software's version, reported by `GetServerInfo`.
    public static let version = "0.1.0"

    /// The services of the interface standard this server offers.
    public static let offeredServices = [
        IntakeService.descriptor, CaseService.descriptor, AlertService.descriptor,
        CatalogueService.descriptor, AdminService.descriptor, GRPCHealthV1.Health.descriptor,
        GRPCReflectionV1.ServerReflection.descriptor,
        GRPCReflectionV1Alpha.ServerReflection.descriptor,
    ].map(\.name)

    /// Services of the interface standard that this version answers with
    /// UNIMPLEMENTED and a sentence saying so.
    static let notYetOffered = [
        ComplaintService.descriptor, EvaluationService.descriptor, UpstreamService.descriptor,
    ]

    let runtime: Runtime
    private let transport: GRPCServer
    private let metricsEndpoint: MetricsEndpoint?
    private let scheduler: Scheduler
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let configuration: Mutex<Configuration>

    /// The port the gRPC listener is bound to.
    public var port: Int { transport.port }
    /// The port of the metrics endpoint, when it runs.
    public var metricsPort: Int? { metricsEndpoint?.port }
    /// The clock the server supervises by.
    public var clock: any ServerClock { runtime.clock }

    /// Opens the store in the data directory (creating it on first start),
    /// rebuilds the supervision state, and starts listening.
    ///
    /// - Throws: `ServerError` saying what stopped the start.
    public static func start(
        configuration: Configuration, clock: any ServerClock = SystemClock(), logger: Logger
    ) async throws -> MonitorServer {
        let log = logger.component("server")
        let directory = URL(fileURLWithPath: configuration.dataDirectory)
        // The store keeps the whole alert log; the server trims it (see
        // `keepAlertLog`), on its own clock and with the retention a reload
        // may change.
        let store: Store
        do {
            store = try Store(directory: directory, configuration: Store.Configuration())
        } catch {
            throw ServerError.store("\(configuration.dataDirectory): \(error)")
        }

        let official: WorkingCalendar
        do {
            official = try WorkingCalendar.official()
        } catch {
            throw ServerError.store("the shipped holiday calendar does not load: \(error)")
        }
        let now = clock.now()
        let catalogue = try await store.read {
            try CatalogueBook.load($0, official: official, now: now)
        }
        let core = SupervisionCore(catalogue: catalogue, region: configuration.regionCode)
        let position = try await store.read { try $0.alertLogPosition() }
        let hub = AlertHub(position: position)
        store.setCommitObserver { entries in
            catalogue.committed()
            hub.publish(entries)
        }
        // Writes taken back leave a staged catalogue change, and the cases
        // followed in memory, ahead of the file: the change is dropped, and
        // the cases are rebuilt from the file before the next write uses them.
        store.setRollbackObserver {
            catalogue.rolledBack()
            core.requestReload()
        }

        let metrics = ServerMetrics()
        let runtime = Runtime(
            store: store, core: core, clock: clock, hub: hub, catalogue: catalogue,
            metrics: metrics, log: log, region: configuration.regionCode,
            serverName: configuration.serverName)

        let loaded = try await runtime.write { transaction in
            try core.load(transaction, now: clock.now())
        }
        metrics.recordRaised(loaded.raised)
        log.info(
            "store opened",
            ["path": store.path, "catalogue_version": catalogue.current.version,
             "followed_cases": core.published.withLock { $0.followedCases },
             "raised_on_start": loaded.raised.count])
        try await bootstrapAdministrator(runtime, directory: configuration.dataDirectory)

        let server = try MonitorServer(runtime: runtime, configuration: configuration)
        try server.startListening()
        return server
    }

    private init(runtime: Runtime, configuration: Configuration) throws {
        self.runtime = runtime
        self.configuration = Mutex(configuration)

        var router = MethodRouter()
        IntakeEndpoint(runtime: runtime).register(into: &router)
        CaseEndpoint(runtime: runtime).register(into: &router)
        AlertEndpoint(runtime: runtime).register(into: &router)
        CatalogueEndpoint(runtime: runtime).register(into: &router)
        AdminEndpoint(runtime: runtime, offered: Self.offeredServices).register(into: &router)
        HealthEndpoint(runtime: runtime, services: Self.offeredServices).register(into: &router)
        ReflectionEndpoint(services: Self.offeredServices).register(into: &router)
        for service in Self.notYetOffered {
            router.registerNotOffered(
                service,
                reason: "this server (version \(Self.version)) does not offer \(service.name) "
                    + "yet; it is part of the interface standard and will be served by a "
                    + "later version")
        }

        var transportConfiguration = ServerConfiguration()
        transportConfiguration.host = configuration.listen.host
        transportConfiguration.port = configuration.listen.port
        if configuration.eventLoops > 0 {
            transportConfiguration.eventLoops = configuration.eventLoops
        }
        transportConfiguration.maxReceiveMessageBytes = configuration.maxReceiveMessageBytes
        transportConfiguration.gracefulShutdownTimeout = .seconds(
            configuration.shutdownGraceSeconds)
        let transportLog = runtime.log.component("transport")
        transportConfiguration.logger = TransportLogger(minimumLevel: .info) { record in
            let level: LogLevel = switch record.level {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
            transportLog.log(level, record.event, record.fields)
        }
        transport = GRPCServer(configuration: transportConfiguration, router: router)

        let metrics = runtime.metrics
        let transportRef = transport
        if let address = configuration.metricsListen {
            let core = runtime.core
            let hub = runtime.hub
            let store = runtime.store
            metricsEndpoint = try MetricsEndpoint(host: address.host, port: address.port) {
                metrics.followedCases.set(Double(core.published.withLock { $0.followedCases }))
                metrics.watchers.set(Double(hub.subscriberCount))
                let statistics = store.writerStatistics
                metrics.commits.set(Double(statistics.commits))
                metrics.committedItems.set(Double(statistics.itemsCommitted))
                // Passes that stand still under steady intake, or a log
                // length of -1, mean checkpoints have stopped copying.
                if let checkpoints = store.checkpointStatistics {
                    metrics.checkpointPasses.set(Double(checkpoints.copyingPasses))
                    metrics.logPages.set(Double(checkpoints.lastLogFrames))
                }
                let counters = transportRef.counters
                metrics.connections.set(Double(counters.connectionsOpen))
                metrics.streams.set(Double(counters.streamsOpen))
                return metrics.registry.render()
            }
        } else {
            metricsEndpoint = nil
        }

        scheduler = Scheduler(runtime: runtime)
        let scheduler = self.scheduler
        runtime.setSchedulerWake { scheduler.poke() }
    }

    /// The clock a demo server runs on, for a server started now.
    public static func demoClock(speed: Int) throws -> any ServerClock {
        let calendar = try WorkingCalendar.official()
        return DemoFeed.clock(
            now: SystemClock().now(), calendar: calendar, speed: Double(speed))
    }

    private func startListening() throws {
        do {
            try transport.start()
        } catch {
            metricsEndpoint?.close()
            throw ServerError.bind("\(configuration.withLock { $0.listen }): \(error)")
        }
        let scheduler = self.scheduler
        tasks.withLock {
            $0.append(Task { await scheduler.run() })
            $0.append(Task { await self.keepAlertLog() })
        }
        let configuration = self.configuration.withLock { $0 }
        if configuration.demo {
            let feed = DemoFeed(
                runtime: runtime, port: transport.port, catalogueFile: configuration.demoCatalogue,
                dataDirectory: configuration.dataDirectory, realNow: SystemClock().now())
            tasks.withLock { $0.append(Task { await feed.run() }) }
        }
        runtime.log.info(
            "listening",
            ["address": "\(configuration.listen.host):\(transport.port)",
             "metrics": metricsEndpoint.map { "\($0.port)" } ?? "off",
             "region": runtime.region, "version": Self.version])
    }

    /// Stops gracefully: no new calls, calls in flight get the grace period,
    /// then the scheduler stops and the store closes. Alert watches, which
    /// never end by themselves, are ended at once with UNAVAILABLE and the
    /// sequence to resume after.
    public func shutdown() async {
        let grace = configuration.withLock { $0.shutdownGraceSeconds }
        runtime.log.info("stopping", ["grace_seconds": grace])
        runtime.hub.close()
        await transport.shutdown(gracePeriod: .seconds(grace))
        for task in tasks.withLock({ $0 }) { task.cancel() }
        metricsEndpoint?.close()
        await runtime.store.close()
        runtime.log.info("stopped")
    }

    /// How often, in seconds of the server's clock, the alert log is
    /// trimmed to the retention in force.
    static let retentionInterval: Int64 = 600

    /// Trims the alert log to the retention setting in force, every
    /// `retentionInterval` seconds of the server's clock, until cancelled.
    private func keepAlertLog() async {
        let clock = runtime.clock
        while !Task.isCancelled {
            let days = configuration.withLock { $0.alertRetentionDays }
            if days > 0 {
                do {
                    try await runtime.store.pruneAlertLog(
                        .younger(than: Int64(days) * 86_400_000),
                        now: clock.now().millisecondsSinceEpoch)
                } catch {
                    runtime.log.warning("alert log retention failed", ["error": error])
                }
            }
            try? await clock.sleep(until: clock.now().adding(seconds: Self.retentionInterval))
        }
    }

    /// Applies the reloadable settings of a new configuration.
    public func reload(_ new: Configuration) {
        runtime.log.level = new.logLevel
        configuration.withLock {
            $0.logLevel = new.logLevel
            $0.alertRetentionDays = new.alertRetentionDays
        }
        runtime.log.info(
            "configuration reloaded",
            ["log_level": new.logLevel, "alert_retention_days": new.alertRetentionDays])
    }

    /// On first start, when no token exists, makes an administrator token
    /// and writes its secret to `admin.token` in the data directory (mode
    /// 0600), so that the operator can create every other token.
    private static func bootstrapAdministrator(_ runtime: Runtime, directory: String) async throws
    {
        let existing = try await runtime.read { try $0.tokens() }
        guard existing.isEmpty else { return }
        let clock = runtime.clock
        let secret = try await runtime.write { transaction in
            let (record, secret) = Tokens.make(
                name: "first administrator", role: .administrator, department: "",
                by: "server start", at: clock.now())
            try transaction.insertToken(record)
            return secret
        }
        let path = directory + "/admin.token"
        let created = FileManager.default.createFile(
            atPath: path, contents: Data((secret + "\n").utf8),
            attributes: [.posixPermissions: 0o600])
        guard created else {
            throw ServerError.store("cannot write the first administrator token to \(path)")
        }
        runtime.log.info("first start: administrator token written", ["path": path])
    }
}
