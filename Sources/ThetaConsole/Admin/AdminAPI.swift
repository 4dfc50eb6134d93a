import PosixThreads
import FoundationEssentials
import HTTPServer
import KeyStore
import Logging

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
    /// `serve --allow-key-import`: `POST /v1/keys` may carry the secret (`"key"`) to store.
    let allowKeyImport: Bool
    let logger: Logger

    static let maxBody = 64 * 1024
    static let keyFields: Set<String> = ["name", "expires_at", "rate_limit_rpm", "allowed_cidrs", "key"]
    /// The longest grace a roll may give the old key: one day.
    static let maxGraceSeconds = 86_400

    func register(in router: inout RouterBuilder) {
        route(&router, .POST, "/v1/keys", createKey)
        readRoute(&router, .GET, "/v1/keys", listKeys)
        readRoute(&router, .GET, "/v1/keys/{id}", getKey)
        route(&router, .DELETE, "/v1/keys/{id}", deactivateKey)
        route(&router, .POST, "/v1/keys/{id}/roll", bodyOptional: true, rollKey)
        readRoute(&router, .GET, "/v1/audit-events", listAuditEvents)
    }

    /// Authenticates from the head, before any body is read; JSON bodies are checked for type there too.
    /// A body over `maxBody` bytes gets 413. `bodyOptional`: a POST that may come without a body
    /// (and then without a Content-Type).
    func route(_ router: inout RouterBuilder, _ method: HTTPMethod, _ path: String, maxBody: Int = AdminAPI.maxBody,
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
        var cidrs: [String]?
        if let value = body["allowed_cidrs"], !value.isNull {
            guard case .array(let items) = value else { throw HTTPError(422, KeySpecError.allowedCIDRsCount.message) }
            cidrs = try items.enumerated().map { index, item in
                guard let text = item.stringValue else {
                    throw HTTPError(422, "allowed_cidrs[\(index)] must be a string such as 10.0.0.0/8")
                }
                return text
            }
        }
        let secret = try optionalString(body, "key")
        if secret != nil && !allowKeyImport {
            throw HTTPError(422, "key: importing a key's secret is not enabled (start the server with --allow-key-import)")
        }
        let spec: KeySpec
        do {
            spec = try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, allowedCIDRs: cidrs,
                                        now: clock.now(), maxRPM: maxKeyRPM)
        } catch {
            throw HTTPError(422, error.message)
        }
        if let secret {
            guard APIKeyFormat.isWellFormed(secret) else { throw HTTPError(422, KeySpecError.keyMalformed.message) }
            // The import's answer is the record alone: the caller has the secret already.
            return afterWrite(request, { done in
                store.importKey(spec, secret: secret, actor: "api", remoteAddress: request.remoteAddress, then: done)
            }) { [clock] record in
                var json = JSONWriter()
                record.writeJSON(to: &json, now: clock.now())
                return .json(201, json.bytes, headers: HTTPHeaders([("Location", "/v1/keys/\(record.id)")]))
            }
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
        var window: ExpiryWindow?
        if let raw = query["expiring_within"], !raw.isEmpty {
            guard let parsed = ExpiryWindow(parsing: raw) else {
                throw HTTPError(422, ExpiryWindow.rule(for: "expiring_within"))
            }
            // Only active keys can be about to expire: any other status would always list nothing.
            guard status == nil || status == .active else {
                throw HTTPError(422, "expiring_within lists active keys only: leave out status, or use status=active")
            }
            window = parsed
        }
        let limit = try Self.limit(query)
        // One instant for the filter and the records' status and expires_in_seconds.
        let now = clock.now()
        let page: Page<APIKeyRecord>
        do {
            page = try store.listKeys(
                status: status, expiringWithin: window, limit: limit,
                after: query["after"].flatMap { $0.isEmpty ? nil : $0 }, now: now)
        } catch KeyStoreError.unknownCursor {
            throw HTTPError(422, "after does not name a key")
        }
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

    /// `POST /v1/keys/{id}/roll {"grace_seconds": 0…86400}`: a new key that replaces this one; the
    /// old one works until the grace ends. Answered like a create: 201, the new record and its
    /// secret, once.
    private func rollKey(_ request: Request) throws -> Reply {
        guard let id = request.parameters["id"] else { throw HTTPError(404, "key not found") }
        let body = request.body.isEmpty ? JSONValue.object([]) : try JSONBody.object(request.body, allowed: ["grace_seconds"])
        let grace: Int
        if let value = body["grace_seconds"], !value.isNull {
            guard let seconds = value.intValue, (0...Self.maxGraceSeconds).contains(seconds) else {
                throw HTTPError(422, "grace_seconds must be an integer from 0 to \(Self.maxGraceSeconds)")
            }
            grace = seconds
        } else {
            grace = 0
        }
        return afterWrite(request, { done in
            store.rollKey(id: id, grace: grace, actor: "api", remoteAddress: request.remoteAddress, then: done)
        }) { [clock] rolled in
            guard let rolled else { throw HTTPError(404, "key not found") }
            var json = JSONWriter()
            rolled.new.writeJSON(to: &json, now: clock.now(), secret: rolled.secret)
            return .json(201, json.bytes, headers: HTTPHeaders([("Location", "/v1/keys/\(rolled.new.id)")]))
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

/// Collects the results of `count` writes and hands them over, in order, when the last one is in.
private final class WriteGroup<T: Sendable>: Sendable {
    private let state: Lock<(results: [Result<T, any Error>?], left: Int)>
    private let done: @Sendable ([Result<T, any Error>]) -> Void

    init(count: Int, done: @escaping @Sendable ([Result<T, any Error>]) -> Void) {
        state = Lock((Array(repeating: nil, count: count), count))
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
