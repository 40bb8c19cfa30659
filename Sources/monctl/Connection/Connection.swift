import Messages
import Services
import Transport

/// monctl's link to one server: typed calls with the token attached, and
/// every failure turned into a ``Failure`` that says what happened in the
/// user's terms and carries the documented exit status.
struct Connection: Sendable {
    /// The settings the connection was made from.
    let settings: Settings
    /// The typed client over one channel.
    let client: RPCClient

    /// Opens a channel to the server the settings name; nothing connects
    /// until the first call.
    init(settings: Settings) {
        self.settings = settings
        var metadata = Metadata()
        if let token = settings.token { metadata.add("authorization", "Bearer \(token)") }
        var configuration = ClientConfiguration()
        configuration.connectTimeout = min(settings.timeout, .seconds(10))
        configuration.userAgent = "monctl/\(monctlVersion)"
        client = RPCClient(
            channel: GRPCChannel(host: settings.host, port: settings.port,
                                 configuration: configuration),
            metadata: metadata, defaultTimeout: settings.timeout)
    }

    /// Calls a unary method.
    ///
    /// - Throws: ``Failure`` with the status the server's answer maps to.
    func call<Request, Response>(
        _ method: MethodDescriptor<Request, Response>, _ request: Request
    ) async throws(Failure) -> Response {
        do {
            return try await client.unary(method, request)
        } catch {
            throw failure(error, method: method.path, service: method.serviceName)
        }
    }

    /// Closes the channel once its calls have ended.
    func close() async {
        await client.channel.close()
    }

    /// The ``Failure`` for an error of a call to `method`.
    func failure(_ error: any Error, method: String, service: String) -> Failure {
        if let failure = error as? Failure { return failure }
        guard let rpc = error as? RPCError else {
            return Failure(status: .failure, message: "\(method): \(error)")
        }
        let said = rpc.message.isEmpty ? "" : ": " + rpc.message
        switch rpc.code {
        case .unavailable:
            return Failure(
                status: .unreachable,
                message: "cannot reach the server at \(settings.address) "
                    + "(from \(settings.serverSource))\(said); is monitord running there?")
        case .deadlineExceeded:
            return Failure(
                status: .unreachable,
                message: "the server at \(settings.address) did not answer within "
                    + "\(describe(settings.timeout)) (\(method)); raise --timeout if it is busy")
        case .unimplemented:
            return Failure(
                status: .notOffered,
                message: "this server does not offer \(serviceNoun(service)) yet "
                    + "(\(service) is not served)")
        case .unauthenticated:
            let hint = settings.token == nil
                ? "no token was given; pass --token, --token-file, MONCTL_TOKEN or a config file"
                : "the token from \(settings.tokenSource) was not accepted"
            return Failure(status: .accessDenied, message: "not authenticated\(said); \(hint)")
        case .permissionDenied:
            return Failure(
                status: .accessDenied, message: "not allowed\(said) (token from "
                    + "\(settings.tokenSource.isEmpty ? "nowhere" : settings.tokenSource))")
        case .internal, .unknown, .dataLoss:
            return Failure(status: .failure, message: "the server failed\(said) (\(method))")
        case .cancelled:
            return Failure(status: .failure, message: "the call was cancelled\(said)")
        case .notFound:
            return Failure(status: .refused, message: "not found\(said)")
        default:
            return Failure(status: .refused, message: "the server refused\(said)")
        }
    }
}

/// monctl's version, reported with `--version` and as its user agent.
let monctlVersion = "0.1.0"

/// What a service is called in a sentence: "complaints" for
/// `monitor.v1.ComplaintService`.
func serviceNoun(_ service: String) -> String {
    switch service {
    case ComplaintService.serviceName: return "complaints"
    case EvaluationService.serviceName: return "evaluation"
    case UpstreamService.serviceName: return "upstream forwarding"
    case IntakeService.serviceName: return "case intake"
    case CaseService.serviceName: return "case queries"
    case AlertService.serviceName: return "alerts"
    case CatalogueService.serviceName: return "the catalogue"
    case AdminService.serviceName: return "administration"
    default: return service
    }
}

/// "30 s", "2.5 s".
func describe(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let millis = attoseconds / 1_000_000_000_000_000
    return millis == 0 ? "\(seconds) s" : "\(Double(seconds) + Double(millis) / 1000) s"
}
