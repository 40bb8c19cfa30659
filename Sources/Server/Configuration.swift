/// Everything the server can be told at start-up, from flags, the
/// environment and an optional configuration file.
///
/// Precedence: a flag wins over the environment, the environment over the
/// file, the file over the built-in default. The file holds `key = value`
/// lines (keys are the flag names without the dashes), `#` starts a comment.
public struct Configuration: Sendable, Equatable {
    /// Address of the gRPC listener.
    public var listen = HostPort(host: "127.0.0.1", port: 50051)
    /// Address of the Prometheus metrics listener; nil turns it off.
    public var metricsListen: HostPort? = HostPort(host: "127.0.0.1", port: 9464)
    /// The directory holding everything the server keeps.
    public var dataDirectory = "data"
    /// The six-digit region code this server supervises.
    public var regionCode = "000000"
    /// A name for this server in logs and upward forwarding.
    public var serverName = "approval-monitor"
    /// The lowest log level written.
    public var logLevel = LogLevel.info
    /// The largest request message accepted, in bytes.
    public var maxReceiveMessageBytes = 4 << 20
    /// Event loop threads; 0 means one per core.
    public var eventLoops = 0
    /// Days of alert log kept for watchers to resume from; 0 keeps all.
    public var alertRetentionDays = 90
    /// Seconds calls in flight get to finish when the server stops.
    public var shutdownGraceSeconds = 10
    /// Load the demo catalogue and replay the demo feed.
    public var demo = false
    /// The catalogue the demo loads into an empty store.
    public var demoCatalogue = "demo/catalogue.json"
    /// How many times faster than real time the demo clock runs after its
    /// fortnight of history.
    public var demoSpeed = 30
    /// The configuration file read, if any (kept for reloads).
    public var configFile: String?

    public init() {}

    /// The settings a SIGHUP reload may change while the server runs; the
    /// others need a restart (they shape sockets and the store).
    public static let reloadable: Set<String> = ["log-level", "alert-retention-days"]

    /// Reads the configuration from command-line arguments (without the
    /// program name), environment variables and the file named by
    /// `--config` or `MONITOR_CONFIG`.
    ///
    /// - Throws: `ServerError.configuration` naming the setting, the value and
    ///   what was expected; `ConfigurationRequest.help` when `--help` was
    ///   asked for.
    public static func load(
        arguments: [String], environment: [String: String], readFile: (String) throws -> String
    ) throws -> Configuration {
        let flags = try parseFlags(arguments)
        var config = Configuration()

        let file = flags["config"] ?? environment["MONITOR_CONFIG"]
        if let file {
            let text: String
            do {
                text = try readFile(file)
            } catch {
                throw ServerError.configuration("cannot read config file \(file): \(error)")
            }
            for (key, value) in try parseFile(text, name: file) {
                try config.apply(key, value, source: "\(file)")
            }
            config.configFile = file
        }
        for option in options where option.name != "config" {
            if let value = environment[option.environment] {
                try config.apply(option.name, value, source: option.environment)
            }
        }
        for (key, value) in flags where key != "config" {
            try config.apply(key, value, source: "--\(key)")
        }
        return config
    }

    /// Applies one setting by its flag name.
    mutating func apply(_ key: String, _ value: String, source: String) throws {
        func fail(_ expected: String) -> ServerError {
            .configuration("\(source): \"\(value)\" is not \(expected)")
        }
        func integer(_ range: ClosedRange<Int>) throws -> Int {
            guard let n = Int(value), range.contains(n) else {
                throw fail("a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        switch key {
        case "listen":
            guard let address = HostPort(value) else { throw fail("HOST:PORT") }
            listen = address
        case "metrics-listen":
            if value == "off" || value.isEmpty {
                metricsListen = nil
            } else {
                guard let address = HostPort(value) else { throw fail("HOST:PORT or off") }
                metricsListen = address
            }
        case "data-dir":
            guard !value.isEmpty else { throw fail("a directory") }
            dataDirectory = value
        case "region":
            guard value.count == 6, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber)
            else { throw fail("a six-digit region code") }
            regionCode = value
        case "server-name":
            guard !value.isEmpty else { throw fail("a name") }
            serverName = value
        case "log-level":
            guard let level = LogLevel(name: value) else {
                throw fail("one of debug, info, warning, error")
            }
            logLevel = level
        case "max-receive-bytes":
            maxReceiveMessageBytes = try integer(1024...(64 << 20))
        case "event-loops":
            eventLoops = try integer(0...256)
        case "alert-retention-days":
            alertRetentionDays = try integer(0...36500)
        case "shutdown-grace":
            shutdownGraceSeconds = try integer(0...3600)
        case "demo-catalogue":
            guard !value.isEmpty else { throw fail("a file") }
            demoCatalogue = value
        case "demo-speed":
            demoSpeed = try integer(1...3600)
        case "demo":
            switch value {
            case "true", "yes", "1", "": demo = true
            case "false", "no", "0": demo = false
            default: throw fail("true or false")
            }
        default:
            let known = Self.options.map { $0.name }.joined(separator: ", ")
            throw ServerError.configuration(
                "\(source): unknown setting \"\(key)\"; known: \(known)")
        }
    }

    /// One setting: its flag, environment variable, argument and meaning.
    struct Option {
        let name: String
        let argument: String
        let summary: String
        var isSwitch = false

        var environment: String {
            "MONITOR_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 })
        }
    }

    static let options: [Option] = [
        Option(name: "listen", argument: "HOST:PORT",
               summary: "gRPC address (default 127.0.0.1:50051)"),
        Option(name: "data-dir", argument: "DIR",
               summary: "where the store and the first admin token live (default ./data)"),
        Option(name: "region", argument: "CODE",
               summary: "six-digit region code of this centre (default 000000)"),
        Option(name: "server-name", argument: "NAME",
               summary: "name in logs and upward forwarding (default approval-monitor)"),
        Option(name: "metrics-listen", argument: "HOST:PORT|off",
               summary: "Prometheus endpoint (default 127.0.0.1:9464)"),
        Option(name: "log-level", argument: "LEVEL",
               summary: "debug, info, warning or error (default info; reloadable)"),
        Option(name: "max-receive-bytes", argument: "N",
               summary: "largest request message (default 4194304)"),
        Option(name: "event-loops", argument: "N",
               summary: "network threads, 0 for one per core (default 0)"),
        Option(name: "alert-retention-days", argument: "N",
               summary: "alert log kept for resuming watchers, 0 = all (default 90; reloadable)"),
        Option(name: "shutdown-grace", argument: "SECONDS",
               summary: "time calls get to finish on SIGTERM (default 10)"),
        Option(name: "demo", argument: "", summary: "load the demo county and replay its feed",
               isSwitch: true),
        Option(name: "demo-catalogue", argument: "FILE",
               summary: "catalogue the demo loads (default demo/catalogue.json)"),
        Option(name: "demo-speed", argument: "N",
               summary: "demo clock speed after its fortnight of history (default 30)"),
        Option(name: "config", argument: "FILE", summary: "read settings from FILE"),
    ]

    /// The text `monitord --help` prints.
    public static var help: String {
        var text = """
            monitord: the approval supervision server.

            Usage: monitord [options]
                   monitord backup|restore|check ...   (see monitord backup --help)

            Starts the gRPC server on its embedded SQLite store in the data directory,
            creating the store on first start. Flags win over MONITOR_* environment
            variables, which win over the configuration file.

            Options:

            """
        for option in options {
            let flag = "  --\(option.name)" + (option.isSwitch ? "" : " \(option.argument)")
            let padded = flag + String(repeating: " ", count: max(2, 34 - flag.count))
            text += padded + option.summary + "\n"
            text += String(repeating: " ", count: 34) + "env \(option.environment)\n"
        }
        text += """
              --help                          show this text

            Signals: SIGTERM or SIGINT drain calls in flight and stop; SIGHUP reloads
            the reloadable settings from the configuration file.

            Example:
              monitord --data-dir /var/lib/monitor --region 330824 --listen 0.0.0.0:50051

            """
        return text
    }

    static func parseFlags(_ arguments: [String]) throws -> [String: String] {
        var flags: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { throw ConfigurationRequest.help }
            guard argument.hasPrefix("--") else {
                throw ServerError.configuration(
                    "unexpected argument \"\(argument)\"; settings are given as --name VALUE")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw ServerError.configuration(
                    "unknown option --\(name); run monitord --help for the list")
            }
            if value == nil {
                if option.isSwitch {
                    value = "true"
                } else {
                    guard index < arguments.count else {
                        throw ServerError.configuration(
                            "--\(name) needs a value: \(option.argument)")
                    }
                    value = arguments[index]
                    index += 1
                }
            }
            flags[name] = value
        }
        return flags
    }

    static func parseFile(_ text: String, name: String) throws -> [(String, String)] {
        var settings: [(String, String)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map { trimmed($0) } ?? ""
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ServerError.configuration(
                    "\(name):\(number + 1): expected key = value, got \"\(line)\"")
            }
            let key = trimmed(line[..<equals])
            var value = trimmed(line[line.index(after: equals)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            settings.append((key, value))
        }
        return settings
    }
}

/// The text without spaces and tabs at either end.
func trimmed(_ text: Substring) -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isBlank($0) }),
        let last = text.lastIndex(where: { !isBlank($0) })
    else { return "" }
    return String(text[first...last])
}

/// Thrown by `Configuration.load` when the user asked for the help text.
public enum ConfigurationRequest: Error {
    case help
}

/// A host and port, as in `127.0.0.1:50051`.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; the port may be 0 to ask for any free port.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
