/// A 400 with exactly this detail string, to be sent as `{"detail": "…"}`.
public struct EmulatorError: Error, Sendable, Equatable {
    public let detail: String

    public init(detail: String) {
        self.detail = detail
    }

    // The documented strings (reference §4), verbatim.
    public static let invalidOptionsFormat = EmulatorError(detail: "Invalid options format. Must be a valid JSON string.")
    public static let goldTextRequired = EmulatorError(detail: "gold_text is required")
    public static let invalidNativeComponentsJSONFormat = EmulatorError(detail: "Invalid native_speech_components_json format. Must be a valid JSON string.")
    public static let invalidNativeComponentsFormat = EmulatorError(detail: "Invalid native_speech_components format")
    public static let notAllWordsSpoken = EmulatorError(detail: "Not all words are spoken.")

    /// `Invalid options: <reason>`, for valid JSON that fails validation.
    public static func invalidOptions(_ reason: String) -> EmulatorError {
        EmulatorError(detail: "Invalid options: " + reason)
    }
}
