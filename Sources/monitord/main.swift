// monitord: the supervision server's executable. It reads the configuration,
// starts the server on its store, and turns signals into a graceful stop
// (SIGTERM, SIGINT) or a reload of the reloadable settings (SIGHUP).

import Dispatch
import Foundation
import Server
import Synchronization

let environment = ProcessInfo.processInfo.environment
let arguments = Array(CommandLine.arguments.dropFirst())

@Sendable func readFile(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

func fail(_ text: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("monitord: \(text)\n".utf8))
    exit(status)
}

/// `monitord backup|restore|check`: maintenance of a data directory.
func runMaintenance(_ command: String, _ rest: [String]) async -> Never {
    var options: [String: String] = [:]
    var index = 0
    while index < rest.count {
        let flag = rest[index]
        guard ["--data-dir", "--to", "--from"].contains(flag), index + 1 < rest.count else {
            if flag == "--help" || flag == "-h" {
                FileHandle.standardOutput.write(Data(Maintenance.help.utf8))
                exit(0)
            }
            fail("\(command): unexpected \"\(flag)\"\n\(Maintenance.help)", status: 64)
        }
        options[String(flag.dropFirst(2))] = rest[index + 1]
        index += 2
    }
    func required(_ name: String) -> String {
        guard let value = options[name] else {
            fail("\(command) needs --\(name)\n\(Maintenance.help)", status: 64)
        }
        return value
    }
    do {
        switch command {
        case "backup":
            let destination = required("to")
            try await Maintenance.backup(dataDirectory: required("data-dir"), to: destination)
            print("backup written to \(destination)")
        case "restore":
            let directory = required("data-dir")
            try Maintenance.restore(from: required("from"), into: directory)
            print("restored into \(directory)")
        default:
            let problems = try await Maintenance.check(dataDirectory: required("data-dir"))
            if !problems.isEmpty {
                print("the store is damaged:")
                for problem in problems { print("  \(problem)") }
                exit(1)
            }
            print("the store is sound")
        }
        exit(0)
    } catch {
        fail("\(command): \(error)", status: 1)
    }
}

if let command = arguments.first, ["backup", "restore", "check"].contains(command) {
    let finished = DispatchSemaphore(value: 0)
    Task.detached {
        await runMaintenance(command, Array(arguments.dropFirst()))
    }
    finished.wait()
}

let configuration: Configuration
do {
    configuration = try Configuration.load(
        arguments: arguments, environment: environment, readFile: readFile)
} catch ConfigurationRequest.help {
    FileHandle.standardOutput.write(Data(Configuration.help.utf8))
    exit(0)
} catch {
    fail("\(error)", status: 64)
}

let logger = Logger(component: "monitord", level: configuration.logLevel)
let running = Mutex<MonitorServer?>(nil)
let stopped = DispatchSemaphore(value: 0)

// Signals are taken from their default actions and handled on a queue. The
// handlers are @Sendable: a closure written in top-level code is otherwise
// isolated to the main actor, and running it on the signal queue is a
// violation the runtime stops the process for.
for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_IGN) }
let signalQueue = DispatchQueue(label: "signals")
let stopSources = [SIGTERM, SIGINT].map { number in
    let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
    source.setEventHandler { @Sendable in
        guard let server = running.withLock({ $0 }) else { exit(0) }
        Task.detached {
            await server.shutdown()
            stopped.signal()
        }
    }
    source.resume()
    return source
}
let reloadSource = DispatchSource.makeSignalSource(signal: SIGHUP, queue: signalQueue)
reloadSource.setEventHandler { @Sendable in
    do {
        let fresh = try Configuration.load(
            arguments: arguments, environment: environment, readFile: readFile)
        running.withLock { $0 }?.reload(fresh)
    } catch {
        logger.error("reload refused; the running settings stay", ["error": error])
    }
}
reloadSource.resume()

Task.detached {
    do {
        let clock: any ServerClock = configuration.demo
            ? try MonitorServer.demoClock(speed: configuration.demoSpeed) : SystemClock()
        let server = try await MonitorServer.start(
            configuration: configuration, clock: clock, logger: logger)
        running.withLock { $0 = server }
        // The line scripts and tests wait for: the port actually bound.
        FileHandle.standardOutput.write(
            Data("monitord listening on \(configuration.listen.host):\(server.port)\n".utf8))
    } catch {
        fail("\(error)", status: 70)
    }
}

stopped.wait()
withExtendedLifetime((stopSources, reloadSource)) {}
exit(0)
