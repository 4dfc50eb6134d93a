import Dispatch
import PosixThreads

/// Sends requests through a frozen `Router` with no socket and no event loop: for tests of routes
/// in process. The head goes to `Router.decide`; a `.consume` sink gets the body in the chunks
/// given and then `finish()`; a `.later` is answered through a real `Responder` (from whatever
/// thread the work finishes on) and waited for; a `.decideLater` is waited for through a real
/// `Decider`, and its decision carried out the same way. The response passes through the router's filters
/// and header check, as a connection's does, and `wire(_:for:)` encodes it as a connection would.
///
/// What only a connection does is left out: keep-alive and close, `100 Continue`, discarding a
/// refused body, deadlines, and network faults (`Response.delivery`, returned as is).
public struct RouterDriver: Sendable {
    public let router: Router

    public init(_ router: Router) {
        self.router = router
    }

    /// A `.later` answer did not come within the timeout.
    public struct Timeout: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no answer to \(path) in time" }
    }

    /// Answers one request: `head`, then `chunks` of body (their total should match the head's
    /// framing), from `remoteAddress`.
    public func send(_ head: RequestHead, body chunks: [[UInt8]] = [], remoteAddress: String = "127.0.0.1",
                     timeout: Double = 30) throws -> Response {
        var response = try carryOut(router.decide(RequestInfo(head: head, remoteAddress: remoteAddress)), head, chunks,
                                    timeout: timeout)
        router.finalize(head, &response)
        if !response.hasValidHeaders { response = .error(HTTPError(500, "internal server error")) }
        return response
    }

    /// The bytes a connection would write for `response` to `head` (with `date` as its Date, and
    /// the router's every-response headers), keeping the connection open.
    public func wire(_ response: Response, for head: RequestHead, date: String = "Thu, 01 Jan 1970 00:00:00 GMT") -> [UInt8] {
        var out: [UInt8] = []
        response.encode(into: &out, date: date, headOnly: head.method == .HEAD, close: false,
                        everyResponseHeaders: router.everyResponseHeaders)
        return out
    }

    private func carryOut(_ decision: HeadDecision, _ head: RequestHead, _ chunks: [[UInt8]],
                          timeout: Double) throws -> Response {
        switch decision {
        case .respond(let answer):
            return answer
        case .later(let start):
            return try waitForHandOff(path: head.path, timeout: timeout) { deliver in start(Responder(deliver: deliver)) }
        case .decideLater(let start):
            let decision = try waitForHandOff(path: head.path, timeout: timeout) { deliver in start(Decider(deliver: deliver)) }
            return try carryOut(decision, head, chunks, timeout: timeout)
        case .consume(let sink, let limit):
            return try consume(head, chunks, into: sink, limit: limit, timeout: timeout)
        }
    }

    private func consume(_ head: RequestHead, _ chunks: [[UInt8]], into sink: any BodySink, limit: Int,
                         timeout: Double) throws -> Response {
        if case .length(let declared) = head.framing, declared > limit { return .error(.bodyTooLarge(limit: limit)) }
        var received = 0
        for chunk in chunks {
            received += chunk.count
            if received > limit { return sink.oversized(limit: limit) }
            do {
                try sink.consume(chunk[...])
            } catch {
                return .error(error)
            }
        }
        switch sink.finish() {
        case .now(let response): return response
        case .later(let start):
            return try waitForHandOff(path: head.path, timeout: timeout) { deliver in start(Responder(deliver: deliver)) }
        }
    }

    /// Starts deferred work with a `Responder` (or a `Decider`) and waits for what it hands back,
    /// which is then made here (where a connection would make it on its loop). The handle is let go
    /// of once `start` returns, so work that drops it unanswered gets its 500, as on a connection.
    private func waitForHandOff<Value>(path: Substring, timeout: Double,
                                       _ start: (@escaping LoopHandOff<Value>.Deliver) -> Void)
        throws -> Value
    {
        let made = Lock<(@Sendable () -> Value)?>(nil)
        let handed = DispatchSemaphore(value: 0)
        start { delay, make in
            // The driver has no loop: a delayed hand-off waits on a Dispatch timer instead.
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                made.withLock { $0 = make }
                handed.signal()
            }
        }
        guard handed.wait(timeout: .now() + timeout) == .success, let make = made.withLock({ $0 }) else {
            throw Timeout(path: String(path))
        }
        return make()
    }
}

extension HTTPError {
    /// 413 for a declared body over the route's limit, refused before any of it is read.
    static func bodyTooLarge(limit: Int) -> HTTPError {
        HTTPError(413, "request body too large (limit \(limit) bytes)")
    }
}
