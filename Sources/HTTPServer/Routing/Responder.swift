import Synchronization

/// A handler's answer: a response now, or work that answers later from another thread (a durable
/// write on the SQLite writer thread) while the event loop serves other connections.
public enum Reply: Sendable {
    case now(Response)
    /// Called once on the loop thread with the request's `Responder`; must not block.
    case later(@Sendable (Responder) -> Void)
}

/// Carries one thing made on a connection's loop thread (a response, or a head decision) from work
/// that finished on another thread. `hand` may be called from any thread, once; the closure it is
/// given runs on the loop thread, where the connection's state lives. The connection reads nothing
/// more from its peer until then. Dropped without handing anything, it hands its fallback (a 500),
/// so no connection waits forever.
public final class LoopHandOff<Value>: Sendable {
    /// Runs `make` on the loop: now, or after a delay (a timer of the loop's own).
    public typealias Deliver = @Sendable (_ delay: Double, _ make: @escaping @Sendable () -> Value) -> Void
    private let deliver: Deliver
    private let fallback: @Sendable () -> Value
    private let handed = Atomic<Bool>(false)

    init(fallback: @escaping @Sendable () -> Value, deliver: @escaping Deliver) {
        self.fallback = fallback
        self.deliver = deliver
    }

    func hand(after delay: Double = 0, _ make: @escaping @Sendable () -> Value) {
        guard !handed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(delay, make)
    }

    deinit {
        if !handed.load(ordering: .acquiring) { deliver(0, fallback) }
    }
}

/// Finishes one request whose answer is produced elsewhere (`Reply.later`).
public typealias Responder = LoopHandOff<Response>

extension Reply {
    /// This reply with `transform` applied to its response on the loop thread, once it exists, and
    /// sent `delay` seconds later (on the loop's timer). A `.now` reply is transformed at once.
    public func map(delay: Double = 0, _ transform: @escaping @Sendable (Response) -> Response) -> Reply {
        switch self {
        case .now(let response):
            let made = transform(response)
            guard delay > 0 else { return .now(made) }
            return .later { responder in responder.respond(after: delay) { made } }
        case .later(let start):
            return .later { outer in
                start(Responder { wait, make in outer.hand(after: wait + delay) { transform(make()) } })
            }
        }
    }
}

extension LoopHandOff where Value == Response {
    convenience init(deliver: @escaping Deliver) {
        self.init(fallback: { .error(HTTPError(500, "internal server error")) }, deliver: deliver)
    }

    /// Answers `delay` seconds from now with what `make` returns, on the loop's own timer: no
    /// thread waits meanwhile, and a connection that went away by then is not answered.
    public func respond(after delay: Double, _ make: @escaping @Sendable () -> Response) {
        hand(after: delay, make)
    }

    /// Answers with what `make` returns; `make` runs on the connection's loop thread, so reads done
    /// to build the response happen there.
    public func respond(_ make: @escaping @Sendable () -> Response) {
        hand(make)
    }

    public func respond(_ response: Response) {
        hand { response }
    }
}

/// Finishes one head decision made elsewhere (`HeadDecision.decideLater`).
public typealias Decider = LoopHandOff<HeadDecision>

extension LoopHandOff where Value == HeadDecision {
    convenience init(deliver: @escaping Deliver) {
        self.init(fallback: { .respond(.error(HTTPError(500, "internal server error"))) }, deliver: deliver)
    }

    /// Carries out what `make` returns; `make` runs on the connection's loop thread, which is where
    /// a body sink must be made.
    public func decide(_ make: @escaping @Sendable () -> HeadDecision) {
        hand(make)
    }
}
