import FoundationEssentials
import HTTPServer
import KeyStore
import Logging

/// What every `/v1/` route is built with: the admin token check, JSON bodies, read-your-writes,
/// answers that follow a commit, the mapping of errors to statuses, and the logger. The handlers
/// (`KeysAPI`, `AuditAPI`, `AccountAPI`, …) hold what they do; this holds how a route answers.
///
/// Durable writes go to the store's writer thread and the answer follows their commit
/// (`Reply.later`), so the event loop never waits for an fsync. Reads answer only once the usage
/// of every request already answered is written (`readRoute`): read-your-writes.
struct RouteKit: Sendable {
    let auth: AdminAuth
    let recorder: UsageRecorder
    let logger: Logger

    /// The largest JSON body a route takes unless it says otherwise.
    static let maxBody = 64 * 1024

    /// Authenticates from the head, before any body is read; JSON bodies are checked for type there too.
    /// A body over `maxBody` bytes gets 413. `bodyOptional`: a POST that may come without a body
    /// (and then without a Content-Type).
    func route(_ router: inout RouterBuilder, _ method: HTTPMethod, _ path: String, maxBody: Int = RouteKit.maxBody,
               bodyOptional: Bool = false,
               _ handler: @escaping ReplyingHandler) {
        router.on(method, path) { [self] info in
            if let refusal = auth.check(info) { return refusal }
            let bodyless = info.head.framing == .none || info.head.framing == .length(0)
            if method == .POST || method == .PATCH, !(bodyOptional && bodyless),
               let refusal = JSONBody.requireJSONContentType(info.head) {
                return .respond(.error(refusal))
            }
            return Router.buffer(info, maxBody: maxBody) { request in
                do {
                    return try handler(request)
                } catch {
                    throw httpError(for: error)
                }
            }
        }
    }

    /// A route that only reads. If some answered request's usage (counts, last-used times,
    /// charges) is still in memory, it is written first, and the read runs on the loop once that
    /// has committed: so every admin answer reflects every request the server has already answered.
    func readRoute(_ router: inout RouterBuilder, _ method: HTTPMethod, _ path: String,
                   _ handler: @escaping RequestHandler) {
        route(&router, method, path) { [self] request in
            guard recorder.hasPending else { return .now(try handler(request)) }
            return .later { responder in
                recorder.flush { result in
                    if case .failure(let error) = result {
                        logger.error("writing usage before a read failed", metadata: ["error": "\(error)"])
                    }
                    responder.respond { self.answer { try handler(request) } }
                }
            }
        }
    }

    /// Builds a deferred answer on the loop: errors become their responses, as for a direct one.
    func answer(_ make: () throws -> Response) -> Response {
        do {
            return try make()
        } catch {
            return .error(httpError(for: error))
        }
    }

    /// Answers once `write` has committed: `render` turns its value into the response, on the loop.
    func afterWrite<T: Sendable>(
        _ write: @escaping @Sendable (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void,
        render: @escaping @Sendable (T) throws -> Response
    ) -> Reply {
        .later { responder in
            write { result in
                responder.respond { self.answer { try render(result.get()) } }
            }
        }
    }

    /// Answers once all `count` writes have committed (each is its own transaction): `render` gets
    /// their values in order, on the loop. The first failure, if any, is the answer instead.
    func afterWrites<T: Sendable>(
        count: Int,
        _ write: @escaping @Sendable (Int, @escaping @Sendable (Result<T, any Error>) -> Void) -> Void,
        render: @escaping @Sendable ([T]) throws -> Response
    ) -> Reply {
        guard count > 0 else { return .now(answer { try render([]) }) }
        return .later { responder in
            let group = WriteGroup<T>(count: count) { results in
                responder.respond { self.answer { try render(results.map { try $0.get() }) } }
            }
            for index in 0..<count {
                write(index) { result in group.finished(index, result) }
            }
        }
    }

    /// `limit` from 1 to 100, default 20.
    static func limit(_ query: QueryParameters) throws -> Int {
        guard let raw = query["limit"], !raw.isEmpty else { return 20 }
        guard let limit = Int(raw), (1...100).contains(limit) else {
            throw HTTPError(422, "limit must be an integer from 1 to 100")
        }
        return limit
    }

    /// The status and `detail` for what a handler threw. Storage failures: a full disk is 507 with
    /// nothing written; a locked database is 503; a key past the plan's count is 403 (the console
    /// refuses it; see decisions.md). Anything unforeseen is logged and answered 500.
    func httpError(for error: any Error) -> HTTPError {
        if let error = error as? HTTPError { return error }
        if let error = error as? KeyStoreError {
            switch error {
            case .keyLimitReached: return HTTPError(403, error.description)
            case .notRollable, .alreadyRolled, .duplicateSecret: return HTTPError(409, error.description)
            case .topUpNotAllowed: return HTTPError(402, error.description)
            default: break
            }
        }
        if let error = error as? KeySpecError { return HTTPError(422, error.message) }
        guard let error = error as? DatabaseError else {
            logger.error("handler failed", metadata: ["error": "\(error)"])
            return HTTPError(500, "internal server error")
        }
        if error.isFull {
            logger.error("database is full; write refused")
            return HTTPError(507, "storage is full: nothing was written; free space and retry")
        }
        if error.isBusy {
            return HTTPError(503, "the database is busy; retry", headers: HTTPHeaders([("Retry-After", "1")]))
        }
        logger.error("database error", metadata: ["error": "\(error)"])
        return HTTPError(500, "internal server error")
    }
}
