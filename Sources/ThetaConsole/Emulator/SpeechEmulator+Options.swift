/// Validation of the `transcribe_options` and `options` parts: JSON syntax first, then shape.
extension SpeechEmulator {
    struct GoldTextOptions {
        let goldText: String
        let script: GoldText
        let language: FeedbackLanguage
    }

    /// `transcribe_options`: absent, or an object with at most `suppress_korean` (boolean or null).
    static func transcribeOptions(_ part: [UInt8]?) throws(EmulatorError) -> Bool {
        guard let part = present(part) else { return false }
        var suppressKorean = false
        for (name, value) in try object(part, named: "transcribe_options") {
            switch (name, value) {
            case ("suppress_korean", .null): continue
            case ("suppress_korean", .bool(let flag)): suppressKorean = flag
            case ("suppress_korean", _): throw .invalidOptions(mistyped("suppress_korean", "a boolean", value))
            default: throw .invalidOptions(unknown(name))
            }
        }
        return suppressKorean
    }

    /// `options` with a required `gold_text`, and on `/pronunciation-simple` an optional `language`.
    /// A member that is null counts as absent.
    static func goldTextOptions(_ part: [UInt8]?, acceptsLanguage: Bool) throws(EmulatorError) -> GoldTextOptions {
        guard let part = present(part) else { throw .goldTextRequired }
        var goldText: String?
        var language = FeedbackLanguage.korean
        for (name, value) in try object(part, named: "options") {
            switch (name, value) {
            case ("gold_text", .null): continue
            case ("gold_text", .string(let text)): goldText = text
            case ("gold_text", _): throw .invalidOptions(mistyped("gold_text", "a string", value))
            case ("language", .null) where acceptsLanguage: continue
            case ("language", _) where acceptsLanguage:
                guard let chosen = value.stringValue.flatMap(FeedbackLanguage.init(rawValue:)) else {
                    throw .invalidOptions(#"language must be "ko" or "en""#)
                }
                language = chosen
            default: throw .invalidOptions(unknown(name))
            }
        }
        guard let goldText else { throw .goldTextRequired }
        guard goldText.count <= maxGoldTextCharacters else {
            throw .invalidOptions("gold_text must be at most \(maxGoldTextCharacters) characters")
        }
        let script = GoldText(goldText)
        guard !script.words.isEmpty else { throw .invalidOptions("gold_text must contain at least one word") }
        return GoldTextOptions(goldText: goldText, script: script, language: language)
    }

    /// The part's members, or `Invalid options format…` when it is not JSON at all.
    private static func object(_ part: [UInt8], named partName: String) throws(EmulatorError) -> [(String, JSONValue)] {
        guard let value = try? JSONParser.parse(part) else { throw .invalidOptionsFormat }
        guard case .object(let members) = value else {
            throw .invalidOptions("\(partName) must be a JSON object, not \(value.typeName)")
        }
        return members
    }

    private static func unknown(_ name: String) -> String {
        // Bounded, so a hostile name cannot make the error large; escaping is the renderer's job.
        let shown = name.count > 64 ? String(name.prefix(64)) + "…" : name
        return "unknown field \"\(shown)\""
    }

    private static func mistyped(_ name: String, _ expected: String, _ value: JSONValue) -> String {
        "\(name) must be \(expected), not \(value.typeName)"
    }
}
