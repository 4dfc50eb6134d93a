/// The text parts of the form, raw, as received (nil when the part is absent).
///
/// An empty part is treated exactly like an absent one, because HTML forms and many clients send
/// an empty field for a value they did not set. Parts an endpoint does not define are ignored, as
/// a FastAPI service ignores form fields it does not declare.
public struct EmulatorForm: Sendable {
    /// `options`: a JSON object with `gold_text` (the three pronunciation endpoints).
    public var options: [UInt8]?
    /// `transcribe_options`: a JSON object (`/transcribe`).
    public var transcribeOptions: [UInt8]?
    /// `native_speech_components_json`: the `speech_components` array of `/analyze-native` (`/pronunciation`).
    public var nativeSpeechComponentsJSON: [UInt8]?

    public init(options: [UInt8]? = nil, transcribeOptions: [UInt8]? = nil, nativeSpeechComponentsJSON: [UInt8]? = nil) {
        self.options = options
        self.transcribeOptions = transcribeOptions
        self.nativeSpeechComponentsJSON = nativeSpeechComponentsJSON
    }
}
