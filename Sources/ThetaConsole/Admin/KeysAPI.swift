import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/keys`: create (or import), list, show, deactivate and roll keys. Every route needs the
/// admin token (`RouteKit`).
struct KeysAPI: Sendable {
    let store: KeyStore
    let clock: any Clock
    let kit: RouteKit
    let maxKeyRPM: Int
    /// `serve --allow-key-import`: `POST /v1/keys` may carry the secret (`"key"`) to store.
    let allowKeyImport: Bool

    /// The longest grace a roll may give the old key: one day.
    static let maxGraceSeconds = 86_400

    func register(in router: inout RouterBuilder) {
        kit.route(&router, .POST, "/v1/keys", createKey)
        kit.readRoute(&router, .GET, "/v1/keys", listKeys)
        kit.readRoute(&router, .GET, "/v1/keys/{id}", getKey)
        kit.route(&router, .DELETE, "/v1/keys/{id}", deactivateKey)
        kit.route(&router, .POST, "/v1/keys/{id}/roll", bodyOptional: true, rollKey)
    }

    private func createKey(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: KeySpecJSON.fields)
        let fields = try KeySpecJSON(body, importAllowed: allowKeyImport, maxKeyRPM: maxKeyRPM, now: clock.now())
        if let secret = fields.secret {
            // The import's answer is the record alone: the caller has the secret already.
            return kit.afterWrite({ done in
                store.importKey(fields.spec, secret: secret, actor: "api", remoteAddress: request.remoteAddress, then: done)
            }) { [clock] record in
                var json = JSONWriter()
                record.writeJSON(to: &json, now: clock.now())
                return .json(201, json.bytes, headers: HTTPHeaders([("Location", "/v1/keys/\(record.id)")]))
            }
        }
        return kit.afterWrite({ done in
            store.createKey(fields.spec, actor: "api", remoteAddress: request.remoteAddress, then: done)
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
        let limit = try RouteKit.limit(query)
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
        return kit.afterWrite({ done in
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
        return kit.afterWrite({ done in
            store.rollKey(id: id, grace: grace, actor: "api", remoteAddress: request.remoteAddress, then: done)
        }) { [clock] rolled in
            guard let rolled else { throw HTTPError(404, "key not found") }
            var json = JSONWriter()
            rolled.new.writeJSON(to: &json, now: clock.now(), secret: rolled.secret)
            return .json(201, json.bytes, headers: HTTPHeaders([("Location", "/v1/keys/\(rolled.new.id)")]))
        }
    }
}
