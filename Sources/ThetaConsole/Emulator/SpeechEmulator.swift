/// The content of the emulated Theta One speech API: validates the form's text parts and builds
/// the 200 JSON bodies. Pure functions, no I/O; the HTTP layer authenticates, bills, measures the
/// audio and renders an `EmulatorError` as a 400 `{"detail": …}`.
public enum SpeechEmulator {
    /// `/transcribe` always hears this, the sentence of the documentation's example.
    public static let transcript = "Welcome to Theta One AI!"
    /// Audio shorter than this per word of `gold_text` gives `Not all words are spoken.`
    public static let minimumMillisecondsPerWord = 200
    /// The longest `gold_text`, in characters.
    public static let maxGoldTextCharacters = 1_000
    /// Durations are clamped to this (a day) before any arithmetic, so none can overflow.
    static let maxAudioSeconds = 86_400.0

    /// Checks the text parts for this endpoint, BEFORE the audio is known, so it can be called as
    /// soon as the parts have arrived.
    ///
    /// Order of checks: `transcribe_options` or `options` (JSON syntax, then object shape and each
    /// member in order, then `gold_text` presence, then its content), then
    /// `native_speech_components_json` on `/pronunciation`. The first failure is thrown.
    public static func validate(_ endpoint: EmulatedEndpoint, _ form: EmulatorForm) throws(EmulatorError) -> EmulatorRequest {
        switch endpoint {
        case .transcribe:
            return EmulatorRequest(endpoint: endpoint, suppressKorean: try transcribeOptions(form.transcribeOptions))
        case .analyzeNative, .pronunciationSimple, .pronunciation:
            let options = try goldTextOptions(form.options, acceptsLanguage: endpoint == .pronunciationSimple)
            var native: NativeReference?
            if endpoint == .pronunciation { native = try NativeReference.parse(form.nativeSpeechComponentsJSON) }
            return EmulatorRequest(
                endpoint: endpoint, goldText: options.goldText, language: options.language,
                script: options.script, nativeReference: native
            )
        }
    }

    /// The 200 JSON body. Deterministic: the same request and duration give the same bytes except
    /// `response_time_in_sec`. Throws `Not all words are spoken.` when the audio is shorter than
    /// `minimumMillisecondsPerWord` per word of `gold_text`, the duration rounded to the millisecond.
    public static func respond(_ request: EmulatorRequest, audioSeconds: Double, responseTimeSeconds: Double) throws(EmulatorError) -> [UInt8] {
        let audio = audioSeconds.isFinite ? min(max(audioSeconds, 0), maxAudioSeconds) : 0
        let responseTime = responseTimeSeconds.isFinite ? max(responseTimeSeconds, 0) : 0
        guard request.endpoint != .transcribe else {
            return transcription(responseTime: responseTime)
        }
        guard let script = request.script else { throw .goldTextRequired }
        guard Int((audio * 1000).rounded()) >= minimumMillisecondsPerWord * script.words.count else {
            throw .notAllWordsSpoken
        }
        let durationCs = Int((audio * 100).rounded())

        if request.endpoint == .analyzeNative {
            var json = JSONWriter()
            json.beginObject()
            json.writeComponents("speech_components", SpeechRenderer.render(script, durationCs: durationCs, speaker: .native))
            json.endObject()
            return json.bytes
        }

        let components = SpeechRenderer.render(script, durationCs: durationCs, speaker: .student(request.language))
        let assessment = PronunciationAssessment(student: components, native: request.nativeReference, language: request.language)
        var json = JSONWriter()
        json.beginObject()
        json.writeDimension("pronunciation", assessment.pronunciation)
        json.writeDimension("stress", assessment.stress)
        json.writeDimension("pause", assessment.pause)
        json.writeDimension("speed", assessment.speed)
        json.writeComponents("user_speech_components", components)
        json.field("response_time_in_sec", responseTime, decimals: 3)
        json.endObject()
        return json.bytes
    }

    /// `{"text": …, "text_type": "en", "metadata": {}, "response_time_in_sec": …}`, keys in the
    /// documented order. `suppress_korean` changes nothing: the fixed transcript is English.
    private static func transcription(responseTime: Double) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("text", transcript)
        json.field("text_type", "en")
        json.beginObject("metadata")
        json.endObject()
        json.field("response_time_in_sec", responseTime, decimals: 3)
        json.endObject()
        return json.bytes
    }

    /// The part's bytes, or nil when it is absent or empty.
    static func present(_ part: [UInt8]?) -> [UInt8]? {
        guard let part, !part.isEmpty else { return nil }
        return part
    }
}
