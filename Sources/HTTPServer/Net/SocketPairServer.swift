import Dispatch
import Glibc
import Logging
import PosixThreads

/// The server's connection handling with no listener and no TCP, for tests of the wire in process:
/// each `connect()` makes a socketpair, hands one end to a loop as an accepted connection (from
/// `remoteAddress`) and returns the other. Framing, pipelining, early answers, deadlines and closes
/// run through the same `Connection` and `EventLoop` as a served socket; only accepting, the
/// connection cap's 503 and TCP itself (RST, source addresses) are left to a real listener.
public final class SocketPairServer: Sendable {
    private let core: ServerCore
    private let loop: EventLoop
    private let finished = DispatchSemaphore(value: 0)

    public init(router: Router, configuration: ServerConfiguration = ServerConfiguration(),
                logger: Logger = Logger(label: "theta-console.http")) throws {
        core = ServerCore(configuration: configuration, router: router, logger: logger)
        loop = try EventLoop(core: core, index: 0)
        core.setLoops([loop])
        try Threads.start(name: "http-loop-0") { [loop, finished] in
            loop.run()
            finished.signal()
        }
    }

    /// A new connection: the returned descriptor is the client's end, blocking, owned by the caller.
    public func connect(remoteAddress: String = "127.0.0.1") throws -> Int32 {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw SocketError("socketpair")
        }
        // The server's end is non-blocking, as an accepted socket is.
        guard fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK) == 0, core.admitConnection() else {
            let error = SocketError("fcntl")
            Glibc.close(ends[0])
            Glibc.close(ends[1])
            throw error
        }
        let (server, address) = (ends[0], remoteAddress)
        loop.execute { $0.adopt(fd: server, address: address) }
        return ends[1]
    }

    /// Connections the loop holds.
    public var connectionCount: Int { core.connectionCount }

    /// Stops the loop, which closes its connections, and waits for it.
    public func shutdown() {
        loop.execute { $0.stop() }
        finished.wait()
    }
}
