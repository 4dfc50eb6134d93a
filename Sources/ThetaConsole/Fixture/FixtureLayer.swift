import HTTPServer
import KeyStore

/// The test-suite features around the emulated API, as one layer: fault rules (`/v1/faults`),
/// response stubs (`/v1/stubs`) and the request log (`serve --record-requests`). `SpeechAPI` calls
/// it at its three points (`SpeechLayer`): a fault answers instead of the gate, or marks the
/// request to be delayed or broken; the upload's sink is wrapped in a `FixtureSink` when a fault, a
/// stub or the log has to see or change the answer; and answers given from the head are logged.
struct FixtureLayer: SpeechLayer {
    let faults: FaultBook
    let stubs: StubBook
    let requestLog: RequestLog?
    /// The emulated service's processing timeout (the `timeout` fault holds a request this long).
    let processingTimeout: Double
    let clock: any Clock

    var isActive: Bool { requestLog != nil || !faults.rules.isEmpty || !stubs.stubs.isEmpty }

    /// Fault rules are checked after the 401 gate, so a bad key still gets 401. A faulted request
    /// is not billed, not counted against the rate limit or in the key's counts, except a delay,
    /// which answers the normal request later.
    func afterKey(_ key: APIKeyRecord, endpoint: EmulatedEndpoint, limit: Int, epoch: UInt64) -> SpeechLayerVerdict {
        var delay: Int?
        var truncate = false
        if let fault = faults.fault(endpoint: endpoint.rawValue, keyID: key.id) {
            switch fault {
            case .status(let status, let detail, let retryAfter):
                return .answer(.respond(Self.faultResponse(status: status, detail: detail, retryAfter: retryAfter, limit: limit)),
                               .fault)
            case .reset:
                var response = Response(status: 500)
                response.delivery = .reset
                return .answer(.respond(response), .fault)
            case .timeout:
                let seconds = processingTimeout
                return .answer(.later { responder in
                    responder.respond(after: seconds) { .error(HTTPError(504, SpeechErrors.processingTimeout)) }
                }, .fault)
            case .delay(let milliseconds): delay = milliseconds
            case .truncate: truncate = true
            }
        }
        // The stubs as they are at the gate decide what the upload must collect.
        let stubs = self.stubs.stubs.isEmpty ? nil : self.stubs
        var collect: UploadSink.Collect = []
        if requestLog != nil { collect.insert(.parts) }
        if let stubs, stubs.needsAudioHash(endpoint) { collect.insert(.audioHash) }
        guard delay != nil || truncate || stubs != nil || requestLog != nil else {
            return .proceed(counted: true, collect: []) { $0 }
        }
        let (log, clock, delayed, truncated) = (requestLog, self.clock, delay, truncate)
        return .proceed(counted: !truncate, collect: collect) { sink in
            FixtureSink(sink, endpoint: endpoint, keyID: key.id, delayMilliseconds: delayed, truncate: truncated,
                        stubs: stubs, log: log, clock: clock, epoch: epoch)
        }
    }

    /// Logs an answer given from the head (an upload's own answer is logged by its `FixtureSink`).
    func answeredAtHead(_ decision: HeadDecision, endpoint: EmulatedEndpoint, keyID: String?, reason: AnswerReason,
                        epoch: UInt64) {
        guard let requestLog else { return }
        let (status, detail): (Int, String?)
        switch decision {
        case .consume, .decideLater: return
        case .later: (status, detail) = (504, SpeechErrors.processingTimeout)  // only the timeout fault
        case .respond(let response):
            (status, detail) = response.delivery == .reset
                ? (0, "connection reset by a fault") : (response.status, RequestLog.detail(of: response))
        }
        requestLog.append(RequestLog.Entry(time: clock.now(), endpoint: endpoint.rawValue, keyID: keyID, status: status,
                                           reason: reason, parts: [], detail: detail, epoch: epoch))
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
}

/// An upload's sink as the fixture layer wraps it: the emulation's answer, then a stub's body in
/// place of a 200's, a truncation, the request log, and a delay on the loop's own timer.
final class FixtureSink: BodySink {
    private let inner: UploadSink
    private let endpoint: EmulatedEndpoint
    private let keyID: String
    private let delayMilliseconds: Int?
    private let truncate: Bool
    private let stubs: StubBook?
    private let log: RequestLog?
    private let clock: any Clock
    private let epoch: UInt64
    private var stubbed = false

    init(_ inner: UploadSink, endpoint: EmulatedEndpoint, keyID: String, delayMilliseconds: Int?, truncate: Bool,
         stubs: StubBook?, log: RequestLog?, clock: any Clock, epoch: UInt64) {
        self.inner = inner
        self.endpoint = endpoint
        self.keyID = keyID
        self.delayMilliseconds = delayMilliseconds
        self.truncate = truncate
        self.stubs = stubs
        self.log = log
        self.clock = clock
        self.epoch = epoch
    }

    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
        do {
            try inner.consume(bytes)
        } catch {
            logAnswer(.error(error))
            throw error
        }
    }

    func finish() -> Reply {
        // The answer may come later (from an upstream): what follows waits for it, on the loop.
        let sink = LoopBound(self)
        let delay = Double(max(0, delayMilliseconds ?? 0)) / 1000
        return inner.finish().map(delay: delay) { sink.value.settle($0) }
    }

    /// The upload's own answer as the fixture changes it: a stub's body in place of a 200's, a
    /// truncation, and the request log.
    private func settle(_ answer: Response) -> Response {
        var response = answer
        // A stub replaces the body of a 200, and nothing else about it.
        let facts = inner.facts
        if response.status == 200, let stubs, let stubbed = stubs.body(for: endpoint, StubBook.Request(
            filename: facts.filename, goldText: facts.goldText, audioSHA256: facts.audioSHA256)) {
            response.body = stubbed
            self.stubbed = true
        }
        if truncate { response.delivery = .halfThenClose }
        logAnswer(response)
        return response
    }

    func oversized(limit: Int) -> Response {
        let response = inner.oversized(limit: limit)
        logAnswer(response)
        return response
    }

    /// Logs this request's answer (`--record-requests`), with the parts seen so far.
    private func logAnswer(_ response: Response) {
        guard let log else { return }
        let detail = switch response.delivery {
        case .complete: RequestLog.detail(of: response)
        case .halfThenClose: "answer truncated by a fault"
        case .reset: "connection reset by a fault"
        }
        let reason: AnswerReason = truncate ? .fault : stubbed ? .stub
            : inner.reason ?? AnswerReason(uploadStatus: response.status)
        log.append(RequestLog.Entry(time: clock.now(), endpoint: endpoint.rawValue, keyID: keyID, status: response.status,
                                    reason: reason, parts: inner.facts.parts, detail: detail, epoch: epoch))
    }
}

/// A fixture sink, carried into a reply that finishes later and back to its loop, where alone it
/// is used.
private struct LoopBound: @unchecked Sendable {
    let value: FixtureSink
    init(_ value: FixtureSink) { self.value = value }
}
