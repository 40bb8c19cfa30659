import Testing

@testable import Server

@Suite("Server configuration")
struct ConfigurationTests {
    private func load(
        _ arguments: [String], environment: [String: String] = [:], file: String = ""
    ) throws -> Configuration {
        try Configuration.load(arguments: arguments, environment: environment) { _ in file }
    }

    @Test func defaultsNeedNoSetup() throws {
        let config = try load([])
        #expect(config.listen == HostPort(host: "127.0.0.1", port: 50051))
        #expect(config.dataDirectory == "data")
        #expect(config.maxReceiveMessageBytes == 4 << 20)
        #expect(config.metricsListen == HostPort(host: "127.0.0.1", port: 9464))
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFile() throws {
        let file = """
            # a comment
            region = 330824
            log-level = debug   # trailing comment
            data-dir = "/srv/monitor"
            """
        let environment = ["MONITOR_LOG_LEVEL": "warning", "MONITOR_CONFIG": "monitor.conf"]
        let config = try load(["--log-level", "error"], environment: environment, file: file)
        #expect(config.regionCode == "330824")
        #expect(config.dataDirectory == "/srv/monitor")
        #expect(config.logLevel == .error)
        #expect(config.configFile == "monitor.conf")

        let fromEnvironment = try load([], environment: environment, file: file)
        #expect(fromEnvironment.logLevel == .warning)
    }

    @Test func equalsFormAndSwitches() throws {
        let config = try load(["--listen=0.0.0.0:7000", "--demo", "--metrics-listen", "off"])
        #expect(config.listen == HostPort(host: "0.0.0.0", port: 7000))
        #expect(config.demo)
        #expect(config.metricsListen == nil)
    }

    @Test(arguments: [
        (["--region", "33082"], "--region: \"33082\" is not a six-digit region code"),
        (["--listen", "localhost"], "--listen: \"localhost\" is not HOST:PORT"),
        (["--log-level", "loud"], "is not one of debug, info, warning, error"),
        (["--max-receive-bytes", "12"], "is not a whole number from 1024"),
        (["--colour"], "unknown option --colour"),
        (["--data-dir"], "--data-dir needs a value: DIR"),
        (["serve"], "unexpected argument \"serve\""),
    ])
    func badInputSaysWhatWasMeant(arguments: [String], expected: String) throws {
        do {
            _ = try load(arguments)
            Issue.record("\(arguments) was accepted")
        } catch let error as ServerError {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test func badFileLineNamesTheLine() throws {
        do {
            _ = try load(["--config", "x.conf"], file: "region = 330824\nnonsense\n")
            Issue.record("accepted")
        } catch let error as ServerError {
            #expect(error.description.contains("x.conf:2: expected key = value"))
        }
    }

    @Test func helpIsARequestNotAnError() {
        #expect(throws: ConfigurationRequest.self) { try load(["--help"]) }
        #expect(Configuration.help.contains("--data-dir DIR"))
        #expect(Configuration.help.contains("MONITOR_DATA_DIR"))
    }
}
