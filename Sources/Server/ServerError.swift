/// Errors that stop the server from starting or running, with what to do.
public enum ServerError: Error, CustomStringConvertible, Equatable {
    /// A socket could not be bound: the address is taken or invalid.
    case bind(String)
    /// The configuration is wrong: which setting, which value, what was meant.
    case configuration(String)
    /// The data directory or its store cannot be used.
    case store(String)

    public var description: String {
        switch self {
        case .bind(let text): "cannot listen: \(text)"
        case .configuration(let text): "configuration: \(text)"
        case .store(let text): "store: \(text)"
        }
    }
}
