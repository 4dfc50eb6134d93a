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
            guard let requestLog else {
                throw HTTPError(404, "not found: GET /v1/requests needs the server started with --record-requests N")
            }
            let query = request.info.query
            var limit = requestLog.capacity
            if let raw = query["limit"], !raw.isEmpty {
                guard let value = Int(raw), value >= 1 else { throw HTTPError(422, "limit must be a positive integer") }
                limit = value
            }
            var json = JSONWriter()
            json.beginObject()
            json.beginArray("data")
            for entry in requestLog.newest(limit) { entry.writeJSON(to: &json) }
            json.endArray()
            json.endObject()
            return .now(.json(200, json.bytes))
        }
    }

    /// Everything a test can leave behind goes: keys, the account's plan and balance, the ledger,
    /// the audit log, usage not yet written, rate-limit windows, faults, stubs and the request log. The
    /// database part is one transaction; the admin token and the clock stay.
    private func reset(_ request: Request) -> Reply {
        .later { [self] responder in
            faults.rules.removeAll()
            stubs.stubs.removeAll()
            requestLog?.removeAll()
            limiter.removeAll()
            recorder.discardPending {
                store.resetForFixture(plan: startPlan, balanceMicro: startBalanceMicro, actor: "api",
                                      remoteAddress: request.remoteAddress) { result in
                    // Windows a request opened while the reset was on its way go too.
                    limiter.removeAll()
                    recorder.finishReset()
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
