import CLinux
import Glibc
import Logging

/// One client connection. Owned by one EventLoop and touched only on its thread.
///
/// Requests are handled one at a time: the next pipelined request is not parsed until the current
/// one has been answered, so responses go out in request order. Reading stops while too much
/// output is waiting for the peer.
final class Connection {
    let fd: Int32
    let remoteAddress: String
    unowned let loop: EventLoop

    private var input = InputBuffer()
    private var parser: HTTPRequestParser
    private var output: [UInt8] = []
    private var outputIndex = 0
    private var interest: UInt32 = EPOLLIN.rawValue | EPOLLRDHUP.rawValue

    /// The request being read, from its head to its end.
    private struct Exchange {
        let head: RequestHead
        /// Tells a late answer (or decision) from one meant for an earlier request on this connection.
        let serial: UInt64
        var state: State
        /// Body bytes read so far.
        var received = 0
        /// The parser has seen this request's end.
        var ended = false

        enum State {
            /// The route decides after work on another thread (`HeadDecision.decideLater`): nothing
            /// more is parsed until the decision comes back to this loop.
            case deciding
            /// The body goes to the sink, at most `limit` bytes.
            case streaming(any BodySink, limit: Int)
            /// A `Reply.later` is being worked on elsewhere; its `Responder` will answer. What
            /// arrives of the body meanwhile is discarded.
            case awaiting
            /// The response is queued; what is left of the body is read and discarded.
            case answered
        }

        var isAnswered: Bool {
            if case .answered = state { return true }
            return false
        }

        /// Waiting for another thread: nothing is read, and no deadline of the peer's runs.
        var waitsForTheServer: Bool {
            switch state {
            case .deciding: return true
            case .awaiting: return ended
            case .streaming, .answered: return false
            }
        }
    }
    private var exchange: Exchange?
    private var requestSerial: UInt64 = 0

    private enum Phase {
        case open
        /// The final response is queued; close once it is written.
        case closing
        /// Written and half-closed; reading and discarding until the peer closes or time runs out.
        case lingering(until: UInt64)
        case closed
    }
    private var phase = Phase.open
    private var readingPaused = false
    /// Paused by the output high-water mark (counted in `ServerCore`), not by a pending reply.
    private var heldByOutput = false
    /// The peer half-closed while reading was paused; EPOLLRDHUP is not watched again until it resumes.
    private var hangUpSeenWhilePaused = false
    private var peerClosed = false

    /// HTTPS: the connection's TLS session, and whether its handshake is still going on. Every
    /// read and write goes through it; its handshake is driven by the same epoll events.
    private var tls: TLSSession?
    private var handshaking = false
    /// A TLS read that needs the socket writable first (TLS 1.3 can write while reading).
    private var readWantsWrite = false

    // Deadlines, in monotonic nanoseconds.
    private let acceptedAt: UInt64
    private var headStartedAt: UInt64?
    private var lastRead: UInt64
    private var lastWrite: UInt64

    /// Output past this stops reading, so a pipelining peer that never reads cannot grow memory.
    private static let outputHighWater = 256 * 1024

    init?(fd: Int32, remoteAddress: String, loop: EventLoop, tls context: TLSServerContext?) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.core.configuration.limits)
        let now = monotonicNanoseconds()
        acceptedAt = now
        lastRead = now
        lastWrite = now
        if let context {
            guard let session = TLSSession(context, fd: fd) else { return nil }
            tls = session
            handshaking = true
        }
    }

    private var configuration: ServerConfiguration { loop.core.configuration }

    // MARK: - Events

    func handle(events: UInt32) {
        if handshaking {
            if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { return close() }
            return continueHandshake()
        }
        if events & EPOLLOUT.rawValue != 0 {
            // Cleared before the flush, whose interest update then stops watching EPOLLOUT.
            let readWaited = readWantsWrite
            readWantsWrite = false
            flush()
            if readWaited { readAvailable() }
        }
        guard events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 else { return }
        if readingPaused {
            // Nothing is read while an answer is pending or the output is full, but the events are
            // level-triggered: a peer that went away would wake the loop again at once, a spin that
            // lasted until the answer came (up to a fault's 120 s). A reset or a full hang-up closes
            // now; a half-close stops being watched until reading resumes, and the read finds it.
            if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                close()
            } else if events & EPOLLRDHUP.rawValue != 0 {
                hangUpSeenWhilePaused = true
                updateInterest()
            }
            return
        }
        readAvailable()
    }

    private func readAvailable() {
        // Bounded per wake-up so one fast peer cannot starve the others on this loop.
        for _ in 0..<8 {
            if case .closed = phase { return }
            if readingPaused { return }
            let n = isOpen ? read() : loop.read(from: fd).count  // closing or lingering: read to discard
            if n > 0 {
                lastRead = monotonicNanoseconds()
                if case .lingering = phase { continue }
                if case .closing = phase { continue }
                if exchange == nil && headStartedAt == nil { headStartedAt = lastRead }
                process()
                // A short read emptied the socket; a TLS read returns one record at a time.
                if n < EventLoop.readBufferSize && tls == nil { return }
            } else if n == 0 {
                peerClosed = true
                if exchange == nil && outputIndex < output.count, case .open = phase {
                    // A half-closed peer may still read what it asked for: finish writing, then close.
                    phase = .closing
                    updateInterest()
                } else if case .lingering = phase {
                    close()
                } else if outputIndex == output.count || exchange != nil {
                    close()
                }
                return
            } else {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                close()
                return
            }
        }
    }

    private var isOpen: Bool {
        if case .open = phase { return true }
        return false
    }

    /// Reads what the socket has into `input`; returns read(2)'s result, with errno intact.
    ///
    /// When everything read before has been parsed (the usual case: each request arrives whole),
    /// the bytes are read straight into a new array that becomes the input, instead of into the
    /// loop's buffer and then copied: that copy of a 32 KB upload was 4–7% of a request's time.
    /// Leftover input (a request split across reads, or pipelined) takes the copying path.
    private func read() -> Int {
        guard input.readableCount == 0 else {
            let (n, bytes) = loop.read(receive)
            if n > 0 { input.append(bytes) }
            return n
        }
        var n = 0
        var error: Int32 = 0
        let fresh = [UInt8](unsafeUninitializedCapacity: EventLoop.readBufferSize) { buffer, initialized in
            n = receive(into: UnsafeMutableRawBufferPointer(buffer))
            error = errno
            initialized = max(n, 0)  // exactly these bytes were written
        }
        if n > 0 { input = InputBuffer(fresh) }
        errno = error
        return n
    }

    /// read(2), or a TLS read with its outcome put the same way: bytes, 0 at the end, or -1 with
    /// errno (EAGAIN when it must wait; ECONNRESET for a TLS failure).
    private func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let tls else { return Glibc.read(fd, buffer.baseAddress, buffer.count) }
        switch tls.read(into: buffer) {
        case .bytes(let n): return n
        case .endOfStream: return 0
        case .wantRead:
            errno = EAGAIN
        case .wantWrite:
            readWantsWrite = true
            updateInterest()
            errno = EAGAIN
        case .failed:
            errno = ECONNRESET
        }
        return -1
    }

    /// send(2), or a TLS write, put the same way.
    private func transmit(_ buffer: UnsafeRawBufferPointer) -> Int {
        guard let tls else { return send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
        switch tls.write(buffer) {
        case .bytes(let n): return n
        case .wantRead, .wantWrite:
            errno = EAGAIN
        case .endOfStream, .failed:
            errno = ECONNRESET
        }
        return -1
    }

    // MARK: - TLS handshake

    /// Drives the handshake on each event; then serves the connection as any other. A peer that
    /// speaks plain HTTP to this port is told so, in plain HTTP, and closed.
    private func continueHandshake() {
        guard let tls else { return }
        if lastRead == acceptedAt, sentPlainHTTP() {
            handshaking = false
            self.tls = nil
            tls.free()
            fail(status: 400, detail: "this port speaks HTTPS: use https://")
            return
        }
        switch tls.handshake() {
        case .bytes:
            handshaking = false
            lastRead = monotonicNanoseconds()
            updateInterest()
            readAvailable()  // the first request may have come with the handshake's last flight
        case .wantRead:
            setInterest(EPOLLIN.rawValue)
        case .wantWrite:
            setInterest(EPOLLOUT.rawValue)
        case .endOfStream, .failed:
            close()
        }
    }

    /// Whether the first bytes are an HTTP request line rather than a TLS record (which starts
    /// with 0x16, a handshake). Looked at once, without taking them from the socket.
    private func sentPlainHTTP() -> Bool {
        var first: UInt8 = 0
        guard recv(fd, &first, 1, Int32(MSG_PEEK)) == 1 else { return false }
        lastRead = monotonicNanoseconds()
        return (65...90).contains(first)  // GET, POST, HEAD…: a method starts with a capital letter
    }

    private func setInterest(_ events: UInt32) {
        watch(events | EPOLLRDHUP.rawValue)
    }

    /// Has the loop watch `wanted`; not watched as it needs to be, it could stall for good: closed.
    private func watch(_ wanted: UInt32) {
        guard wanted != interest else { return }
        interest = wanted
        if !loop.modify(fd, events: wanted) { close() }
    }

    /// Parses and handles buffered input until it needs more bytes, a response blocks, or it closes.
    private func process() {
        while case .open = phase {
            if let current = exchange, current.waitsForTheServer {
                // The answer (or the decision) comes from another thread; read nothing more until then.
                readingPaused = true
                updateInterest()
                break
            }
            if output.count - outputIndex > Self.outputHighWater {
                readingPaused = true
                holdForOutput(true)
                updateInterest()
                break
            }
            let event: ParseEvent?
            do {
                event = try parser.next(&input)
            } catch {
                fail(status: error.status, detail: error.reason)
                break
            }
            guard let event else { break }
            switch event {
            case .head(let head): begin(head)
            case .body(let bytes): receive(bytes)
            case .end: end()
            }
        }
        input.compact()
    }

    // MARK: - One request

    private func begin(_ head: RequestHead) {
        headStartedAt = nil
        requestSerial &+= 1
        // Deciding: the route is about to say what to do with it.
        exchange = Exchange(head: head, serial: requestSerial, state: .deciding)
        carryOut(loop.core.router.decide(RequestInfo(head: head, remoteAddress: remoteAddress)))
    }

    /// Carries out the route's decision for the current request, made now or later.
    private func carryOut(_ decision: HeadDecision) {
        guard let head = exchange?.head else { return }
        let hasBody = head.framing != .none && head.framing != .length(0)
        switch decision {
        case .later(let start):
            // A body that arrives meanwhile is discarded (as after an early answer).
            exchange!.state = .awaiting
            awaitReply(start)
        case .decideLater(let start):
            exchange!.state = .deciding
            awaitDecision(start)
        case .respond(let response):
            // Answered before the body: refuse a body the peer has not sent yet (100-continue)
            // or one too large to discard.
            var close = false
            if hasBody {
                if head.expectsContinue { close = true }
                if case .length(let n) = head.framing, n > configuration.maxDiscardBytes { close = true }
            }
            respond(response, close: close)
        case .consume(let sink, let limit):
            exchange!.state = .streaming(sink, limit: limit)
            if case .length(let n) = head.framing, n > limit {
                // Refuse before reading any of it (RFC 9110 §15.5.14).
                respond(.error(.bodyTooLarge(limit: limit)), close: true)
                return
            }
            if head.expectsContinue && hasBody {
                // RFC 9110 §10.1.1: the client waits for this before sending the body.
                output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                flush()
            }
        }
    }

    private func receive(_ bytes: ArraySlice<UInt8>) {
        guard exchange != nil else { return }
        exchange!.received += bytes.count
        let current = exchange!
        switch current.state {
        case .answered, .awaiting:
            // Answered early (or to be): discard the rest, up to a point.
            if current.received > configuration.maxDiscardBytes {
                phase = .closing
                flush()
            }
        case .deciding:
            return  // not reached: nothing is parsed while deciding
        case .streaming(let sink, let limit):
            if current.received > limit {
                respond(sink.oversized(limit: limit), close: true)
                return
            }
            do {
                try sink.consume(bytes)
            } catch {
                respond(.error(error), close: false)
            }
        }
    }

    private func end() {
        guard let current = exchange else { return }
        exchange!.ended = true
        switch current.state {
        case .awaiting, .deciding:
            return
        case .streaming(let sink, _):
            switch sink.finish() {
            case .now(let response):
                respond(response, close: false)
            case .later(let start):
                exchange!.state = .awaiting
                awaitReply(start)
                return
            }
        case .answered:
            break
        }
        exchange = nil
        if input.readableCount > 0 { headStartedAt = monotonicNanoseconds() }
    }

    /// Hands the current request to work on another thread; its Responder brings the answer back
    /// to this loop through `execute`, the loop's task queue, so nothing here blocks.
    private func awaitReply(_ start: @Sendable (Responder) -> Void) {
        let serial = exchange!.serial
        let target = LoopBound(self)
        let responder = Responder { [loop] delay, make in
            loop.execute(after: delay) { _ in target.value.resume(serial: serial, with: make()) }
        }
        start(responder)
    }

    /// The answer to a request that was awaiting, on the loop thread.
    private func resume(serial: UInt64, with response: Response) {
        guard case .open = phase, let current = exchange, case .awaiting = current.state, current.serial == serial else {
            return
        }
        // Reading resumes below, once this exchange is done; not from inside `respond`'s flush.
        if current.ended { readingPaused = false }
        // Answered before the body's end (a bodyless route sent a body): close after it.
        respond(response, close: !current.ended)
        guard current.ended else { return }
        exchange = nil
        guard case .open = phase else { return }
        if input.readableCount > 0 { headStartedAt = monotonicNanoseconds() }
        updateInterest()
        process()
    }

    /// Hands the head decision to work on another thread, reading nothing more until it is made;
    /// the Decider brings it back to this loop through `execute`.
    private func awaitDecision(_ start: @Sendable (Decider) -> Void) {
        let serial = exchange!.serial
        let target = LoopBound(self)
        readingPaused = true
        updateInterest()
        let decider = Decider { [loop] delay, make in
            loop.execute(after: delay) { _ in target.value.decided(serial: serial, make) }
        }
        start(decider)
    }

    /// The decision for a request that was deciding, on the loop thread: carried out as if it had
    /// been made when the head arrived; then the rest of the input is parsed.
    private func decided(serial: UInt64, _ make: () -> HeadDecision) {
        guard case .open = phase, let current = exchange, case .deciding = current.state, current.serial == serial else {
            return
        }
        readingPaused = false
        carryOut(make())
        guard case .open = phase else { return }
        updateInterest()
        process()
    }

    /// Queues the response to the current request and starts writing it.
    private func respond(_ original: Response, close forceClose: Bool) {
        guard var current = exchange, !current.isAnswered else { return }
        current.state = .answered
        exchange = current

        var response = original
        loop.core.router.finalize(current.head, &response)
        if !response.hasValidHeaders {
            loop.core.logger.error("handler produced an invalid header; sent 500 instead", metadata: ["path": "\(current.head.path)"])
            response = .error(HTTPError(500, "internal server error"))
        }
        if response.delivery == .reset {
            reset()
            return
        }
        let close = forceClose || !current.head.keepAlive || loop.core.isDraining || peerClosed
            || response.delivery == .halfThenClose
        let start = output.count
        response.encode(into: &output, date: loop.date(), headOnly: current.head.method == .HEAD, close: close,
                        everyResponseHeaders: loop.core.router.everyResponseHeaders)
        if response.delivery == .halfThenClose {
            // The whole head, then half the body: a client sees a short read against Content-Length.
            let bodyBytes = min(response.body.count, output.count - start)
            output.removeSubrange((output.count - bodyBytes + bodyBytes / 2)...)
        }
        if close { phase = .closing }
        flush()
    }

    /// Closes with a TCP reset: SO_LINGER on with a zero timeout makes close(2) send RST.
    private func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    /// A parse error or timeout: answer if no response has started for this request, then close.
    private func fail(status: Int, detail: String) {
        let responseStarted = exchange?.isAnswered ?? false
        if !responseStarted {
            if exchange == nil {
                exchange = Exchange(head: RequestHead(method: .GET, target: "/"), serial: 0, state: .answered)
            }
            let response = Response.error(HTTPError(status, detail))
            response.encode(into: &output, date: loop.date(), headOnly: false, close: true,
                            everyResponseHeaders: loop.core.router.everyResponseHeaders)
            exchange?.state = .answered
        }
        phase = .closing
        flush()
    }

    // MARK: - Writing and closing

    private func flush() {
        while outputIndex < output.count {
            let n = output.withUnsafeBytes { buffer in
                transmit(UnsafeRawBufferPointer(rebasing: buffer[outputIndex...]))
            }
            if n > 0 {
                outputIndex += n
                lastWrite = monotonicNanoseconds()
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                updateInterest()
                return
            } else {
                close()
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputIndex = 0
        holdForOutput(false)
        switch phase {
        case .closing where exchange?.isAnswered ?? true:
            beginLinger()
        default:
            updateInterest()
            if readingPaused {
                readingPaused = false
                updateInterest()
                process()
            }
        }
    }

    /// Half-close and drain for a moment, so the peer reads our last response instead of a reset.
    private func beginLinger() {
        if peerClosed { close(); return }
        tls?.closeNotify()
        shutdown(fd, Int32(SHUT_WR))
        phase = .lingering(until: monotonicNanoseconds() + UInt64(configuration.lingerTimeout * 1e9))
        readingPaused = false
        updateInterest()
    }

    private func updateInterest() {
        var wanted: UInt32 = readingPaused && hangUpSeenWhilePaused ? 0 : EPOLLRDHUP.rawValue
        if !readingPaused && !peerClosed { wanted |= EPOLLIN.rawValue }
        if outputIndex < output.count || readWantsWrite { wanted |= EPOLLOUT.rawValue }
        if case .closed = phase { return }
        if handshaking { return }
        watch(wanted)
    }

    private func holdForOutput(_ held: Bool) {
        guard held != heldByOutput else { return }
        heldByOutput = held
        loop.core.outputHold(held ? 1 : -1)
    }

    func close() {
        if case .closed = phase { return }
        phase = .closed
        holdForOutput(false)
        loop.forget(fd)
        tls?.free()
        tls = nil
        Glibc.close(fd)
    }

    /// For graceful shutdown: close now if between requests; otherwise the next response closes.
    func closeIfIdle() {
        // Bytes may be waiting in the kernel that the loop has not read yet (a request that arrived
        // just before the drain): read them first, so that request is served, not cut off.
        if handshaking { return close() }
        if case .open = phase, !readingPaused { readAvailable() }
        guard case .open = phase else { return }
        if exchange == nil && input.readableCount == 0 && outputIndex == output.count {
            close()
        }
    }

    // MARK: - Deadlines

    func checkDeadlines(now: UInt64) {
        func passed(_ since: UInt64, _ seconds: Double) -> Bool {
            now > since && Double(now - since) / 1e9 >= seconds
        }
        switch phase {
        case .closed:
            return
        case .lingering(let until):
            if now >= until { close() }
            return
        case .open, .closing:
            break
        }
        if handshaking {
            if passed(acceptedAt, configuration.handshakeTimeout) { close() }
            return
        }
        if outputIndex < output.count {
            if passed(lastWrite, configuration.writeTimeout) { close() }
        } else if let current = exchange {
            if current.waitsForTheServer { return }  // another thread answers; it is not the peer that is slow
            if current.isAnswered {
                if passed(lastRead, configuration.bodyTimeout) { close() }
            } else if passed(lastRead, configuration.bodyTimeout) {
                fail(status: 408, detail: "request body timed out")
            }
        } else if let started = headStartedAt {
            if passed(started, configuration.headerTimeout) { fail(status: 408, detail: "request header timed out") }
        } else if passed(max(lastRead, lastWrite), configuration.idleTimeout) {
            close()
        }
    }
}

/// A connection carried through another thread and back to its own loop, where alone it is used.
private struct LoopBound: @unchecked Sendable {
    let value: Connection
    init(_ value: Connection) { self.value = value }
}
