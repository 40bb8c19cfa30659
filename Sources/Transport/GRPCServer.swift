import CNGHTTP2
import Glibc
import Synchronization

/// A gRPC server over HTTP/2 cleartext (h2c with prior knowledge).
///
/// `start` binds the port and starts one event loop thread per configured loop; the
/// first loop also accepts connections and hands each to the loops in turn. Handlers
/// run as Swift tasks, never on the loops.
///
/// ```swift
/// var router = MethodRouter()
/// router.register("/monitor.v1.Echo/Say") { call in
///     for try await message in call.requests { try await call.send(message) }
/// }
/// let server = GRPCServer(configuration: ServerConfiguration(), router: router)
/// try server.start()
/// print("listening on", server.port)
/// await server.shutdown(gracePeriod: .seconds(5))
/// ```
public final class GRPCServer: Sendable {
    private let core: ServerCore
    private let state = Mutex(LifeState())

    private struct LifeState {
        var loops: [ServerLoop] = []
        var port = 0
        var started = false
        var shuttingDown = false
    }

    /// Prepares a server; nothing is bound until `start`.
    public init(configuration: ServerConfiguration, router: MethodRouter) {
        core = ServerCore(configuration: configuration, router: router)
    }

    /// The bound port; 0 before `start`.
    public var port: Int {
        state.withLock { $0.port }
    }

    /// The server's counters now: connections, streams, bytes.
    public var counters: TransportCounters {
        core.counters.snapshot()
    }

    /// Binds and listens, then starts the event loops. Throws `RPCError(.unavailable)`
    /// naming the address when it cannot bind, and `.failedPrecondition` when called
    /// a second time.
    public func start() throws {
        let alreadyStarted = state.withLock { $0.started }
        guard !alreadyStarted else {
            throw RPCError(code: .failedPrecondition, message: "the server was already started")
        }
        let configuration = core.configuration
        let listener = try Listener.bind(host: configuration.host, port: configuration.port)
        var loops: [ServerLoop] = []
        for index in 0..<max(1, configuration.eventLoops) {
            loops.append(ServerLoop(loop: try EventLoop(name: "loop-\(index)"), core: core))
        }
        let acceptor = Acceptor(listener: listener, loops: loops, core: core)
        loops[0].acceptor = acceptor
        state.withLock { state in
            state.loops = loops
            state.port = listener.port
            state.started = true
        }
        for serverLoop in loops {
            serverLoop.loop.start()
        }
        loops[0].loop.execute { acceptor.start() }
        core.logger.log(
            .info, "server started",
            [("address", "\(configuration.host):\(listener.port)"),
             ("loops", String(loops.count))])
    }

    /// Shuts down gracefully: stops accepting, sends GOAWAY on every connection so
    /// clients open no new calls, lets calls in flight finish for up to `gracePeriod`,
    /// then cancels what is left and closes every socket. Returns when all is closed.
    public func shutdown(gracePeriod: Duration) async {
        let loops = state.withLock { state -> [ServerLoop] in
            guard state.started, !state.shuttingDown else { return [] }
            state.shuttingDown = true
            return state.loops
        }
        guard !loops.isEmpty else { return }
        let deadline = Monotonic.after(gracePeriod)
        for serverLoop in loops {
            serverLoop.loop.execute { serverLoop.beginShutdown(forceAt: deadline) }
        }
        for serverLoop in loops {
            await serverLoop.loop.waitUntilStopped()
        }
        core.logger.log(.info, "server stopped", [("port", String(port))])
    }

    /// Shuts down with the configuration's `gracefulShutdownTimeout`.
    public func shutdown() async {
        await shutdown(gracePeriod: core.configuration.gracefulShutdownTimeout)
    }
}

/// One event loop of a server and the connections it owns.
final class ServerLoop: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `connections`, `draining` and `acceptor` are
    // touched only on `loop`'s thread (the acceptor is set before the loop starts).
    let loop: EventLoop
    let core: ServerCore
    var acceptor: Acceptor? = nil
    private var connections: [ObjectIdentifier: ServerConnection] = [:]
    private var draining = false

    init(loop: EventLoop, core: ServerCore) {
        self.loop = loop
        self.core = core
    }

    /// Adopts an accepted socket. Loop thread.
    func adopt(_ fd: Int32) {
        guard !draining else {
            Glibc.close(fd)
            return
        }
        let connection = ServerConnection(loop: loop, io: TCPStream(adopting: fd), core: core)
        connections[ObjectIdentifier(connection)] = connection
        connection.onGone = { [self] gone in
            connections[ObjectIdentifier(gone)] = nil
            if draining && connections.isEmpty {
                loop.stop()
            }
        }
        connection.start()
    }

    /// Stops accepting, sends GOAWAY everywhere and closes what remains at `forceAt`.
    func beginShutdown(forceAt deadline: UInt64) {
        draining = true
        acceptor?.stop()
        if connections.isEmpty {
            loop.stop()
            return
        }
        for connection in connections.values {
            connection.beginShutdown()
        }
        loop.schedule(at: deadline) { [self] in
            for connection in Array(connections.values) {
                connection.forceClose()
            }
            loop.stop()
        }
    }
}

/// Accepts connections on the first loop and deals them out to every loop in turn.
final class Acceptor: EventHandler, @unchecked Sendable {
    // Invariant for @unchecked Sendable: used only on the first loop's thread.
    private let listener: Listener
    private let loops: [ServerLoop]
    private let core: ServerCore
    private var next = 0
    private var stopped = false

    init(listener: Listener, loops: [ServerLoop], core: ServerCore) {
        self.listener = listener
        self.loops = loops
        self.core = core
    }

    func start() {
        loops[0].loop.register(listener.fd, events: EPOLLIN.rawValue, handler: self)
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        loops[0].loop.deregister(listener.fd)
        listener.close()
    }

    func handleEvents(_ events: UInt32) {
        while !stopped {
            let fd = accept(listener.fd, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    core.logger.log(.error, "accept failed", [("error", errnoText())])
                }
                return
            }
            let open = core.counters.connectionsOpen.load(ordering: .relaxed)
            if open >= core.configuration.maxConnections {
                core.logger.log(.warning, "connection limit reached, closing new connection")
                Glibc.close(fd)
                continue
            }
            let target = loops[next % loops.count]
            next += 1
            if target === loops[0] {
                target.adopt(fd)
            } else {
                target.loop.execute { target.adopt(fd) }
            }
        }
    }
}

/// A listening TCP socket.
final class Listener: @unchecked Sendable {
    // Invariant for @unchecked Sendable: closed once, on the accepting loop.
    private(set) var fd: Int32
    let port: Int

    private init(fd: Int32, port: Int) {
        self.fd = fd
        self.port = port
    }

    static func bind(host: String, port: Int) throws(RPCError) -> Listener {
        let addresses = try Sockets.resolve(host: host, port: port)
        var lastError = "no address"
        for address in addresses {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
            if fd < 0 { continue }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
            let bound = address.withSockAddr { Glibc.bind(fd, $0, $1) }
            if bound == 0 && listen(fd, 1024) == 0 {
                Sockets.setNonBlocking(fd)
                let actual = SocketAddress.local(of: fd)?.port ?? port
                return Listener(fd: fd, port: actual)
            }
            lastError = errnoText()
            Glibc.close(fd)
        }
        throw RPCError(
            code: .unavailable, message: "cannot listen on \(host):\(port): \(lastError)")
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}
