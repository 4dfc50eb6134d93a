/// The documented 200 bodies of the four emulated endpoints, as schemas a stub's `response` is
/// checked against (`/v1/stubs`): the same shapes as `docs/openapi.yaml`'s `TranscribeResponse`,
/// `AnalyzeNativeResponse`, `PronunciationResponse` and `PronunciationSimpleResponse`.
indirect enum ResponseSchema: Sendable {
    case object(required: [String], properties: [(String, ResponseSchema)])
    case array(of: ResponseSchema, minItems: Int)
    case string(oneOf: [String]?, minLength: Int)
    case number(minimum: Double, maximum: Double?)
    case boolean
    case null
    case nullable(ResponseSchema)
    /// An object with no rule beyond being one (`metadata`).
    case anyObject
    /// Told apart by the string at `type`: `word` or `pause`.
    case tagged([(String, ResponseSchema)])

    /// Why `value` does not fit, with its path (`response.user_speech_components[2].score`), or nil.
    func problem(with value: JSONValue, at path: String = "response") -> String? {
        switch self {
        case .object(let required, let properties):
            guard case .object(let members) = value else { return "\(path) must be an object, not \(value.typeName)" }
            for name in required where !members.contains(where: { $0.0 == name }) {
                return "\(path).\(name) is required"
            }
            for (name, member) in members {
                guard let schema = properties.first(where: { $0.0 == name })?.1 else {
                    return "\(path).\(name) is not a field of this response"
                }
                if let problem = schema.problem(with: member, at: "\(path).\(name)") { return problem }
            }
            return nil
        case .array(let items, let minItems):
            guard case .array(let elements) = value else { return "\(path) must be an array, not \(value.typeName)" }
            guard elements.count >= minItems else { return "\(path) must have at least \(minItems) item\(minItems == 1 ? "" : "s")" }
            for (index, element) in elements.enumerated() {
                if let problem = items.problem(with: element, at: "\(path)[\(index)]") { return problem }
            }
            return nil
        case .string(let allowed, let minLength):
            guard let text = value.stringValue else { return "\(path) must be a string, not \(value.typeName)" }
            if let allowed, !allowed.contains(text) { return "\(path) must be one of \(allowed.joined(separator: ", "))" }
            guard text.unicodeScalars.count >= minLength else { return "\(path) must not be empty" }
            return nil
        case .number(let minimum, let maximum):
            guard case .number(let text) = value, let number = Double(text) else {
                return "\(path) must be a number, not \(value.typeName)"
            }
            guard number >= minimum, maximum.map({ number <= $0 }) ?? true else {
                return "\(path) must be from \(Self.plain(minimum)) to \(maximum.map(Self.plain) ?? "any")"
            }
            return nil
        case .boolean:
            guard case .bool = value else { return "\(path) must be a boolean, not \(value.typeName)" }
            return nil
        case .null:
            guard value.isNull else { return "\(path) must be null on this endpoint" }
            return nil
        case .nullable(let schema):
            return value.isNull ? nil : schema.problem(with: value, at: path)
        case .anyObject:
            guard case .object = value else { return "\(path) must be an object, not \(value.typeName)" }
            return nil
        case .tagged(let variants):
            guard let tag = value["type"]?.stringValue, let schema = variants.first(where: { $0.0 == tag })?.1 else {
                return "\(path).type must be one of \(variants.map(\.0).joined(separator: ", "))"
            }
            return schema.problem(with: value, at: path)
        }
    }

    private static func plain(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }

    /// The 200 body of `endpoint`.
    static func ok(_ endpoint: EmulatedEndpoint) -> ResponseSchema {
        switch endpoint {
        case .transcribe: transcribe
        case .analyzeNative: .object(required: ["speech_components"],
                                     properties: [("speech_components", .array(of: component, minItems: 1))])
        case .pronunciation: pronunciation(simple: false)
        case .pronunciationSimple: pronunciation(simple: true)
        }
    }

    private static let seconds = ResponseSchema.number(minimum: 0, maximum: nil)
    private static let score = ResponseSchema.number(minimum: 0, maximum: 100)

    private static let transcribe = ResponseSchema.object(
        required: ["text", "text_type", "metadata", "response_time_in_sec"],
        properties: [
            ("text", .string(oneOf: nil, minLength: 0)),
            ("text_type", .string(oneOf: ["en", "ko", "codeswitched"], minLength: 0)),
            ("metadata", .anyObject),
            ("response_time_in_sec", seconds),
        ])

    private static let phoneme = ResponseSchema.object(
        required: ["phoneme", "start", "end", "score", "is_stressed"],
        properties: [("phoneme", .string(oneOf: nil, minLength: 0)), ("start", seconds), ("end", seconds),
                     ("score", score), ("is_stressed", .boolean)])

    private static let syllable = ResponseSchema.object(
        required: ["text", "start", "end", "score", "is_stressed", "phonemes"],
        properties: [("text", .string(oneOf: nil, minLength: 0)), ("start", seconds), ("end", seconds), ("score", score),
                     ("is_stressed", .boolean), ("phonemes", .array(of: phoneme, minItems: 0))])

    private static let component = ResponseSchema.tagged([
        ("word", .object(
            required: ["type", "word", "start", "end", "score", "is_correct", "is_stressed", "feedback", "syllables"],
            properties: [("type", .string(oneOf: ["word"], minLength: 0)), ("word", .string(oneOf: nil, minLength: 1)),
                         ("start", seconds), ("end", seconds), ("score", score), ("is_correct", .boolean),
                         ("is_stressed", .boolean), ("feedback", .nullable(.string(oneOf: nil, minLength: 0))),
                         ("syllables", .array(of: syllable, minItems: 1))])),
        ("pause", .object(
            required: ["type", "start", "end", "is_long"],
            properties: [("type", .string(oneOf: ["pause"], minLength: 0)), ("start", seconds), ("end", seconds),
                         ("is_long", .boolean)])),
    ])

    private static let dimension = ResponseSchema.object(
        required: ["score", "feedback"], properties: [("score", score), ("feedback", .string(oneOf: nil, minLength: 0))])

    private static func pronunciation(simple: Bool) -> ResponseSchema {
        let compared: ResponseSchema = simple ? .null : dimension
        return .object(
            required: ["pronunciation", "stress", "pause", "speed", "user_speech_components", "response_time_in_sec"],
            properties: [("pronunciation", dimension), ("stress", compared), ("pause", compared), ("speed", compared),
                         ("user_speech_components", .array(of: component, minItems: 1)), ("response_time_in_sec", seconds)])
    }
}
