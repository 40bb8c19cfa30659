// The transport's benchmark driver, built in release mode by scripts/bench-transport:
//
//   TransportBench serve [--loops N]            our server; prints "READY <port>"
//   TransportBench stream --port P [--messages N] [--size S]
//                                               one bidirectional stream, our client
//   TransportBench idle --port P [--connections N]
//                                               N idle connections, our client
//
// The benchmark methods are /bench.Bench/Unary (echo one message) and
// /bench.Bench/Stream (echo every message), the same as the C++ and Python peers.

import Glibc
import Synchronization
import Transport

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
        let parsed = Int(arguments[index + 1])
    {
        return parsed
    }
    return value
}

/// Writes a line to stdout at once (the driver waits for these lines on a pipe).
func say(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
}

func serve() async throws {
    var router = MethodRouter()
    router.register("/bench.Bench/Unary") { call in
        for try await message in call.requests {
            try await call.send(message)
        }
    }
    router.register("/bench.Bench/Stream") { call in
        for try await message in call.requests {
            try await call.send(message)
        }
    }
    var configuration = ServerConfiguration()
    configuration.port = argument("--port", default: 0)
    configuration.eventLoops = argument("--loops", default: configuration.eventLoops)
    configuration.maxConnections = 100_000
    let server = GRPCServer(configuration: configuration, router: router)
    try server.start()
    say("READY \(server.port)")
    // Runs until killed.
    while true {
        try await Task.sleep(for: .seconds(3600))
    }
}

/// One bidirectional stream: a sender task writes `count` messages while this task
/// reads the echoes; reports messages per second (echoed messages received).
func stream() async throws {
    let port = argument("--port", default: 50051)
    let count = argument("--messages", default: 1_000_000)
    let size = argument("--size", default: 16)
    let channel = GRPCChannel(host: "127.0.0.1", port: port)
    // A protobuf `bytes data = 1` field, so the C++ peer can parse it too.
    let message: [UInt8] = [0x0A, UInt8(size)] + [UInt8](repeating: 0x61, count: size)

    let call = try await channel.makeCall(path: "/bench.Bench/Stream")
    let clock = ContinuousClock()
    let start = clock.now
    let sender = Task {
        for _ in 0..<count {
            try await call.send(message)
        }
        try await call.finishSending()
    }
    var received = 0
    for try await reply in call.responses {
        precondition(reply.count == message.count, "echo changed the message")
        received += 1
    }
    try await sender.value
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds)
        + Double(elapsed.components.attoseconds) / 1e18
    precondition(received == count, "received \(received) of \(count)")
    say("STREAM messages=\(received) seconds=\(seconds) rate=\(Double(received) / seconds)")
    await channel.close()
}

/// Opens `count` connections, each with one finished call, and holds them idle until
/// stdin closes.
func idle() async throws {
    let port = argument("--port", default: 50051)
    let count = argument("--connections", default: 1000)
    var channels: [GRPCChannel] = []
    let message: [UInt8] = [0x0A, 1, 0x61]
    for _ in 0..<count {
        let channel = GRPCChannel(host: "127.0.0.1", port: port)
        _ = try await channel.unary(path: "/bench.Bench/Unary", request: message)
        channels.append(channel)
    }
    say("IDLE connections=\(channels.count)")
    var buffer = [UInt8](repeating: 0, count: 16)
    while read(0, &buffer, buffer.count) > 0 {}
    withExtendedLifetime(channels) {}
}

let mode = CommandLine.arguments.dropFirst().first ?? "help"
switch mode {
case "serve": try await serve()
case "stream": try await stream()
case "idle": try await idle()
default:
    print("usage: TransportBench serve|stream|idle [options]; see the source's header")
    exit(2)
}
