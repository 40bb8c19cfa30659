import Messages
import Services
import Store
import Transport

/// The standard gRPC health service, reflecting whether the store can take
/// writes: a load balancer stops sending to a server whose disk is full.
struct HealthEndpoint {
    let runtime: Runtime
    let services: [String]

    typealias Status = GRPCHealthV1.HealthCheckResponse.ServingStatus

    func register(into router: inout MethodRouter) {
        router.registerUnary(GRPCHealthV1.Health.check) { request, _ in
            guard request.service.isEmpty || services.contains(request.service) else {
                throw RPCError(
                    code: .notFound, message: "this server has no service \"\(request.service)\"")
            }
            return GRPCHealthV1.HealthCheckResponse(status: await status())
        }
        router.registerUnary(GRPCHealthV1.Health.list) { _, _ in
            let status = await status()
            var response = GRPCHealthV1.HealthListResponse()
            response.statuses[""] = GRPCHealthV1.HealthCheckResponse(status: status)
            for service in services {
                response.statuses[service] = GRPCHealthV1.HealthCheckResponse(status: status)
            }
            return response
        }
        router.registerServerStreaming(GRPCHealthV1.Health.watch) { request, writer, _ in
            guard request.service.isEmpty || services.contains(request.service) else {
                try await writer.send(GRPCHealthV1.HealthCheckResponse(status: .serviceUnknown))
                return
            }
            var last: Status?
            while !Task.isCancelled {
                let current = await status()
                if current != last {
                    try await writer.send(GRPCHealthV1.HealthCheckResponse(status: current))
                    last = current
                }
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// SERVING while the store reads and its last write did not fail.
    func status() async -> Status {
        guard runtime.storeProblem == nil else { return .notServing }
        do {
            _ = try await runtime.store.read { try $0.alertLogPosition() }
            return .serving
        } catch {
            return .notServing
        }
    }
}

/// gRPC server reflection, v1 and v1alpha, from the descriptors of the
/// interface standard compiled into the server: generic tools list the
/// services and fetch their files without any other set-up.
struct ReflectionEndpoint {
    let services: [String]

    func register(into router: inout MethodRouter) {
        router.registerBidirectional(GRPCReflectionV1.ServerReflection.serverReflectionInfo) {
            requests, responses, _ in
            for try await request in requests {
                try await responses.send(answer(request))
            }
        }
        router.registerBidirectional(
            GRPCReflectionV1Alpha.ServerReflection.serverReflectionInfo
        ) { requests, responses, _ in
            // The two versions share their messages field for field, so the
            // older one is answered by converting through the wire form.
            for try await request in requests {
                let modern = try GRPCReflectionV1.ServerReflectionRequest(
                    serializedBytes: request.serializedBytes())
                let answer = try GRPCReflectionV1Alpha.ServerReflectionResponse(
                    serializedBytes: answer(modern).serializedBytes())
                try await responses.send(answer)
            }
        }
    }

    func answer(_ request: GRPCReflectionV1.ServerReflectionRequest)
        -> GRPCReflectionV1.ServerReflectionResponse
    {
        var response = GRPCReflectionV1.ServerReflectionResponse()
        response.validHost = request.host
        response.originalRequest = request
        func files(_ list: [InterfaceFile]?, _ what: String) {
            guard let list else {
                response.messageResponse = .errorResponse(
                    GRPCReflectionV1.ErrorResponse(
                        errorCode: Int32(StatusCode.notFound.rawValue),
                        errorMessage: "no \(what)"))
                return
            }
            response.messageResponse = .fileDescriptorResponse(
                GRPCReflectionV1.FileDescriptorResponse(
                    fileDescriptorProto: list.map(\.serializedDescriptor)))
        }
        switch request.messageRequest {
        case .listServices:
            var list = GRPCReflectionV1.ListServiceResponse()
            list.service = services.map { GRPCReflectionV1.ServiceResponse(name: $0) }
            response.messageResponse = .listServicesResponse(list)
        case .fileByFilename(let name):
            files(InterfaceStandard.filesForFile(name), "file named \"\(name)\"")
        case .fileContainingSymbol(let symbol):
            files(InterfaceStandard.filesForSymbol(symbol), "symbol \"\(symbol)\"")
        case .allExtensionNumbersOfType(let type):
            if InterfaceStandard.filesForSymbol(type) != nil {
                response.messageResponse = .allExtensionNumbersResponse(
                    GRPCReflectionV1.ExtensionNumberResponse(baseTypeName: type))
            } else {
                files(nil, "type \"\(type)\"")
            }
        case .fileContainingExtension(let request):
            files(nil, "extension \(request.extensionNumber) of \(request.containingType)")
        case nil:
            response.messageResponse = .errorResponse(
                GRPCReflectionV1.ErrorResponse(
                    errorCode: Int32(StatusCode.invalidArgument.rawValue),
                    errorMessage: "the request asks for nothing"))
        }
        return response
    }
}
