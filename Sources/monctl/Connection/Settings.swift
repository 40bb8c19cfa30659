import Foundation

/// Where the server is and who monctl is to it: the address, the token and
/// the timeout, each with where it came from.
///
/// Precedence: a flag wins over the environment, the environment over the
/// configuration file, the file over the built-in default. The file holds
/// `key = value` lines (`server`, `token`, `token-file`, `timeout`); `#`
/// starts a comment.
struct Settings: Sendable {
    /// The server's host name or address.
    var host = "127.0.0.1"
    /// The server's port.
    var port = 50051
    /// Where the address came from, for messages ("--server", "MONCTL_SERVER").
    var serverSource = "the default"
    /// The bearer secret, if any was given.
    var token: String?
    /// Where the token came from.
    var tokenSource = ""
    /// How long to wait for each unary answer.
    var timeout: Duration = .seconds(30)

    /// `host:port`.
    var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The settings keys a configuration file may hold.
    static let fileKeys = ["server", "token", "token-file", "timeout"]

    /// Resolves the settings from the command line, the environment and the
    /// configuration file.
    static func resolve(_ invocation: Invocation) throws(Failure) -> Settings {
        let environment = invocation.environment
        var settings = Settings()
        let file = try readConfiguration(invocation)

        // Lowest first: each later source overrides.
        var sources: [(String, [String: String])] = []
        if let file { sources.append((file.name, file.values)) }
        var fromEnvironment: [String: String] = [:]
        for (key, variable) in [
            ("server", "MONCTL_SERVER"), ("token", "MONCTL_TOKEN"),
            ("token-file", "MONCTL_TOKEN_FILE"), ("timeout", "MONCTL_TIMEOUT"),
        ] {
            if let value = environment[variable], !value.isEmpty { fromEnvironment[key] = value }
        }
        sources.append(("environment", fromEnvironment))
        var fromFlags: [String: String] = [:]
        for key in fileKeys {
            if let value = invocation.option(key) { fromFlags[key] = value }
        }
        if fromFlags["token"] != nil && fromFlags["token-file"] != nil {
            throw invocation.usage("give --token or --token-file, not both")
        }
        sources.append(("flags", fromFlags))

        for (origin, values) in sources {
            if let server = values["server"] {
                let name = sourceName(origin, "server", "MONCTL_SERVER")
                (settings.host, settings.port) = try parseAddress(server, name: name)
                settings.serverSource = name
            }
            // Within one source an inline token wins over a token file.
            if let path = values["token-file"], values["token"] == nil {
                let name = sourceName(origin, "token-file", "MONCTL_TOKEN_FILE")
                settings.token = try readToken(path, name: name)
                settings.tokenSource = name
            }
            if let token = values["token"] {
                settings.token = token.trimmingCharacters(in: .whitespacesAndNewlines)
                settings.tokenSource = sourceName(origin, "token", "MONCTL_TOKEN")
            }
            if let timeout = values["timeout"] {
                let name = sourceName(origin, "timeout", "MONCTL_TIMEOUT")
                guard let seconds = Double(timeout), seconds > 0, seconds <= 86_400 else {
                    throw invalidValue(
                        name, timeout, "is not a number of seconds; expected e.g. 30 or 2.5")
                }
                settings.timeout = .milliseconds(Int64(seconds * 1000))
            }
        }
        return settings
    }

    private static func sourceName(_ origin: String, _ key: String, _ variable: String) -> String {
        switch origin {
        case "flags": return "--\(key)"
        case "environment": return variable
        default: return "\(origin): \(key)"
        }
    }

    /// Reads `host:port`, `[v6]:port` or a host alone (port 50051).
    static func parseAddress(_ text: String, name: String) throws(Failure) -> (String, Int) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        for scheme in ["http://", "grpc://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        let fail = invalidValue(name, text, "is not a server address; expected HOST:PORT")
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw fail
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains(" ") else { throw fail }
        var port = 50051
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw invalidValue(
                    name, text, "has no valid port; expected HOST:PORT with a port 1 to 65535")
            }
            port = number
        }
        return (String(host), port)
    }

    private static func readToken(_ path: String, name: String) throws(Failure) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            throw .usage("\(name): cannot read the token file \(quote(path))")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw .usage("\(name): the token file \(quote(path)) is empty")
        }
        return token
    }

    private struct ConfigurationFile {
        let name: String
        let values: [String: String]
    }

    /// The configuration file: `--config`, else `MONCTL_CONFIG`, else
    /// `$XDG_CONFIG_HOME/monctl/config` or `~/.config/monctl/config` when it
    /// exists.
    private static func readConfiguration(_ invocation: Invocation) throws(Failure)
        -> ConfigurationFile?
    {
        let environment = invocation.environment
        let explicit = invocation.option("config") ?? environment["MONCTL_CONFIG"]
        let path: String
        if let explicit {
            path = (explicit as NSString).expandingTildeInPath
        } else {
            let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
            path = base + "/monctl/config"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let source = invocation.option("config") != nil ? "--config" : "MONCTL_CONFIG"
            throw .usage("\(source): cannot read the configuration file \(quote(path))")
        }
        var values: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .input(
                    "\(path):\(number + 1): expected key = value, got \(quote(trimmed))")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...]
                .trimmingCharacters(in: .whitespaces)
            guard fileKeys.contains(key) else {
                throw .input(
                    "\(path):\(number + 1): unknown setting \(quote(key)); expected "
                        + listing(fileKeys) + didYouMean(key, among: fileKeys))
            }
            values[key] = value
        }
        return ConfigurationFile(name: path, values: values)
    }
}
