/// What `/pronunciation` uses of `native_speech_components_json`: the reference's words and their
/// stress, its pauses, and how long its speech lasts.
///
/// The shape check is strict about what it reads and lenient about the rest, so the unmodified
/// output of `/analyze-native` (real or emulated) always passes: a non-empty array (at most
/// `maxItems`) of objects, each with `"type"` either `"word"` (string `word`, numbers `start` and
/// `end`) or `"pause"` (numbers `start` and `end`, boolean `is_long`), with `0 ≤ start ≤ end`,
/// and at least one word. Other members (`score`, `syllables`, …) are not checked.
struct NativeReference: Sendable, Equatable {
    struct Word: Sendable, Equatable {
        let text: String
        /// The item's `is_stressed` when it is a boolean, else the stress rule applied to `text`.
        let isStressed: Bool
    }

    static let maxItems = 5_000

    let words: [Word]
    let pauseCount: Int
    /// From the first word's start to the last word's end, in centiseconds.
    let speechSpan: Int

    static func parse(_ part: [UInt8]?) throws(EmulatorError) -> NativeReference {
        guard let part = SpeechEmulator.present(part), let value = try? JSONParser.parse(part) else {
            throw .invalidNativeComponentsJSONFormat
        }
        guard case .array(let items) = value, !items.isEmpty, items.count <= maxItems else {
            throw .invalidNativeComponentsFormat
        }
        var words: [Word] = []
        var pauseCount = 0
        var first = Int.max
        var last = Int.min
        for item in items {
            guard case .object = item,
                  let start = seconds(item["start"]), let end = seconds(item["end"]), start <= end else {
                throw .invalidNativeComponentsFormat
            }
            switch item["type"]?.stringValue {
            case "word":
                guard let text = item["word"]?.stringValue else { throw .invalidNativeComponentsFormat }
                let stressed: Bool
                if case .bool(let flag)? = item["is_stressed"] { stressed = flag } else { stressed = StressRule.isStressed(text) }
                words.append(Word(text: text, isStressed: stressed))
                first = min(first, centiseconds(start))
                last = max(last, centiseconds(end))
            case "pause":
                guard case .bool? = item["is_long"] else { throw .invalidNativeComponentsFormat }
                pauseCount += 1
            default:
                throw .invalidNativeComponentsFormat
            }
        }
        guard !words.isEmpty else { throw .invalidNativeComponentsFormat }
        return NativeReference(words: words, pauseCount: pauseCount, speechSpan: last - first)
    }

    /// A finite, non-negative JSON number.
    private static func seconds(_ value: JSONValue?) -> Double? {
        guard case .number(let text)? = value, let number = Double(text), number.isFinite, number >= 0 else { return nil }
        return number
    }

    private static func centiseconds(_ seconds: Double) -> Int {
        Int((min(seconds, SpeechEmulator.maxAudioSeconds) * 100).rounded())
    }
}
