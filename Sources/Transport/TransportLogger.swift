import Glibc

/// Where the transport's log lines go: a level threshold and a sink.
///
/// Lines are events an operator cares about (a connection failed, a handler threw,
/// a peer was told to calm down), one line each with `key=value` fields; nothing is
/// logged per call at `.info` or above.
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.logger = .standardError(level: .info)
/// ```
public struct TransportLogger: Sendable {
    /// How much a line matters.
    public enum Level: Int, Sendable, Comparable, CustomStringConvertible {
        /// Per-call detail, for debugging only.
        case debug
        /// Events in the life of the server: started, stopped.
        case info
        /// Something failed for one peer or one call.
        case warning
        /// Something failed for the whole server.
        case error

        /// Orders by importance.
        public static func < (lhs: Level, rhs: Level) -> Bool {
            lhs.rawValue < rhs.rawValue
        }

        /// The level's lowercase name.
        public var description: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .warning: return "warning"
            case .error: return "error"
            }
        }
    }

    /// One log line: level, event and fields.
    public struct Record: Sendable {
        /// How much it matters.
        public var level: Level
        /// What happened, in a few words.
        public var event: String
        /// Details as key=value pairs, in order.
        public var fields: [(String, String)]

        /// `level=warning event="handler failed" path=/a/B error=...`.
        public var formatted: String {
            var line = "level=\(level) event=\(Self.quote(event))"
            for (key, value) in fields {
                line += " \(key)=\(Self.quote(value))"
            }
            return line
        }

        private static func quote(_ value: String) -> String {
            let plain = !value.isEmpty && value.utf8.allSatisfy {
                $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=")
            }
            if plain { return value }
            let escaped = value.replacingOccurrences("\\", with: "\\\\")
                .replacingOccurrences("\"", with: "\\\"")
                .replacingOccurrences("\n", with: "\\n")
            return "\"\(escaped)\""
        }
    }

    /// Lines below this level are dropped before they are formatted.
    public var minimumLevel: Level
    /// Receives every line at or above `minimumLevel`.
    public var sink: @Sendable (Record) -> Void

    /// Makes a logger from a threshold and a sink.
    public init(minimumLevel: Level, sink: @escaping @Sendable (Record) -> Void) {
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    /// Drops every line.
    public static let none = TransportLogger(minimumLevel: .error) { _ in }

    /// Writes formatted lines to standard error.
    public static func standardError(level: Level = .info) -> TransportLogger {
        TransportLogger(minimumLevel: level) { record in
            let line = record.formatted + "\n"
            _ = line.utf8CString.withUnsafeBufferPointer { buffer in
                Glibc.write(2, buffer.baseAddress, buffer.count - 1)
            }
        }
    }

    /// Logs a line when `level` passes the threshold; fields are built only then.
    func log(
        _ level: Level, _ event: String, _ fields: @autoclosure () -> [(String, String)] = []
    ) {
        guard level >= minimumLevel else { return }
        sink(Record(level: level, event: event, fields: fields()))
    }
}

extension String {
    /// Replaces every occurrence of `target`, without Foundation.
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
