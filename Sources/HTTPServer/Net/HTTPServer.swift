import Dispatch
import FoundationEssentials
import Glibc
import Logging
import PosixThreads

/// An HTTP/1.1 server on non-blocking POSIX sockets, with one epoll event loop per thread.
/// It knows nothing about what it serves: the Router decides.
public final class HTTPServer: Sendable {
    let core: ServerCore
    private let state = ServerState()

    public init(configuration: ServerConfiguration, router: Router, logger: Logger) {
        core = ServerCore(configuration: configuration, router: router, logger: logger)
    }

    /// Binds, starts the loop threads and returns the bound port.
    public func start() throws -> Int {
        // A peer reset must never kill the process: sends use MSG_NOSIGNAL, and SIGPIPE is ignored too.
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = Socket.raiseFileLimit()
        if fileLimit < core.configuration.maxConnections + 64 {
            core.logger.warning("open-file limit is below the connection cap", metadata: [
                "limit": "\(fileLimit)", "max_connections": "\(core.configuration.maxConnections)",
            ])
        }
        let (listener, port) = try Socket.listen(host: core.configuration.host, port: core.configuration.port)
        state.add(listener: listener)
        var secure: (fd: Int32, context: TLSServerContext)?
        if let tls = core.configuration.tls {
            let (fd, tlsPort) = try Socket.listen(host: core.configuration.host, port: tls.port)
            state.add(listener: fd)
            state.setTLSPort(tlsPort)
            secure = (fd, tls.context)
        }
        let count = core.configuration.threads > 0 ? core.configuration.threads : Threads.availableProcessors
        let loops = try (0..<count).map { try EventLoop(core: core, index: $0) }
        core.setLoops(loops)
        for loop in loops {
            try loop.startListening(listener, tls: nil)
            if let secure { try loop.startListening(secure.fd, tls: secure.context) }
            try Threads.start(name: "http-loop-\(loop.index)") { [state] in
                loop.run()
                state.loopFinished()
            }
        }
        return port
    }

    /// Stops accepting, lets requests in flight finish for up to `grace` seconds, then stops the
    /// loops and closes every connection. Blocks until done.
    public func shutdown(grace: Double) {
        core.beginDraining()
        let loops = core.loops
        for loop in loops { loop.execute { $0.drain() } }
        let deadline = Date().addingTimeInterval(grace)
        while core.connectionCount > 0 && Date() < deadline {
            usleep(10_000)
        }
        for loop in loops { loop.execute { $0.stop() } }
        state.waitForLoops(count: loops.count)
        state.closeListener()
    }

    /// The HTTPS port once started (`configuration.tls`), else nil.
    public var tlsPort: Int? { state.tlsPort }

    /// Open connections right now (for tests and metrics).
    public var connectionCount: Int { core.connectionCount }

    /// How many times the loops have woken from epoll_wait (for tests: a loop must not spin).
    public var loopWakeUps: Int { core.loopWakeUps }

    /// Connections not reading now because the peer is slow to read what they already answered.
    public var connectionsHeldByOutput: Int { core.connectionsHeldByOutput }
}

/// The listener descriptors and loop completion, shared with the loop threads.
private final class ServerState: Sendable {
    private let listeners = Lock<[Int32]>([])
    private let boundTLSPort = Lock<Int?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    func add(listener fd: Int32) { listeners.withLock { $0.append(fd) } }

    func setTLSPort(_ port: Int) { boundTLSPort.withLock { $0 = port } }

    var tlsPort: Int? { boundTLSPort.withLock { $0 } }

    func loopFinished() { finished.signal() }

    func waitForLoops(count: Int) {
        for _ in 0..<count { finished.wait() }
    }

    func closeListener() {
        listeners.withLock { fds in
            for fd in fds { Glibc.close(fd) }
            fds = []
        }
    }
}
