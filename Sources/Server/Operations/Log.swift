import Glibc
import Synchronization

/// How much a log line matters to an operator.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case debug
    case info
    case warning
    case error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    /// Parses "debug", "info", "warning" (or "warn") and "error".
    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }
}

/// Where finished log lines go. The default writes to standard error.
public protocol LogSink: Sendable {
    /// Writes one complete line, without its newline.
    func write(line: String)
}

/// Writes each line to standard error with a single `write(2)`, so that lines
/// from different threads never interleave.
public struct StandardErrorSink: LogSink {
    public init() {}

    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// Keeps lines in memory; tests read them back.
public final class MemorySink: LogSink {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func write(line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Every line written so far.
    public var written: [String] { lines.withLock { $0 } }
}

/// A structured logger: one line per event, `key=value` fields (logfmt), the
/// level and the component first.
///
/// ```
/// ts=2026-03-02T09:30:00.120+08:00 level=info component=server msg="listening"
///   address=127.0.0.1:50051
/// ```
///
/// The minimum level can change at run time (a configuration reload), so it is
/// shared by every logger derived from the same root.
public struct Logger: Sendable {
    private let component: String
    private let sink: any LogSink
    private let threshold: LevelThreshold

    /// Makes a root logger writing lines at `level` and above to `sink`.
    public init(
        component: String, level: LogLevel = .info, sink: any LogSink = StandardErrorSink()
    ) {
        self.component = component
        self.sink = sink
        self.threshold = LevelThreshold(level)
    }

    private init(component: String, sink: any LogSink, threshold: LevelThreshold) {
        self.component = component
        self.sink = sink
        self.threshold = threshold
    }

    /// A logger for another component, sharing this one's sink and level.
    public func component(_ name: String) -> Logger {
        Logger(component: name, sink: sink, threshold: threshold)
    }

    /// The lowest level written.
    public var level: LogLevel {
        get { threshold.level }
        nonmutating set { threshold.level = newValue }
    }

    /// Whether a line at `level` would be written; lets callers skip building
    /// expensive fields.
    public func isEnabled(_ level: LogLevel) -> Bool { level >= threshold.level }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.debug, message, fields)
    }

    public func info(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.info, message, fields)
    }

    public func warning(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.warning, message, fields)
    }

    public func error(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.error, message, fields)
    }

    /// Writes one line if `level` is enabled.
    public func log(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, Any>) {
        guard isEnabled(level) else { return }
        log(level, message, fields.map { ($0.key, String(describing: $0.value)) })
    }

    /// Writes one line with fields already in text, if `level` is enabled.
    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)]) {
        guard isEnabled(level) else { return }
        var line = "ts=\(Self.timestamp()) level=\(level) component=\(component)"
        line += " msg=\(Self.quoted(message))"
        for (key, value) in fields {
            line += " \(key)=\(Self.quoted(value))"
        }
        sink.write(line: line)
    }

    /// A value as it appears after `key=`: bare when it is a single plain
    /// token, else in double quotes with quotes, backslashes and line breaks
    /// escaped, so that one event is always one line.
    static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { s in
            s.value > 0x20 && s != "\"" && s != "=" && s != "\\" && s.value != 0x7F
        }
        if plain { return value }
        var out = "\""
        for s in value.unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(s)
            }
        }
        return out + "\""
    }

    /// The current time in China Standard Time with milliseconds, the zone
    /// the supervision centre reads its logs in.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = time_t(now.tv_sec + 8 * 3600)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = now.tv_nsec / 1_000_000
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-"
            + "\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):"
            + "\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))+08:00"
    }
}

/// The shared, changeable minimum level of a family of loggers.
private final class LevelThreshold: Sendable {
    private let raw: Atomic<Int>

    init(_ level: LogLevel) { raw = Atomic(level.rawValue) }

    var level: LogLevel {
        get { LogLevel(rawValue: raw.load(ordering: .relaxed)) ?? .info }
        set { raw.store(newValue.rawValue, ordering: .relaxed) }
    }
}
