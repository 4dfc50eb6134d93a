import PosixThreads
import CLinux
import Glibc
import Logging

/// One thread with one epoll instance. Every connection belongs to exactly one loop from accept to
/// close, and only that loop's thread touches it, so connection state needs no locks. Other threads
/// talk to a loop only through `execute`, which queues a task and wakes the loop with an eventfd.
final class EventLoop: @unchecked Sendable {
    let core: ServerCore
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let tasks = Lock<[@Sendable (EventLoop) -> Void]>([])
    // Loop-thread state from here down.
    private var connections: [Int32: Connection] = [:]
    /// The listening sockets this loop accepts from, each with its TLS context (nil: plain HTTP).
    private var listeners: [Int32: TLSServerContext?] = [:]
    private var running = true
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var cachedDate: (second: Int, text: String) = (0, "")
    private var nextSweep: UInt64 = 0
    /// Tasks to run at a monotonic deadline (`execute(after:)`); touched on the loop thread only.
    private var timers: [(deadline: UInt64, task: @Sendable (EventLoop) -> Void)] = []

    static let readBufferSize = 64 * 1024

    init(core: ServerCore, index: Int) throws {
        self.core = core
        self.index = index
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SocketError("epoll_create1") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let error = SocketError("eventfd")
            close(epfd)
            throw error
        }
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        guard control(EPOLL_CTL_ADD, wakeFD, events: EPOLLIN.rawValue) else {
            let error = SocketError("epoll_ctl")
            readBuffer.deallocate()
            close(wakeFD)
            close(epfd)
            throw error
        }
    }

    deinit {
        readBuffer.deallocate()
        close(wakeFD)
        close(epfd)
    }

    /// Runs a task on this loop's thread, `delay` seconds from now (0: at its next turn), on a
    /// timer of the loop's own: no other thread waits for it. Safe from any thread.
    func execute(after delay: Double, _ task: @escaping @Sendable (EventLoop) -> Void) {
        guard delay > 0 else { return execute(task) }
        let deadline = monotonicNanoseconds() + UInt64(delay * 1e9)
        execute { loop in loop.timers.append((deadline, task)) }
    }

    /// Runs a task on this loop's thread. Safe from any thread.
    func execute(_ task: @escaping @Sendable (EventLoop) -> Void) {
        tasks.withLock { $0.append(task) }
        var one: UInt64 = 1
        // EAGAIN: the counter is full, so the loop is woken already.
        if write(wakeFD, &one, 8) < 0 && errno != EAGAIN {
            core.logger.error("waking a loop failed", metadata: ["errno": "\(errno)"])
        }
    }

    // MARK: - The loop

    func run() {
        Threads.markCurrentAsEventLoop()
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while running {
            let count = epoll_wait(epfd, &events, Int32(events.count), waitMilliseconds())
            core.countWakeUp()
            if count < 0 {
                if errno == EINTR { continue }
                core.logger.critical("epoll_wait failed", metadata: ["error": "\(SocketError("epoll_wait"))"])
                break
            }
            for i in 0..<Int(count) {
                let fd = events[i].data.fd
                let flags = events[i].events
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    runTasks()
                } else if let tls = listeners[fd] {
                    acceptPending(from: fd, tls: tls)
                } else if let connection = connections[fd] {
                    connection.handle(events: flags)
                }
            }
            let now = monotonicNanoseconds()
            runTimers(now: now)
            if now >= nextSweep {
                nextSweep = now + 250_000_000
                for connection in Array(connections.values) { connection.checkDeadlines(now: now) }
            }
        }
        for connection in Array(connections.values) { connection.close() }
    }

    private func runTasks() {
        let pending = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in pending { task(self) }
    }

    /// How long `epoll_wait` may sleep: until the next deadline sweep (250 ms at most), or the
    /// next timer if that comes first.
    private func waitMilliseconds() -> Int32 {
        guard let next = timers.lazy.map(\.deadline).min() else { return 250 }
        let now = monotonicNanoseconds()
        guard next > now else { return 0 }
        return Int32(min(250, (next - now + 999_999) / 1_000_000))
    }

    /// Runs the timers that are due, in deadline order.
    private func runTimers(now: UInt64) {
        guard !timers.isEmpty, timers.contains(where: { $0.deadline <= now }) else { return }
        let due = timers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
        timers.removeAll { $0.deadline <= now }
        for timer in due { timer.task(self) }
    }

    // MARK: - Accepting

    /// Called before the loop's thread starts (nothing else touches the loop yet).
    func startListening(_ fd: Int32, tls: TLSServerContext?) throws {
        // EPOLLEXCLUSIVE: one loop wakes per pending connection, not all of them.
        guard control(EPOLL_CTL_ADD, fd, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue) else {
            throw SocketError("epoll_ctl")
        }
        listeners[fd] = .some(tls)
    }

    func stopListening() {
        for fd in listeners.keys { control(EPOLL_CTL_DEL, fd) }
        listeners = [:]
    }

    private func acceptPending(from listener: Int32, tls: TLSServerContext?) {
        for _ in 0..<64 {
            guard listeners[listener] != nil, let (fd, address) = Socket.accept(listener) else { return }
            guard core.admitConnection() else {
                // Over the cap. A TLS peer could not read a plain answer: it is only closed.
                if tls != nil {
                    Glibc.close(fd)
                    continue
                }
                // Over the cap: a short 503, then close. The peer may retry later.
                let body = #"{"detail":"too many connections"}"#
                let wire = Array("HTTP/1.1 503 Service Unavailable\r\nDate: \(date())\r\n".utf8) + core.router.everyResponseHeaders
                    + Array("Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)".utf8)
                _ = wire.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                Glibc.close(fd)
                continue
            }
            // Spread connections over the loops in turn.
            let target = core.nextLoop()
            if target === self {
                adopt(fd: fd, address: address, tls: tls)
            } else {
                target.execute { $0.adopt(fd: fd, address: address, tls: tls) }
            }
        }
    }

    func adopt(fd: Int32, address: String, tls: TLSServerContext? = nil) {
        guard control(EPOLL_CTL_ADD, fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue) else {
            // Not watched, it could never be served: refuse it (the peer sees the close).
            Glibc.close(fd)
            core.releaseConnection()
            return
        }
        guard let connection = Connection(fd: fd, remoteAddress: address, loop: self, tls: tls) else {
            // No memory for its TLS session: it could never be served.
            control(EPOLL_CTL_DEL, fd)
            Glibc.close(fd)
            core.releaseConnection()
            return
        }
        connections[fd] = connection
        // Accepted before draining began, handed to this loop after: the peer may already have
        // sent a request, which is in flight like any other. closeIfIdle reads what arrived first,
        // serves a request it finds, and closes the connection only if it holds none. (Closing it
        // unread once reset such a request under load.)
        if core.isDraining { connection.closeIfIdle() }
    }

    // MARK: - Draining and stopping

    /// Stops accepting and closes the connections that are between requests. The rest close after
    /// their current response.
    func drain() {
        stopListening()
        for connection in Array(connections.values) { connection.closeIfIdle() }
    }

    func stop() {
        running = false
    }

    var connectionCount: Int { connections.count }

    // MARK: - For connections

    /// The one place `epoll_ctl` is called, and its result checked: a failure is logged with the
    /// operation and errno, and the caller decides what it means for the descriptor.
    @discardableResult
    private func control(_ operation: Int32, _ fd: Int32, events: UInt32 = 0) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(epfd, operation, fd, &event) == 0 else {
            let code = errno
            core.logger.error("epoll_ctl failed", metadata: [
                "operation": "\(operation)", "fd": "\(fd)", "error": "\(String(cString: strerror(code)))",
            ])
            errno = code  // for a caller that reports it (SocketError)
            return false
        }
        return true
    }

    /// Changes what a connection is watched for; false when it cannot be (the caller closes it).
    func modify(_ fd: Int32, events: UInt32) -> Bool {
        control(EPOLL_CTL_MOD, fd, events: events)
    }

    func forget(_ fd: Int32) {
        control(EPOLL_CTL_DEL, fd)
        connections[fd] = nil
        core.releaseConnection()
    }

    /// Reads into the loop's shared buffer; the connection copies what it keeps.
    func read(from fd: Int32) -> (count: Int, bytes: UnsafeRawBufferPointer) {
        read { Glibc.read(fd, $0.baseAddress, $0.count) }
    }

    /// Reads into the loop's shared buffer with `receive` (read(2), or a TLS connection's own read).
    func read(_ receive: (UnsafeMutableRawBufferPointer) -> Int) -> (count: Int, bytes: UnsafeRawBufferPointer) {
        let n = receive(readBuffer)
        return (n, UnsafeRawBufferPointer(start: readBuffer.baseAddress, count: max(n, 0)))
    }

    /// The IMF-fixdate for the Date header (RFC 9110 §5.6.7), cached for the current second.
    func date() -> String {
        var now = time(nil)
        if Int(now) == cachedDate.second { return cachedDate.text }
        var parts = tm()
        gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        cachedDate = (Int(now), text)
        return text
    }
}
