import AudioProbe
import Dispatch
import FoundationEssentials
import HTTPServer
import KeyStore

/// Reads one emulated-API upload as it streams in: the multipart form is parsed on the fly, the
/// audio part's bytes go through an AudioProbe and are dropped, and only the small text parts are
/// kept (at most 64 KiB each). Then it validates, answers, and bills a 200.
///
/// What a layer around the API needs to know of the upload (its parts, the file's name, the gold
/// text, the audio's SHA-256) it collects only when asked (`Collect`), into `facts`.
///
/// Its answer comes from the emulation, or from the `AnswerSource` the server was started with:
/// recordings (`--replay`) or the real service (`--upstream`), which answers later, from another
/// thread.
final class UploadSink: BodySink {
    static let maxTextPart = 64 * 1024
    static let textParts: Set<String> = ["options", "transcribe_options", "native_speech_components_json"]

    /// What the gate decided about this request, before any of its body was read.
    struct Admission {
        let endpoint: EmulatedEndpoint
        let key: APIKeyRecord
        let rate: RateLimiter.Decision
        let started: DispatchTime
        /// The usage epoch read at the gate, before the key: a fixture reset since then drops
        /// this request's usage.
        let epoch: UInt64
        /// False for a request a layer breaks on purpose: never billed or counted.
        let counted: Bool
        /// The request's `Content-Type`, boundary and all (sent on as is to an upstream).
        let contentType: String
    }

    /// Facts about the upload, beyond what the emulation needs.
    struct Collect: OptionSet, Sendable {
        let rawValue: Int
        /// Each part's name, file name and size.
        static let parts = Collect(rawValue: 1)
        /// The audio's SHA-256, as it streams.
        static let audioHash = Collect(rawValue: 2)
        /// The body's bytes, as they came (to send on to an upstream).
        static let rawBody = Collect(rawValue: 4)
    }

    struct Facts {
        var parts: [RequestLog.Part] = []
        var filename: String?
        var goldText: String?
        var audioSHA256: String?
    }

    private let admission: Admission
    private let recorder: UsageRecorder
    private let clock: any Clock
    private let collect: Collect
    private let source: AnswerSource
    private(set) var facts = Facts()
    /// Why the upload was answered as it was, once it has been (an answer from the head has its
    /// reason set by the gate).
    private(set) var reason: AnswerReason?
    private var raw: [UInt8] = []
    private var audioHash: SHA256.Streaming?

    private var parser: MultipartParser
    private enum Part {
        case file
        case text(String)
        case ignored
    }
    private var part: Part?
    private var probe: AudioProbe?
    private var audio: Result<AudioInfo, AudioError>?
    private var texts: [String: [UInt8]] = [:]
    private var textBuffer: [UInt8] = []

    init(_ admission: Admission, boundary: String, recorder: UsageRecorder, clock: any Clock, collect: Collect = [],
         source: AnswerSource = .emulator) {
        self.admission = admission
        self.recorder = recorder
        self.clock = clock
        self.collect = collect.union(source.collect)
        self.source = source
        if self.collect.contains(.audioHash) { audioHash = SHA256.Streaming() }
        parser = MultipartParser(boundary: boundary)
    }

    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
        if collect.contains(.rawBody) { raw.append(contentsOf: bytes) }
        do {
            try parser.feed(bytes) { event in try handle(event) }
        } catch {
            switch error {
            case let error as MultipartError: throw refusal(HTTPError(400, error.detail))
            case let error as HTTPError: throw refusal(error)
            default: throw refusal(HTTPError(400, "malformed multipart body"))
            }
        }
    }

    private func handle(_ event: MultipartEvent) throws {
        switch event {
        case .begin(let head):
            if collect.contains(.parts) { facts.parts.append(RequestLog.Part(name: head.name, filename: head.filename, size: 0)) }
            if head.name == "file" {
                guard probe == nil && audio == nil else { throw HTTPError(400, "Send exactly one file part.") }
                part = .file
                probe = AudioProbe()
                facts.filename = head.filename
            } else if Self.textParts.contains(head.name) {
                guard texts[head.name] == nil else { throw HTTPError(400, "Send the \(head.name) part once.") }
                part = .text(head.name)
                textBuffer = []
            } else {
                // Unknown form fields are ignored, as the real service's form parsing does.
                part = .ignored
            }
        case .data(let bytes):
            if collect.contains(.parts), !facts.parts.isEmpty { facts.parts[facts.parts.count - 1].size += bytes.count }
            switch part {
            case .file:
                probe?.consume(bytes)
                audioHash?.update(bytes)
            case .text(let name):
                guard textBuffer.count + bytes.count <= Self.maxTextPart else {
                    throw HTTPError(400, "The \(name) part is larger than 64 KiB.")
                }
                textBuffer.append(contentsOf: bytes)
            case .ignored, nil:
                break
            }
        case .end:
            switch part {
            case .file:
                audio = probe?.finish()
                probe = nil
                facts.audioSHA256 = audioHash?.finishHex()
                audioHash = nil
            case .text(let name):
                texts[name] = textBuffer
                textBuffer = []
            case .ignored, nil:
                break
            }
            part = nil
        }
    }

    func finish() -> Reply {
        switch (source.replay, source.upstream) {
        case (nil, nil): return .now(answer())
        case (let book?, nil): return .now(replay(book))
        case (let book, let upstream?): return forward(upstream, unless: book)
        }
    }

    /// The answer to the whole upload, billed if it is a 200 (and the request is counted).
    func answer() -> Response {
        do {
            try parser.finish()
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        return emulate()
    }

    /// The emulation's answer to a well-formed upload.
    private func emulate() -> Response {
        let request: EmulatorRequest
        do {
            request = try SpeechEmulator.validate(admission.endpoint, form)
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        let info: AudioInfo
        switch audio {
        case nil:
            return respond(refusal(HTTPError(400, SpeechErrors.fileRequired)))
        case .failure(let error):
            return respond(refusal(HTTPError(400, SpeechErrors.invalidAudio(error.detail))))
        case .success(let probed):
            info = probed
        }
        facts.goldText = request.goldText
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - admission.started.uptimeNanoseconds) / 1e9
        let body: [UInt8]
        do {
            body = try SpeechEmulator.respond(request, audioSeconds: info.durationSeconds, responseTimeSeconds: elapsed)
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        reason = .ok
        return billed(body, audioSeconds: info.durationSeconds)
    }

    /// A 200 with `body`, billed per started second of `audioSeconds` (at least one; a hair of
    /// float noise is not a second), with the rate-limit headers.
    private func billed(_ body: [UInt8], audioSeconds: Double) -> Response {
        let seconds = max(1, Int((audioSeconds - 1e-6).rounded(.up)))
        let now = clock.now()
        let (endpoint, key, epoch) = (admission.endpoint, admission.key, admission.epoch)
        if admission.counted {
            recorder.charge(UsageBatch.Charge(keyID: key.id, endpoint: endpoint.rawValue, audioSeconds: seconds,
                                              costMicro: Int64(seconds) * endpoint.microCreditsPerSecond, at: now),
                            epoch: epoch)
            recorder.record(keyID: key.id, status: 200, at: now, epoch: epoch)
        }
        var response = Response.json(200, body)
        response.headers.addRateLimit(admission.rate)
        return response
    }

    /// The seconds to bill for an answer that did not come from the emulation: the audio's, as the
    /// probe measured it, or one when it could not.
    private var probedSeconds: Double {
        if case .success(let info)? = audio { return info.durationSeconds }
        return 1
    }

    /// What the request offers a recording: hashes of its audio and text parts. The gold text is
    /// noted too, where the options give one, for stubs that match on it.
    private func recordingRequest() -> Recording.Request {
        if facts.goldText == nil {
            facts.goldText = (try? SpeechEmulator.validate(admission.endpoint, form))?.goldText
        }
        return Recording.Request(filename: facts.filename, audioSHA256: facts.audioSHA256,
                                 optionsSHA256: Recording.optionsSHA256(texts), texts: texts)
    }

    private var form: EmulatorForm {
        EmulatorForm(options: texts["options"], transcribeOptions: texts["transcribe_options"],
                     nativeSpeechComponentsJSON: texts["native_speech_components_json"])
    }

    /// The body of the recording `request` matches, billed as a 200; nil when none does.
    private func answer(from book: ReplayBook, _ request: Recording.Request) -> Response? {
        guard request.audioSHA256 != nil, let recording = book.match(admission.endpoint, request) else { return nil }
        reason = .replayed
        return billed(recording.body, audioSeconds: probedSeconds)
    }

    /// `--replay`: the matching recording's body, billed as a 200; else the emulation, or with
    /// `--replay-strict` a 404 naming what is missing.
    private func replay(_ book: ReplayBook) -> Response {
        do {
            try parser.finish()
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        let request = recordingRequest()
        if let replayed = answer(from: book, request) { return replayed }
        guard book.strict else { return emulate() }
        reason = .noRecording
        return respond(refusal(HTTPError(404, SpeechErrors.noRecording(admission.endpoint, audioSHA256: request.audioSHA256,
                                                                        optionsSHA256: request.optionsSHA256))))
    }

    /// `--upstream`: the request's bytes go to the real service from another thread; its answer
    /// comes back to this loop, where it is billed (a 200) or counted (anything else). With
    /// `--replay` too, a request a recording matches is answered from it and not sent.
    private func forward(_ upstream: Upstream, unless book: ReplayBook?) -> Reply {
        do {
            try parser.finish()
        } catch {
            // A form that is not even well-framed multipart is refused here, not sent on.
            return .now(respond(refusal(HTTPError(400, error.detail))))
        }
        let request = recordingRequest()
        if let book, let replayed = answer(from: book, request) {
            raw = []
            return .now(replayed)
        }
        let job = Upstream.Job(endpoint: admission.endpoint, contentType: admission.contentType, body: raw,
                               request: request)
        raw = []
        let sink = LoopBound(self)
        return .later { responder in
            upstream.forward(job) { outcome in
                responder.respond { sink.value.settle(outcome) }
            }
        }
    }

    /// The upstream's outcome as this request's answer; runs on the connection's loop thread.
    private func settle(_ outcome: Upstream.Outcome) -> Response {
        switch outcome {
        case .answered(200, let body, _):
            reason = .upstream
            return billed(body, audioSeconds: probedSeconds)
        case .answered(let status, let body, let retryAfter):
            reason = .upstream
            var response = Response.json(status, body)
            count(status)
            response.headers.addRateLimit(admission.rate)
            // The upstream's Retry-After is passed on; a 429 or 503 without one gets 1, as here.
            if let retryAfter, !retryAfter.isEmpty, retryAfter.utf8.count <= 32, retryAfter.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
                response.headers.add("Retry-After", retryAfter)
            } else if status == 429 || status == 503 {
                response.headers.add("Retry-After", "1")
            }
            return response
        case .failed(let status, let detail):
            reason = .upstreamFailed
            var error = HTTPError(status, detail)
            if status == 503 { error.headers.add("Retry-After", "1") }
            return respond(refusal(error))
        }
    }

    func oversized(limit: Int) -> Response {
        respond(refusal(HTTPError(413, SpeechErrors.tooLarge(limit))))
    }

    /// Counts the refusal against the key, under its status, and adds the rate-limit headers. Only
    /// the statuses a key's usage counts are counted: an upstream's 5xx, a failed exchange or a
    /// replay's missing recording is not the key's doing (as a fault's answer is not).
    private func refusal(_ error: HTTPError) -> HTTPError {
        count(error.status)
        var error = error
        error.headers.addRateLimit(admission.rate)
        return error
    }

    private func count(_ status: Int) {
        if admission.counted && UsageCounts.statuses.contains(status) {
            recorder.record(keyID: admission.key.id, status: status, at: clock.now(), epoch: admission.epoch)
        }
    }

    private func respond(_ error: HTTPError) -> Response {
        if reason == nil { reason = AnswerReason(uploadStatus: error.status) }
        return .error(error)
    }
}

/// An upload's sink, carried through the upstream's thread and back to its loop, where alone it
/// is used.
private struct LoopBound: @unchecked Sendable {
    let value: UploadSink
    init(_ value: UploadSink) { self.value = value }
}
