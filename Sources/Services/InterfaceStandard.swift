import Messages

/// The interface standard as data: its services, its .proto files as
/// descriptors, and which file defines each symbol.
///
/// This is what gRPC server reflection (grpc.reflection.v1 and v1alpha)
/// serves, so that generic tools can list the services and call them. The
/// generated part fills ``services``, ``files`` and ``symbols``.
public enum InterfaceStandard {
    /// The service with this full name ("monitor.v1.IntakeService").
    public static func service(named name: String) -> ServiceDescriptor? {
        services.first { $0.name == name }
    }

    /// The method with this `:path` ("/monitor.v1.IntakeService/ReportEvents").
    public static func method(path: String) -> MethodInfo? {
        methodsByPath[path]
    }

    private static let methodsByPath: [String: MethodInfo] = {
        var index: [String: MethodInfo] = [:]
        for service in services {
            for method in service.methods { index[method.path] = method }
        }
        return index
    }()

    /// The file defining a fully qualified symbol, followed by every file it
    /// imports, directly or not, each once: what a reflection answer holds.
    ///
    /// Returns `nil` when no file defines the symbol.
    public static func filesForSymbol(_ symbol: String) -> [InterfaceFile]? {
        symbols[symbol].flatMap(filesForFile)
    }

    /// The file with this name followed by every file it imports, directly or
    /// not, each once; `nil` for an unknown name.
    public static func filesForFile(_ name: String) -> [InterfaceFile]? {
        guard files[name] != nil else { return nil }
        var result: [InterfaceFile] = []
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.first {
            pending.removeFirst()
            guard seen.insert(next).inserted, let file = files[next] else { continue }
            result.append(file)
            pending.append(contentsOf: file.dependencies)
        }
        return result
    }
}

/// One .proto file of the interface standard, as a descriptor.
public struct InterfaceFile: Sendable, Hashable {
    /// The file's name, e.g. "monitor/v1/intake.proto".
    public let name: String
    /// The files it imports.
    public let dependencies: [String]
    /// The serialized google.protobuf.FileDescriptorProto, without source info.
    public let serializedDescriptor: [UInt8]

    /// Creates a file entry; the generated code makes one per file.
    public init(name: String, dependencies: [String], serializedDescriptor: [UInt8]) {
        self.name = name
        self.dependencies = dependencies
        self.serializedDescriptor = serializedDescriptor
    }
}

/// The bytes of a string literal that holds one byte per Unicode scalar
/// (U+0000 to U+00FF); the generated descriptors are written that way.
func latin1Bytes(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
}
