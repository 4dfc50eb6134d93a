import Synchronization

/// A handler's answer: a response now, or work that answers later from another thread (a durable
/// write on the SQLite writer thread) while the event loop serves other connections.
public enum Reply: Sendable {
    case now(Response)
    /// Called once on the loop thread with the request's `Responder`; must not block.
    case later(@Sendable (Responder) -> Void)
}

/// Finishes one request whose answer is produced elsewhere. `respond` may be called from any
/// thread, once; the closure it is given runs on the connection's own loop thread, so reads done
/// to build the response happen there. The connection reads nothing more from its peer until then.
///
/// A responder dropped without answering answers 500 itself, so no connection waits forever.
public final class Responder: Sendable {
    private let deliver: @Sendable (@escaping @Sendable () -> Response) -> Void
    private let answered = Atomic<Bool>(false)

    init(deliver: @escaping @Sendable (@escaping @Sendable () -> Response) -> Void) {
        self.deliver = deliver
    }

    /// Answers with what `make` returns; `make` runs on the connection's loop thread.
    public func respond(_ make: @escaping @Sendable () -> Response) {
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(make)
    }

    public func respond(_ response: Response) {
        respond { response }
    }

    deinit {
        if !answered.load(ordering: .acquiring) {
            deliver { .error(HTTPError(500, "internal server error")) }
        }
    }
}

/// Finishes one head decision made elsewhere (`HeadDecision.decideLater`). `decide` may be called
/// from any thread, once; the closure it is given runs on the connection's loop thread, which is
/// where a body sink must be made. A decider dropped without deciding answers 500 itself.
public final class Decider: Sendable {
    private let deliver: @Sendable (@escaping @Sendable () -> HeadDecision) -> Void
    private let decided = Atomic<Bool>(false)

    init(deliver: @escaping @Sendable (@escaping @Sendable () -> HeadDecision) -> Void) {
        self.deliver = deliver
    }

    /// Carries out what `make` returns; `make` runs on the connection's loop thread.
    public func decide(_ make: @escaping @Sendable () -> HeadDecision) {
        guard !decided.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(make)
    }

    deinit {
        if !decided.load(ordering: .acquiring) {
            deliver { .respond(.error(HTTPError(500, "internal server error"))) }
        }
    }
}
