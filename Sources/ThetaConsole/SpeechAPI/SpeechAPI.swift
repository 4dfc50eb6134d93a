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
///    Then the layer around the API, if it has something to do (`SpeechLayer`: the fixture's
///    faults, stubs and request log), may answer instead, or wrap the upload's sink.
/// 2. 402: the plan lacks the endpoint, or the balance is zero or below.
/// 3. 429: the key's rate limit, min(key RPM, plan cap), over an exact sliding minute.
/// 4. 400/413: not multipart, or a declared length over the upload limit. Then the body streams
///    through `UploadSink`, which answers 400 for a bad form, options or audio, or 200 and bills.
///    With `serve --replay` or `--upstream`, the answer comes from a recording or the real service
///    instead (`AnswerSource`); the gates before it are the same.
struct SpeechAPI: Sendable {
    let store: KeyStore
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let clock: any Clock
    let maxUploadBytes: Int
    /// Where an accepted upload's answer comes from: the emulation, recordings or the real service.
    let source: AnswerSource
    /// What may happen to a request besides the emulation: the fixture (`FixtureLayer`).
    let layer: (any SpeechLayer)?
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

    /// The gate, with the layer around it when it has something to do.
    private func gateNow(_ info: RequestInfo, _ endpoint: EmulatedEndpoint) -> HeadDecision {
        let layer = self.layer.flatMap { $0.isActive ? $0 : nil }
        // The usage epoch is read before the key: a fixture reset that commits after this read
        // makes it an old one, so a request that saw the old keys (from the database, or from the
        // gate's cache of a moment before) never bills the new account, nor shows in its journal.
        let epoch = recorder.epoch
        var keyID: String?
        var reason = AnswerReason.ok
        let decision = evaluate(info, endpoint, layer, epoch, &keyID, &reason)
        layer?.answeredAtHead(decision, endpoint: endpoint, keyID: keyID, reason: reason, epoch: epoch)
        return decision
    }

    /// The gate's decision; for an answer given from the head, `reason` says why.
    private func evaluate(_ info: RequestInfo, _ endpoint: EmulatedEndpoint, _ layer: (any SpeechLayer)?,
                          _ epoch: UInt64, _ keyID: inout String?, _ reason: inout AnswerReason) -> HeadDecision {
        let started = DispatchTime.now()
        // 1. The key.
        let presented = info.head.headers.firstValue("x-api-key")
        guard presented.count <= 1, let secret = presented.value.map({ $0.trimmingWhitespace() }), !secret.isEmpty else {
            reason = presented.count > 1 ? .keyDuplicate : .keyMissing
            return .respond(.error(HTTPError(401, presented.count > 1 ? SpeechErrors.duplicateKey : SpeechErrors.missingKey)))
        }
        let state: (auth: AuthResult, account: Account?)
        do {
            state = try store.gate(secret: secret)
        } catch {
            logger.error("key lookup failed", metadata: ["error": "\(error)"])
            reason = .unavailable
            return .respond(.error(HTTPError(503, SpeechErrors.unavailable, headers: HTTPHeaders([("Retry-After", "1")]))))
        }
        let key: APIKeyRecord
        let account: Account
        switch state.auth {
        case .malformed, .unknown:
            reason = .keyUnknown
            return .respond(.error(HTTPError(401, SpeechErrors.invalidKey)))
        case .inactive(let record):
            keyID = record.id
            reason = .keyInactive
            recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
            return .respond(.error(HTTPError(401, SpeechErrors.inactiveKey)))
        case .expired(let record):
            keyID = record.id
            reason = .keyExpired
            recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
            return .respond(.error(HTTPError(401, SpeechErrors.expiredKey)))
        case .valid(let record):
            guard let stored = state.account else {
                reason = .keyUnknown
                return .respond(.error(HTTPError(401, SpeechErrors.invalidKey)))
            }
            keyID = record.id
            // A key with an allowlist works only from the addresses on it (decisions.md).
            guard record.allows(address: info.remoteAddress) else {
                reason = .addressNotAllowed
                recorder.record(keyID: record.id, status: 401, at: clock.now(), epoch: epoch)
                return .respond(.error(HTTPError(401, SpeechErrors.addressNotAllowed(info.remoteAddress))))
            }
            key = record
            account = stored
        }
        let now = clock.now()
        let plan = account.plan
        let limit = plan.effectiveRPM(keyRPM: key.rateLimitRPM)

        // The layer around the API (the fixture's faults, stubs and log), once the key is known.
        var counted = true
        var collect: UploadSink.Collect = []
        var wrap: (@Sendable (UploadSink) -> any BodySink)?
        if let layer {
            switch layer.afterKey(key, endpoint: endpoint, limit: limit, epoch: epoch) {
            case .answer(let decision, let why):
                reason = why
                return decision
            case .proceed(let isCounted, let collecting, let wrapping): (counted, collect, wrap) = (isCounted, collecting, wrapping)
            }
        }

        // 2. The plan and the balance.
        if endpoint.needsPronunciationPlan && !plan.includesPronunciation {
            reason = .planExcludesEndpoint
            return refuse(key, HTTPError(402, SpeechErrors.planLacks(plan, endpoint)),
                          limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now), epoch: epoch)
        }
        let balance = account.balanceMicro - recorder.pendingMicro(appliedBatches: account.usageBatches)
        if balance <= 0 {
            reason = .outOfCredits
            return refuse(key, HTTPError(402, SpeechErrors.noCredits(balance)),
                          limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now), epoch: epoch)
        }

        // 3. The rate limit. Only counted requests that got this far use it up. A rolled key and its
        // successor share one window (the chain's), so a roll never doubles a client's requests per
        // minute.
        let decision = !counted ? limiter.peek(keyID: key.rateLimitKey, limit: limit, now: now)
            : limiter.admit(keyID: key.rateLimitKey, limit: limit, now: now)
        guard decision.allowed else {
            var error = HTTPError(429, SpeechErrors.rateLimited(limit))
            error.headers.add("Retry-After", String(decision.retryAfterSeconds ?? 1))
            reason = .rateLimited
            return refuse(key, error, decision, epoch: epoch)
        }

        // 4. The request itself, as far as the head tells.
        let boundary: String
        let contentType = info.head.headers["Content-Type"] ?? ""
        do {
            boundary = try MultipartParser.boundary(fromContentType: contentType)
        } catch {
            reason = .invalidRequest
            return refuse(key, HTTPError(400, error.detail), decision, epoch: epoch)
        }
        if case .length(let length) = info.head.framing, length > maxUploadBytes {
            reason = .tooLarge
            return refuse(key, HTTPError(413, SpeechErrors.tooLarge(maxUploadBytes)), decision, epoch: epoch)
        }
        let admission = UploadSink.Admission(endpoint: endpoint, key: key, rate: decision, started: started,
                                             epoch: epoch, counted: counted, contentType: contentType)
        let sink = UploadSink(admission, boundary: boundary, recorder: recorder, clock: clock, collect: collect, source: source)
        return .consume(wrap?(sink) ?? sink, limit: maxUploadBytes)
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
