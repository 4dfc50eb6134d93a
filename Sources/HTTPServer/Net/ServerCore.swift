import PosixThreads
import Logging
import Synchronization

/// What every loop shares: configuration, the frozen router, and a few atomic counters.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    private let openConnections = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let heldByOutput = Atomic<Int>(0)
    private let wakeUps = Atomic<Int>(0)
    private let roundRobin = Atomic<Int>(0)
    private let loopsBox = Lock<[EventLoop]>([])

    init(configuration: ServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    var loops: [EventLoop] {
        get { loopsBox.withLock { $0 } }
    }

    func setLoops(_ loops: [EventLoop]) {
        loopsBox.withLock { $0 = loops }
    }

    /// Counts a new connection; false when the cap is reached.
    func admitConnection() -> Bool {
        let now = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if now > configuration.maxConnections {
            openConnections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func releaseConnection() {
        openConnections.wrappingSubtract(1, ordering: .relaxed)
    }

    var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Connections that stopped reading because their unsent output passed the high-water mark.
    var connectionsHeldByOutput: Int { heldByOutput.load(ordering: .relaxed) }

    func outputHold(_ delta: Int) { heldByOutput.wrappingAdd(delta, ordering: .relaxed) }

    /// Times any loop returned from epoll_wait: a loop that spins shows here.
    var loopWakeUps: Int { wakeUps.load(ordering: .relaxed) }

    func countWakeUp() { wakeUps.wrappingAdd(1, ordering: .relaxed) }

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func beginDraining() { draining.store(true, ordering: .relaxed) }

    func nextLoop() -> EventLoop {
        let all = loops
        let i = roundRobin.wrappingAdd(1, ordering: .relaxed).oldValue
        return all[abs(i % all.count)]
    }
}
