/// A request whose text parts passed validation, ready to be answered once the audio is measured.
public struct EmulatorRequest: Sendable, Equatable {
    public let endpoint: EmulatedEndpoint
    /// `options.gold_text`, as sent; nil on `/transcribe`.
    public let goldText: String?
    /// The feedback language: `options.language` on `/pronunciation-simple`, Korean elsewhere.
    public let language: FeedbackLanguage
    /// `transcribe_options.suppress_korean`; false when not given.
    public let suppressKorean: Bool
    /// The words and pauses of `goldText`.
    let script: GoldText?
    /// The parsed `native_speech_components_json` on `/pronunciation`.
    let nativeReference: NativeReference?

    init(
        endpoint: EmulatedEndpoint,
        goldText: String? = nil,
        language: FeedbackLanguage = .korean,
        suppressKorean: Bool = false,
        script: GoldText? = nil,
        nativeReference: NativeReference? = nil
    ) {
        self.endpoint = endpoint
        self.goldText = goldText
        self.language = language
        self.suppressKorean = suppressKorean
        self.script = script
        self.nativeReference = nativeReference
    }

    /// The number of words in `goldText` (0 on `/transcribe`).
    public var wordCount: Int { script?.words.count ?? 0 }
}
