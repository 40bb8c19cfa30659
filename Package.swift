// swift-tools-version: 6.0
//
// The supervision system for administrative approvals: the interface standard's
// generated code, the gRPC transport, the supervision engine, the SQLite store,
// the server, the client library and the command line.
//
// Modules depend downward only:
//
//   monitord                 monctl
//     Server                   ClientKit
//       Store   Interchange      Services
//               Engine  Messages   Transport
//                       CProtos    CNGHTTP2
//
// The engine knows nothing of sockets or SQL; the transport nothing of
// cases; the store keeps records without interpreting them.

import PackageDescription

let package = Package(
    name: "ApprovalMonitor",
    products: [
        .executable(name: "monitord", targets: ["monitord"]),
        .executable(name: "monctl", targets: ["monctl"]),
        .library(name: "ClientKit", targets: ["ClientKit"]),
    ],
    targets: [
        // System libraries, through one-line header shims.
        .systemLibrary(
            name: "CNGHTTP2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(
            name: "CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),

        // protoc-c output for Protos/, committed; scripts/generate rewrites it.
        .target(name: "CProtos", dependencies: ["CProtobufC"]),

        // Swift value types for every message, with protobuf-c and JSON forms.
        .target(name: "Messages", dependencies: ["CProtos", "CProtobufC"]),

        // HTTP/2 (nghttp2) and gRPC framing; moves bytes, knows no messages.
        .target(name: "Transport", dependencies: ["CNGHTTP2"]),

        // Typed service descriptors, server handler protocols and client stubs.
        .target(name: "Services", dependencies: ["Messages", "Transport"]),

        // The supervision engine: calendar, case clock, rules, alert lifecycle.
        .target(name: "Engine", resources: [.copy("Resources")]),

        // Between the interface standard's messages and the engine's model.
        .target(name: "Interchange", dependencies: ["Messages", "Engine"]),

        // The durable store on SQLite.
        .target(name: "Store", dependencies: ["CSQLite"]),

        // The server: services wired to the engine and the store.
        .target(
            name: "Server",
            dependencies: [
                "Services", "Interchange", "Store", "Engine", "Transport", "Messages", "COpenSSL",
            ]),
        .executableTarget(name: "monitord", dependencies: ["Server"]),

        // The client library vendors link, and the command line.
        .target(name: "ClientKit", dependencies: ["Services", "Messages", "Transport", "CSQLite"]),
        .executableTarget(
            name: "monctl",
            dependencies: [
                "ClientKit", "Interchange", "Engine", "Messages", "Services", "Transport",
            ]),
        // The vendor's guide's example, built and run by the tests against a server.
        .executableTarget(
            name: "GettingStarted", dependencies: ["ClientKit"], path: "Examples/GettingStarted"),

        // Benchmarks: release builds run by scripts/bench, never by the tests.
        .executableTarget(
            name: "TransportBench", dependencies: ["Transport"], path: "Benchmarks/TransportBench"),
        .executableTarget(
            name: "EngineBench", dependencies: ["Engine"], path: "Benchmarks/EngineBench"),
        .executableTarget(
            name: "StoreBench", dependencies: ["Store", "CSQLite"], path: "Benchmarks/StoreBench"),
        .executableTarget(
            name: "ServerBench", dependencies: ["Services", "Messages", "Transport", "Interchange"],
            path: "Benchmarks/ServerBench"),
        .executableTarget(
            name: "MessagesBench", dependencies: ["Messages", "CProtos", "CProtobufC"],
            path: "Benchmarks/MessagesBench"),

        .testTarget(name: "TransportTests", dependencies: ["Transport"]),
        .testTarget(name: "MessagesTests", dependencies: ["Messages", "Services"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Interchange", "Messages"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        // Killed mid-write by StoreTests' crash test; built with the tests.
        .executableTarget(name: "StoreProbe", dependencies: ["Store"], path: "Tests/StoreProbe"),
        .testTarget(
            name: "InterchangeTests", dependencies: ["Interchange", "Messages", "Engine"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "ClientKit", "Messages", "Services", "Transport", "Engine",
                "Interchange", "Store",
            ]),
        .testTarget(name: "ClientKitTests", dependencies: ["ClientKit", "Server"]),
        // A reporter process the ClientKit tests kill mid-send.
        .executableTarget(
            name: "ReporterProbe", dependencies: ["ClientKit"], path: "Tests/ReporterProbe"),
        // Runs the built monctl against the built monitord.
        .testTarget(
            name: "MonctlTests", dependencies: ["ClientKit", "Messages"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
