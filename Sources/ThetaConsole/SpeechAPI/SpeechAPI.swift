import Dispatch
import FoundationEssentials
import HTTPServer
import KeyStore
import Logging

/// The emulated Theta One API: `/transcribe`, `/analyze-native`, `/pronunciation` and
/// `/pronunciation-simple`. Each request passes the gates in the documented order, all decided
/// from the head before any of the upload is read:
///
/// 1. 401: the `x-api-key` is missing, malformed (refused without a database lookup), unknown,
///    inactive or expired. One read per request (`KeyStore.gate`), or its kept answer while no
///    transaction has committed since (`GateCache`, under the wal-index header).
/// 2. 402: the plan lacks the endpoint, or the balance is zero or below.
/// 3. 429: the key's rate limit, min(key RPM, plan cap), over an exact sliding minute.
/// 4. 400/413: not multipart, or a declared length over the upload limit. Then the body streams
///    through `UploadSink`, which answers 400 for a bad form, options or audio, or 200 and bills.
struct SpeechAPI: Sendable {
    let store: KeyStore
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let clock: any Clock
    let maxUploadBytes: Int
    /// Test-suite fault rules (`/v1/faults`), checked right after the key is accepted.
    let faults: FaultBook
    /// The emulated service's processing timeout (the `timeout` fault holds a request this long).
    let processingTimeout: Double
    /// `serve --record-requests N`: the last N requests, for tests to read back (`/v1/requests`).
    let requestLog: RequestLog?
    /// Test-suite response stubs (`/v1/stubs`).
    let stubs: StubBook
    /// Queues the billing cycles the clock has reached (after the usage before them) and calls its
    /// argument once they are written; used before a request is gated when one may be due (at most
    /// once a cycle in practice: the flush thread usually starts it first).
    let cycles: @Sendable (@escaping @Sendable () -> Void) -> Void
    let logger: Logger

    func register(in router: inout RouterBuilder) {
        for endpoint in EmulatedEndpoint.allCases {
            router.on(.POST, endpoint.rawValue) { info in gate(info, endpoint) }
        }
    }

    /// A new cycle's credits (and the old one's expiry) are written before any request of the new
    /// cycle is gated. The write is queued and the decision made once it has committed, so the
    /// loop thread never waits for it.
    private func gate(_ info: RequestInfo, _ endpoint: EmulatedEndpoint) -> HeadDecision {
        guard !store.cycleMayBeDue else {
            return .decideLater { [self] decider in
                cycles { decider.decide { gateNow(info, endpoint) } }
            }
        }
        return gateNow(info, endpoint)
    }

    /// The gate, and the request log for answers decided from the head (the upload's own answer
    /// is logged by its sink).
    private func gateNow(_ info: RequestInfo, _ endpoint: EmulatedEndpoint) -> HeadDecision {
        var keyID: String?
        let decision = evaluate(info, endpoint, &keyID)
        guard let requestLog else { return decision }
        let (status, detail): (Int, String?)
        switch decision {
        case .consume, .decideLater: return decision
        case .later: (status, detail) = (504, SpeechErrors.processingTimeout)  // only the timeout fault
        case .respond(let response):
            (status, detail) = response.delivery == .reset
                ? (0, "connection reset by a fault") : (response.status, RequestLog.detail(of: response))
        }
        requestLog.append(RequestLog.Entry(time: clock.now(), endpoint: endpoint.rawValue, keyID: keyID, status: status,
                                           parts: [], detail: detail))
        return decision
    }

    private func evaluate(_ info: RequestInfo, _ endpoint: EmulatedEndpoint, _ keyID: inout String?) -> HeadDecision {
        let started = DispatchTime.now()
        // The usage epoch is read before the key: a fixture reset that commits after this read
        // makes it an old one, so a request that saw the old keys (from the database, or from the
        // gate's cache of a moment before) never bills the new account.
        let epoch = recorder.epoch
        // 1. The key.
        let presented = info.head.headers.firstValue("x-api-key")
        guard presented.count <= 1, let secret = presented.value.map({ $0.trimmingWhitespace() }), !secret.isEmpty else {
            return .respond(.error(HTTPError(401, presented.count > 1 ? SpeechErrors.duplicateKey : SpeechErrors.missingKey)))
        }
        let state: (auth: AuthResult, account: Account?)
        do {
            state = try store.gate(secret: secret)
        } catch {
            logger.error("key lookup failed", metadata: ["error": "\(error)"])
            return .respond(.error(HTTPError(503, SpeechErrors.unavailable, headers: HTTPHeaders([("Retry-After", "1")]))))
        }
        let key: APIKeyRecord
        let account: Account
        switch state.auth {
        case .malformed, .unknown:
            return .respond(.error(HTTPError(401, SpeechErrors.invalidKey)))
        case .inactive(let record):
            keyID = record.id
            recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
            return .respond(.error(HTTPError(401, SpeechErrors.inactiveKey)))
        case .expired(let record):
            keyID = record.id
            recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
            return .respond(.error(HTTPError(401, SpeechErrors.expiredKey)))
        case .valid(let record):
            guard let stored = state.account else { return .respond(.error(HTTPError(401, SpeechErrors.invalidKey))) }
            keyID = record.id
            // A key with an allowlist works only from the addresses on it (decisions.md).
            guard record.allows(address: info.remoteAddress) else {
                recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
                return .respond(.error(HTTPError(401, SpeechErrors.addressNotAllowed(info.remoteAddress))))
            }
            key = record
            account = stored
        }
        let now = clock.now()
        let plan = account.plan
        let limit = plan.effectiveRPM(keyRPM: key.rateLimitRPM)

        // Injected faults, after the 401 gate: not billed, not counted against the rate limit or
        // in the key's counts, except a delay, which answers the normal request later.
        var delay: Int?
        var truncate = false
        if let fault = faults.fault(endpoint: endpoint.rawValue, keyID: key.id) {
            switch fault {
            case .status(let status, let detail, let retryAfter):
                return .respond(Self.faultResponse(status: status, detail: detail, retryAfter: retryAfter, limit: limit))
            case .reset:
                var response = Response(status: 500)
                response.delivery = .reset
                return .respond(response)
            case .timeout:
                let seconds = processingTimeout
                return .later { responder in
                    responder.respond(after: seconds) { .error(HTTPError(504, SpeechErrors.processingTimeout)) }
                }
            case .delay(let milliseconds): delay = milliseconds
            case .truncate: truncate = true
            }
        }

        // 2. The plan and the balance.
        if endpoint.needsPronunciationPlan && !plan.includesPronunciation {
            return refuse(key, HTTPError(402, SpeechErrors.planLacks(plan, endpoint)),
                          limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now), epoch: epoch)
        }
        let balance = account.balanceMicro - recorder.pendingMicro(appliedBatches: account.usageBatches)
        if balance <= 0 {
            return refuse(key, HTTPError(402, SpeechErrors.noCredits(balance)),
                          limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now), epoch: epoch)
        }

        // 3. The rate limit. Only requests that got this far count (a truncated answer does not).
        // A rolled key and its successor share one window (the chain's), so a roll never doubles a
        // client's requests per minute.
        let decision = truncate ? limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now)
            : limiter.admit(keyID: key.rateLimitKey, limit: limit, now: now)
        guard decision.allowed else {
            var error = HTTPError(429, SpeechErrors.rateLimited(limit))
            error.headers.add("Retry-After", String(decision.retryAfterSeconds ?? 1))
            return refuse(key, error, decision, epoch: epoch)
        }

        // 4. The request itself, as far as the head tells.
        let boundary: String
        do {
            boundary = try MultipartParser.boundary(fromContentType: info.head.headers["Content-Type"] ?? "")
        } catch {
            return refuse(key, HTTPError(400, error.detail), decision, epoch: epoch)
        }
        if case .length(let length) = info.head.framing, length > maxUploadBytes {
            return refuse(key, HTTPError(413, SpeechErrors.tooLarge(maxUploadBytes)), decision, epoch: epoch)
        }
        let sink = UploadSink(endpoint: endpoint, boundary: boundary, key: key, rate: decision, started: started,
                              recorder: recorder, epoch: epoch, clock: clock, delayMilliseconds: delay, truncate: truncate, log: requestLog,
                              stubs: stubs.stubs.isEmpty ? nil : stubs)
        return .consume(sink, limit: maxUploadBytes)
    }

    /// An injected status fault: the documented `{"detail"}` shape, `Retry-After` on 429 and 503.
    static func faultResponse(status: Int, detail: String?, retryAfter: Int?, limit: Int) -> Response {
        let fallback = switch status {
        case 429: SpeechErrors.rateLimited(limit)
        case 502: SpeechErrors.badGateway
        case 503: SpeechErrors.unavailable
        case 504: SpeechErrors.processingTimeout
        default: SpeechErrors.internalError
        }
        var error = HTTPError(status, detail ?? fallback)
        if let seconds = retryAfter ?? (status == 429 || status == 503 ? 1 : nil) {
            error.headers.add("Retry-After", String(seconds))
        }
        return .error(error)
    }

    /// A refusal for a known key: counted in its usage under its status, with the rate-limit headers.
    private func refuse(_ key: APIKeyRecord, _ error: HTTPError, _ rate: RateLimiter.Decision, epoch: UInt64) -> HeadDecision {
        recorder.record(keyID: key.id, status: error.status, at: clock.now(), epoch: epoch)
        var response = Response.error(error)
        response.headers.addRateLimit(rate)
        return .respond(response)
    }
}

extension HTTPHeaders {
    /// `X-RateLimit-*` on every authenticated response.
    mutating func addRateLimit(_ decision: RateLimiter.Decision) {
        add("X-RateLimit-Limit", String(decision.limit))
        add("X-RateLimit-Remaining", String(decision.remaining))
        add("X-RateLimit-Reset", String(decision.resetSeconds))
    }
}

extension EmulatedEndpoint {
    /// Free has speech-to-text only.
    var needsPronunciationPlan: Bool { self != .transcribe }

    /// Credits per second of audio, in micro-credits: 0.0004 for speech-to-text, 0.0006 for the
    /// pronunciation endpoints, `/analyze-native` included.
    var microCreditsPerSecond: Int64 { self == .transcribe ? 400 : 600 }
}
