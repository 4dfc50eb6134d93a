import AudioProbe
import Dispatch
import FoundationEssentials
import HTTPServer
import KeyStore

/// Reads one emulated-API upload as it streams in: the multipart form is parsed on the fly, the
/// audio part's bytes go through an AudioProbe and are dropped, and only the small text parts are
/// kept (at most 64 KiB each). Then it validates, answers, and bills a 200.
final class UploadSink: BodySink {
    static let maxTextPart = 64 * 1024
    static let textParts: Set<String> = ["options", "transcribe_options", "native_speech_components_json"]

    private let endpoint: EmulatedEndpoint
    private let key: APIKeyRecord
    private let rate: RateLimiter.Decision
    private let started: DispatchTime
    private let recorder: UsageRecorder
    private let clock: any Clock
    /// Injected faults: answer this much later, or send half the answer and close (not billed).
    private let delayMilliseconds: Int?
    private let truncate: Bool
    /// The usage epoch read at the gate, before the key: a fixture reset since then drops this
    /// request's usage.
    private let epoch: UInt64
    /// `serve --record-requests`: where this request is logged once answered, with its parts.
    private let log: RequestLog?
    private var loggedParts: [RequestLog.Part] = []
    /// Response stubs (`/v1/stubs`), when there were any at the gate; what they match on.
    private let stubs: StubBook?
    private var fileName: String?
    private var audioHash: SHA256.Streaming?
    private var audioSHA256: String?

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

    init(endpoint: EmulatedEndpoint, boundary: String, key: APIKeyRecord, rate: RateLimiter.Decision, started: DispatchTime,
         recorder: UsageRecorder, epoch: UInt64, clock: any Clock, delayMilliseconds: Int? = nil, truncate: Bool = false,
         log: RequestLog? = nil, stubs: StubBook? = nil) {
        self.log = log
        self.stubs = stubs
        if let stubs, stubs.needsAudioHash(endpoint) { audioHash = SHA256.Streaming() }
        self.delayMilliseconds = delayMilliseconds
        self.truncate = truncate
        self.epoch = epoch
        self.endpoint = endpoint
        self.key = key
        self.rate = rate
        self.started = started
        self.recorder = recorder
        self.clock = clock
        parser = MultipartParser(boundary: boundary)
    }

    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
        do {
            try parser.feed(bytes) { event in try handle(event) }
        } catch {
            let refused: HTTPError
            switch error {
            case let error as MultipartError: refused = refusal(HTTPError(400, error.detail))
            case let error as HTTPError: refused = refusal(error)
            default: refused = refusal(HTTPError(400, "malformed multipart body"))
            }
            logAnswer(.error(refused))
            throw refused
        }
    }

    /// Logs this request's answer (`--record-requests`), with the parts seen so far.
    private func logAnswer(_ response: Response) {
        guard let log else { return }
        let detail = switch response.delivery {
        case .complete: RequestLog.detail(of: response)
        case .halfThenClose: "answer truncated by a fault"
        case .reset: "connection reset by a fault"
        }
        log.append(RequestLog.Entry(time: clock.now(), endpoint: endpoint.rawValue, keyID: key.id,
                                    status: response.status, parts: loggedParts, detail: detail))
    }

    private func handle(_ event: MultipartEvent) throws {
        switch event {
        case .begin(let head):
            if log != nil { loggedParts.append(RequestLog.Part(name: head.name, filename: head.filename, size: 0)) }
            if head.name == "file" {
                guard probe == nil && audio == nil else { throw HTTPError(400, "Send exactly one file part.") }
                part = .file
                probe = AudioProbe()
                fileName = head.filename
            } else if Self.textParts.contains(head.name) {
                guard texts[head.name] == nil else { throw HTTPError(400, "Send the \(head.name) part once.") }
                part = .text(head.name)
                textBuffer = []
            } else {
                // Unknown form fields are ignored, as the real service's form parsing does.
                part = .ignored
            }
        case .data(let bytes):
            if log != nil, !loggedParts.isEmpty { loggedParts[loggedParts.count - 1].size += bytes.count }
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
                audioSHA256 = audioHash?.finishHex()
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
        var response = finishUpload()
        if truncate { response.delivery = .halfThenClose }
        logAnswer(response)
        guard let delayMilliseconds, delayMilliseconds > 0 else { return .now(response) }
        // The answer waits on the loop's own timer: other connections go on meanwhile.
        let ready = response
        return .later { responder in
            responder.respond(after: Double(delayMilliseconds) / 1000) { ready }
        }
    }

    private func finishUpload() -> Response {
        do {
            try parser.finish()
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        let form = EmulatorForm(options: texts["options"], transcribeOptions: texts["transcribe_options"],
                                nativeSpeechComponentsJSON: texts["native_speech_components_json"])
        let request: EmulatorRequest
        do {
            request = try SpeechEmulator.validate(endpoint, form)
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
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        var body: [UInt8]
        do {
            body = try SpeechEmulator.respond(request, audioSeconds: info.durationSeconds, responseTimeSeconds: elapsed)
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        // A stub replaces the body of a 200, and nothing else about it.
        if let stubs, let stubbed = stubs.body(for: endpoint, StubBook.Request(
            filename: fileName, goldText: request.goldText, audioSHA256: audioSHA256)) {
            body = stubbed
        }
        // Billed per started second of audio (a hair of float noise is not a second). A truncated
        // answer is an injected fault: never billed or counted.
        let seconds = max(1, Int((info.durationSeconds - 1e-6).rounded(.up)))
        let now = clock.now()
        if !truncate {
            recorder.charge(UsageBatch.Charge(keyID: key.id, endpoint: endpoint.rawValue, audioSeconds: seconds,
                                              costMicro: Int64(seconds) * endpoint.microCreditsPerSecond, at: now),
                              epoch: epoch)
            recorder.record(keyID: key.id, status: 200, at: now, epoch: epoch)
        }
        var response = Response.json(200, body)
        response.headers.addRateLimit(rate)
        return response
    }

    func oversized(limit: Int) -> Response {
        let response = respond(refusal(HTTPError(413, SpeechErrors.tooLarge(limit))))
        logAnswer(response)
        return response
    }

    /// Counts the refusal against the key, under its status, and adds the rate-limit headers.
    private func refusal(_ error: HTTPError) -> HTTPError {
        if !truncate { recorder.record(keyID: key.id, status: error.status, at: clock.now(), epoch: epoch) }
        var error = error
        error.headers.addRateLimit(rate)
        return error
    }

    private func respond(_ error: HTTPError) -> Response {
        .error(error)
    }
}
