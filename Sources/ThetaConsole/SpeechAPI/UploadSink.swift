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
    }

    /// Facts about the upload, beyond what the emulation needs.
    struct Collect: OptionSet, Sendable {
        let rawValue: Int
        /// Each part's name, file name and size.
        static let parts = Collect(rawValue: 1)
        /// The audio's SHA-256, as it streams.
        static let audioHash = Collect(rawValue: 2)
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
    private(set) var facts = Facts()
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

    init(_ admission: Admission, boundary: String, recorder: UsageRecorder, clock: any Clock, collect: Collect = []) {
        self.admission = admission
        self.recorder = recorder
        self.clock = clock
        self.collect = collect
        if collect.contains(.audioHash) { audioHash = SHA256.Streaming() }
        parser = MultipartParser(boundary: boundary)
    }

    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
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

    func finish() -> Reply { .now(answer()) }

    /// The answer to the whole upload, billed if it is a 200 (and the request is counted).
    func answer() -> Response {
        do {
            try parser.finish()
        } catch {
            return respond(refusal(HTTPError(400, error.detail)))
        }
        let form = EmulatorForm(options: texts["options"], transcribeOptions: texts["transcribe_options"],
                                nativeSpeechComponentsJSON: texts["native_speech_components_json"])
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
        // Billed per started second of audio (a hair of float noise is not a second).
        let seconds = max(1, Int((info.durationSeconds - 1e-6).rounded(.up)))
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

    func oversized(limit: Int) -> Response {
        respond(refusal(HTTPError(413, SpeechErrors.tooLarge(limit))))
    }

    /// Counts the refusal against the key, under its status, and adds the rate-limit headers.
    private func refusal(_ error: HTTPError) -> HTTPError {
        if admission.counted {
            recorder.record(keyID: admission.key.id, status: error.status, at: clock.now(), epoch: admission.epoch)
        }
        var error = error
        error.headers.addRateLimit(admission.rate)
        return error
    }

    private func respond(_ error: HTTPError) -> Response {
        .error(error)
    }
}
