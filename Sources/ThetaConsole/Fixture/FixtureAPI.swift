import FoundationEssentials
import HTTPServer
import KeyStore

/// `POST /v1/reset` (only under `serve --allow-reset`) and `GET /v1/requests` (only under
/// `serve --record-requests N`): state between tests, and what a client sent.
struct FixtureAPI: Sendable {
    let kit: RouteKit
    let store: KeyStore
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let faults: FaultBook
    let stubs: StubBook
    let requestLog: RequestLog?
    let allowReset: Bool
    /// The account a reset starts again from: `serve --plan`/`--credits`, else a new account's.
    let startPlan: Plan
    /// nil: the plan's monthly grant.
    let startBalanceMicro: Int64?

    /// The routes always exist (a wrong method gets 405 with `Allow`), but answer 404 unless the
    /// server was started with the flag that enables them.
    func register(in router: inout RouterBuilder) {
        kit.route(&router, .POST, "/v1/reset", bodyOptional: true) { request in
            guard allowReset else {
                throw HTTPError(404, "not found: POST /v1/reset needs the server started with --allow-reset")
            }
            return reset(request)
        }
        kit.route(&router, .GET, "/v1/requests") { request in
            let requestLog = try journal("GET /v1/requests")
            let query = request.info.query
            let filter = try Self.filter(query)
            var limit = requestLog.capacity
            if let raw = query["limit"], !raw.isEmpty {
                guard let value = Int(raw), value >= 1 else { throw HTTPError(422, "limit must be a positive integer") }
                limit = value
            }
            let (entries, state) = requestLog.newest(limit, matching: filter)
            var json = JSONWriter()
            json.beginObject()
            json.beginArray("data")
            for entry in entries { entry.writeJSON(to: &json) }
            json.endArray()
            json.field("mark", state.mark)
            json.field("overflowed", state.overflowed)
            json.endObject()
            return .now(.json(200, json.bytes))
        }
        kit.route(&router, .GET, "/v1/requests/count") { request in
            let requestLog = try journal("GET /v1/requests/count")
            let (count, state) = requestLog.count(matching: try Self.filter(request.info.query))
            var json = JSONWriter()
            json.beginObject()
            json.field("count", count)
            json.field("mark", state.mark)
            json.field("overflowed", state.overflowed)
            json.endObject()
            return .now(.json(200, json.bytes))
        }
    }

    private func journal(_ route: String) throws(HTTPError) -> RequestLog {
        guard let requestLog else {
            throw HTTPError(404, "not found: \(route) needs the server started with --record-requests N")
        }
        return requestLog
    }

    /// The journal's filters, from the query; a value that cannot match anything by its form is a 422.
    static func filter(_ query: QueryParameters) throws(HTTPError) -> RequestLog.Filter {
        func value(_ name: String) -> String? {
            guard let raw = query[name], !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, _ wording: String) throws(HTTPError) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let number = Int(raw), range.contains(number) else { throw HTTPError(422, "\(name) must be \(wording)") }
            return number
        }
        func time(_ name: String) throws(HTTPError) -> Date? {
            guard let raw = value(name) else { return nil }
            guard let date = RFC3339.date(from: raw) else {
                throw HTTPError(422, "\(name) must be an RFC 3339 time, like 2026-12-07T10:00:00Z")
            }
            return date
        }
        var filter = RequestLog.Filter()
        if let endpoint = value("endpoint") {
            guard EmulatedEndpoint(rawValue: endpoint) != nil else {
                throw HTTPError(422, "endpoint must be one of \(EmulatedEndpoint.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.endpoint = endpoint
        }
        filter.keyID = value("key_id")
        filter.status = try integer("status", 0...599, "an integer from 0 to 599")
        if let reason = value("reason") {
            guard let known = AnswerReason(rawValue: reason) else {
                throw HTTPError(422, "reason must be one of \(AnswerReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.reason = known
        }
        filter.since = try time("since")
        filter.until = try time("until")
        filter.after = try integer("after", 0...Int.max, "a non-negative integer (a mark)")
        return filter
    }

    /// Everything a test can leave behind goes: keys, the account's plan and balance, the ledger,
    /// the audit log, usage not yet written, rate-limit windows, faults, stubs and the request log. The
    /// database part is one transaction; the admin token and the clock stay.
    private func reset(_ request: Request) -> Reply {
        .later { [self] responder in
            faults.rules.removeAll()
            stubs.stubs.removeAll()
            limiter.removeAll()
            recorder.discardPending {
                store.resetForFixture(plan: startPlan, balanceMicro: startBalanceMicro, actor: "api",
                                      remoteAddress: request.remoteAddress) { result in
                    // Windows a request opened while the reset was on its way go too.
                    limiter.removeAll()
                    recorder.finishReset()
                    // The journal too, with every request gated before the reset.
                    requestLog?.removeAll(before: recorder.epoch)
                    responder.respond {
                        switch result {
                        case .success: Response(status: 204)
                        case .failure(let error): .error(kit.httpError(for: error))
                        }
                    }
                }
            }
        }
    }
}
