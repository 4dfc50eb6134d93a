import FoundationEssentials
import HTTPServer
import KeyStore
import Logging
import Synchronization

/// The admin REST API under `/v1/`: keys and the audit log. Every route needs the admin token.
///
/// Durable writes go to the store's writer thread and the answer follows their commit
/// (`Reply.later`), so the event loop never waits for an fsync. Reads answer only once the usage
/// of every request already answered is written (`readRoute`): read-your-writes.
struct AdminAPI: Sendable {
    let store: KeyStore
    let recorder: UsageRecorder
    let clock: any Clock
    let auth: AdminAuth
    let maxKeyRPM: Int
    let logger: Logger

    static let maxBody = 64 * 1024
    static let keyFields: Set<String> = ["name", "expires_at", "rate_limit_rpm"]

    func register(in router: inout RouterBuilder) {
        route(&router, .POST, "/v1/keys", createKey)
        readRoute(&router, .GET, "/v1/keys", listKeys)
        readRoute(&router, .GET, "/v1/keys/{id}", getKey)
        route(&router, .DELETE, "/v1/keys/{id}", deactivateKey)
        readRoute(&router, .GET, "/v1/audit-events", listAuditEvents)
    }

    /// Authenticates from the head, before any body is read; JSON bodies are checked for type there too.
    /// A body over `maxBody` bytes gets 413.
    func route(_ router: inout RouterBuilder, _ method: HTTPMethod, _ path: String, maxBody: Int = AdminAPI.maxBody,
               _ handler: @escaping ReplyingHandler) {
        router.on(method, path) { [self] info in
            if let refusal = auth.check(info) { return refusal }
            if method == .POST || method == .PATCH, let refusal = JSONBody.requireJSONContentType(info.head) {
                return .respond(.error(refusal))
            }
            return Router.buffer(info, maxBody: maxBody) { request in
                do {
                    return try handler(request)
                } catch {
                    throw Self.httpError(for: error, logger: logger)
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
                    responder.respond { self.answer(request) { try handler(request) } }
                }
            }
        }
    }

    /// Builds a deferred answer on the loop: errors become their responses, as for a direct one.
    func answer(_ request: Request, _ make: () throws -> Response) -> Response {
        do {
            return try make()
        } catch {
            return .error(Self.httpError(for: error, logger: logger))
        }
    }

    /// Answers once `write` has committed: `render` turns its value into the response, on the loop.
    func afterWrite<T: Sendable>(
        _ request: Request, _ write: @escaping @Sendable (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void,
        render: @escaping @Sendable (T) throws -> Response
    ) -> Reply {
        .later { responder in
            write { result in
                responder.respond { self.answer(request) { try render(result.get()) } }
            }
        }
    }

    /// Answers once all `count` writes have committed (each is its own transaction): `render` gets
    /// their values in order, on the loop. The first failure, if any, is the answer instead.
    func afterWrites<T: Sendable>(
        _ request: Request, count: Int,
        _ write: @escaping @Sendable (Int, @escaping @Sendable (Result<T, any Error>) -> Void) -> Void,
        render: @escaping @Sendable ([T]) throws -> Response
    ) -> Reply {
        guard count > 0 else { return .now(answer(request) { try render([]) }) }
        return .later { responder in
            let group = WriteGroup<T>(count: count) { results in
                responder.respond { self.answer(request) { try render(results.map { try $0.get() }) } }
            }
            for index in 0..<count {
                write(index) { result in group.finished(index, result) }
            }
        }
    }

    // MARK: - Keys

    private func createKey(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: Self.keyFields)
        let name = try optionalString(body, "name")
        let expiresAt = try optionalString(body, "expires_at")
        var rpm: Int?
        if let value = body["rate_limit_rpm"], !value.isNull {
            guard let int = value.intValue else {
                throw HTTPError(422, KeySpecError.rateLimitRange(maxRPM: maxKeyRPM).message)
            }
            rpm = int
        }
        let spec: KeySpec
        do {
            spec = try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, now: clock.now(), maxRPM: maxKeyRPM)
        } catch {
            throw HTTPError(422, error.message)
        }
        return afterWrite(request, { done in
            store.createKey(spec, actor: "api", remoteAddress: request.remoteAddress, then: done)
        }) { [clock] created in
            var json = JSONWriter()
            created.record.writeJSON(to: &json, now: clock.now(), secret: created.secret)
            return .json(201, json.bytes, headers: HTTPHeaders([("Location", "/v1/keys/\(created.record.id)")]))
        }
    }

    private func listKeys(_ request: Request) throws -> Response {
        let query = request.info.query
        var status: KeyStatus?
        if let raw = query["status"], !raw.isEmpty {
            guard let parsed = KeyStatus(rawValue: raw) else {
                throw HTTPError(422, "status must be one of active, inactive, expired")
            }
            status = parsed
        }
        let limit = try Self.limit(query)
        let page: Page<APIKeyRecord>
        do {
            page = try store.listKeys(status: status, limit: limit, after: query["after"].flatMap { $0.isEmpty ? nil : $0 })
        } catch KeyStoreError.unknownCursor {
            throw HTTPError(422, "after does not name a key")
        }
        let now = clock.now()
        return .json(200, page.json { record, json in record.writeJSON(to: &json, now: now) })
    }

    private func getKey(_ request: Request) throws -> Response {
        guard let id = request.parameters["id"], let record = try store.key(id: id) else {
            throw HTTPError(404, "key not found")
        }
        var json = JSONWriter()
        record.writeJSON(to: &json, now: clock.now())
        return .json(200, json.bytes)
    }

    private func deactivateKey(_ request: Request) throws -> Reply {
        guard let id = request.parameters["id"] else { throw HTTPError(404, "key not found") }
        return afterWrite(request, { done in
            store.deactivateKey(id: id, actor: "api", remoteAddress: request.remoteAddress, then: done)
        }) { [clock] record in
            guard let record else { throw HTTPError(404, "key not found") }
            var json = JSONWriter()
            record.writeJSON(to: &json, now: clock.now())
            return .json(200, json.bytes)
        }
    }

    // MARK: - Audit

    private func listAuditEvents(_ request: Request) throws -> Response {
        let query = request.info.query
        let limit = try Self.limit(query)
        let page: Page<AuditEvent>
        do {
            page = try store.auditEvents(limit: limit, after: query["after"].flatMap { $0.isEmpty ? nil : $0 })
        } catch KeyStoreError.unknownCursor {
            throw HTTPError(422, "after does not name an audit event")
        }
        return .json(200, page.json { event, json in event.writeJSON(to: &json) })
    }

    // MARK: - Helpers

    private func optionalString(_ body: JSONValue, _ field: String) throws -> String? {
        guard let value = body[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw HTTPError(422, "\(field) must be a string") }
        return string
    }

    /// `limit` from 1 to 100, default 20.
    static func limit(_ query: QueryParameters) throws -> Int {
        guard let raw = query["limit"], !raw.isEmpty else { return 20 }
        guard let limit = Int(raw), (1...100).contains(limit) else {
            throw HTTPError(422, "limit must be an integer from 1 to 100")
        }
        return limit
    }

    /// Storage failures: a full disk is 507 with nothing written; a locked database is 503; a key
    /// past the plan's count is 403 (the console refuses it; see decisions.md).
    static func httpError(for error: any Error, logger: Logger) -> HTTPError {
        if let error = error as? HTTPError { return error }
        if let error = error as? KeyStoreError, case .keyLimitReached = error {
            return HTTPError(403, error.description)
        }
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

/// Collects the results of `count` writes and hands them over, in order, when the last one is in.
private final class WriteGroup<T: Sendable>: Sendable {
    private let state: Mutex<(results: [Result<T, any Error>?], left: Int)>
    private let done: @Sendable ([Result<T, any Error>]) -> Void

    init(count: Int, done: @escaping @Sendable ([Result<T, any Error>]) -> Void) {
        state = Mutex((Array(repeating: nil, count: count), count))
        self.done = done
    }

    func finished(_ index: Int, _ result: Result<T, any Error>) {
        let all: [Result<T, any Error>]? = state.withLock { state in
            state.results[index] = result
            state.left -= 1
            return state.left == 0 ? state.results.map { $0! } : nil
        }
        if let all { done(all) }
    }
}
