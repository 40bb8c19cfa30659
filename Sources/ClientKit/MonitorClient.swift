import Foundation
import Services
import Transport

/// A connection to an Approval Monitor server with one async method per call
/// of the interface standard, grouped by service.
///
/// The client connects on its first call and keeps one HTTP/2 connection for
/// every call; after the connection is lost, the next call connects again.
/// Every call carries the token as `authorization: Bearer <secret>`.
///
/// ```swift
/// let client = MonitorClient(host: "monitor.county.example", port: 50051,
///                            token: secret)
/// let info = try await client.admin.getServerInfo(GetServerInfoRequest())
/// let ack = try await client.intake.reportEvent(event)
/// await client.close()
/// ```
///
/// Errors are `MonitorError`. Cancelling the task that waits for a call
/// cancels the call on the server too.
public final class MonitorClient: Sendable {
    /// How the client connects and how long unary calls may take.
    public struct Configuration: Sendable {
        /// The timeout of unary calls that give none in their `CallOptions`;
        /// nil waits as long as it takes. Streams never get a default timeout.
        public var defaultTimeout: Duration? = .seconds(30)
        /// The connection's settings: message size limit, connect timeout,
        /// keepalive pings, flow-control windows.
        public var transport = ClientConfiguration()

        /// The defaults: 30 s per unary call, the transport's defaults.
        public init() {}
    }

    /// The server's host name or address.
    public let host: String
    /// The server's port.
    public let port: Int

    /// Reporting case events (`IntakeService`).
    public let intake: IntakeClient
    /// Cases as the server computed them: timelines, deadlines (`CaseService`).
    public let cases: CaseClient
    /// Alerts and the supervision that follows them (`AlertService`).
    public let alerts: AlertClient
    /// Departments, items, calendars, rule settings (`CatalogueService`).
    public let catalogue: CatalogueClient
    /// Server information, tokens, the audit record (`AdminService`).
    public let admin: AdminClient
    /// Citizens' complaints (`ComplaintService`).
    public let complaints: ComplaintClient
    /// Monthly evaluations of departments (`EvaluationService`).
    public let evaluation: EvaluationClient
    /// Forwarding to a higher-level server (`UpstreamService`).
    public let upstream: UpstreamClient
    /// The standard gRPC health check (`grpc.health.v1.Health`).
    public let health: HealthClient

    let caller: ServiceCaller
    let channel: GRPCChannel

    /// Makes a client for the server at `host:port` with a token.
    ///
    /// Nothing connects until the first call. Whitespace around the token
    /// (the newline at the end of a token file, say) is removed; a nil or
    /// empty token sends no `authorization`, which only the health check
    /// accepts.
    public init(
        host: String, port: Int, token: String?, configuration: Configuration = Configuration()
    ) {
        self.host = host
        self.port = port
        channel = GRPCChannel(host: host, port: port, configuration: configuration.transport)
        var metadata: Metadata = [:]
        let secret = token?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !secret.isEmpty {
            metadata.add("authorization", "Bearer \(secret)")
        }
        caller = ServiceCaller(
            rpc: RPCClient(channel: channel, metadata: metadata),
            unaryTimeout: configuration.defaultTimeout)
        intake = IntakeClient(caller: caller)
        cases = CaseClient(caller: caller)
        alerts = AlertClient(caller: caller)
        catalogue = CatalogueClient(caller: caller)
        admin = AdminClient(caller: caller)
        complaints = ComplaintClient(caller: caller)
        evaluation = EvaluationClient(caller: caller)
        upstream = UpstreamClient(caller: caller)
        health = HealthClient(caller: caller)
    }

    /// Refuses new calls and closes the connection once the open calls end.
    ///
    /// Close the reporters and watchers made on this client first: after this
    /// they can only retry, and a reporter keeps its events in the spool.
    public func close() async {
        await channel.close()
    }
}
