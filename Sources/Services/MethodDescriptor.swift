import Messages

/// How many messages each side of a call sends.
public enum CallKind: String, Sendable, Hashable, CaseIterable {
    /// One request, one response.
    case unary
    /// One request, a stream of responses.
    case serverStreaming
    /// A stream of requests, one response.
    case clientStreaming
    /// A stream each way, independent of each other.
    case bidirectionalStreaming

    /// Whether the client sends a stream of requests.
    public var clientStreams: Bool {
        self == .clientStreaming || self == .bidirectionalStreaming
    }

    /// Whether the server sends a stream of responses.
    public var serverStreams: Bool {
        self == .serverStreaming || self == .bidirectionalStreaming
    }
}

/// One method of a service, with its request and response types.
///
/// The generated code has one for every method, e.g.
/// `IntakeService.reportEvents`, a
/// `MethodDescriptor<CaseEvent, EventAck>` whose path is
/// "/monitor.v1.IntakeService/ReportEvents".
public struct MethodDescriptor<Request: ProtoMessage, Response: ProtoMessage>: Sendable, Hashable {
    /// The service's full name, e.g. "monitor.v1.IntakeService".
    public let serviceName: String
    /// The method's name, e.g. "ReportEvents".
    public let methodName: String
    /// How many messages each side sends.
    public let kind: CallKind
    /// The HTTP/2 `:path` of a call, "/monitor.v1.IntakeService/ReportEvents".
    public let path: String

    /// Creates a descriptor; the generated code makes one per method.
    public init(serviceName: String, methodName: String, kind: CallKind) {
        self.serviceName = serviceName
        self.methodName = methodName
        self.kind = kind
        self.path = "/\(serviceName)/\(methodName)"
    }

    /// The same method without its static types, for lists and lookups.
    public var info: MethodInfo {
        MethodInfo(serviceName: serviceName, methodName: methodName, kind: kind,
                   requestType: Request.self, responseType: Response.self)
    }
}

/// One method of a service, its message types held as values.
public struct MethodInfo: Sendable, Hashable, CustomStringConvertible {
    /// The service's full name, e.g. "monitor.v1.IntakeService".
    public let serviceName: String
    /// The method's name, e.g. "ReportEvents".
    public let methodName: String
    /// How many messages each side sends.
    public let kind: CallKind
    /// The HTTP/2 `:path` of a call.
    public let path: String
    /// The request message type.
    public let requestType: any ProtoMessage.Type
    /// The response message type.
    public let responseType: any ProtoMessage.Type

    /// Creates a method description.
    public init(
        serviceName: String, methodName: String, kind: CallKind,
        requestType: any ProtoMessage.Type, responseType: any ProtoMessage.Type
    ) {
        self.serviceName = serviceName
        self.methodName = methodName
        self.kind = kind
        self.path = "/\(serviceName)/\(methodName)"
        self.requestType = requestType
        self.responseType = responseType
    }

    /// Compares path, kind and message types.
    public static func == (a: MethodInfo, b: MethodInfo) -> Bool {
        a.path == b.path && a.kind == b.kind
            && a.requestType.protoMessageName == b.requestType.protoMessageName
            && a.responseType.protoMessageName == b.responseType.protoMessageName
    }

    /// Hashes the path, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
    }

    /// "/monitor.v1.IntakeService/ReportEvents (bidirectionalStreaming)".
    public var description: String {
        "\(path) (\(kind.rawValue))"
    }
}

/// A service of the interface standard with every method.
public struct ServiceDescriptor: Sendable, Hashable {
    /// The service's full name, e.g. "monitor.v1.IntakeService".
    public let name: String
    /// The .proto file that defines it, e.g. "monitor/v1/intake.proto".
    public let fileName: String
    /// The methods, in the order the file declares them.
    public let methods: [MethodInfo]

    /// Creates a service description; the generated code makes one per service.
    public init(name: String, fileName: String, methods: [MethodInfo]) {
        self.name = name
        self.fileName = fileName
        self.methods = methods
    }

    /// The method with this name ("ReportEvents"), if the service has it.
    public func method(named name: String) -> MethodInfo? {
        methods.first { $0.methodName == name }
    }
}
