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
        let (server, client) = try Socket.pair()
        guard core.admitConnection() else {
            Glibc.close(server)
            Glibc.close(client)
            throw SocketError("connect", code: EMFILE)
        }
        let address = remoteAddress
        loop.execute { $0.adopt(fd: server, address: address) }
        return client
    }

    /// Stops the loop, which closes its connections, and waits for it.
    public func shutdown() {
        loop.execute { $0.stop() }
        finished.wait()
    }
}
