/// `gold_text` split into words, with the pause its punctuation implies after each word.
///
/// A word is a whitespace-separated token with the non-letter, non-digit characters trimmed from
/// both ends ("Wow," → "Wow"; "don't" and "3.5" stay whole). Punctuation between two words makes a
/// pause: a long one after sentence-final marks, a short one after the others. Quotes, apostrophes
/// and symbols make none, and nothing before the first word or after the last makes a pause.
struct GoldText: Sendable, Equatable {
    enum Pause: Int, Sendable, Comparable {
        case short = 1
        case long = 2

        static func < (a: Pause, b: Pause) -> Bool { a.rawValue < b.rawValue }
    }

    struct Word: Sendable, Equatable {
        let text: String
        /// The pause between this word and the next; nil after the last word.
        let pauseAfter: Pause?
    }

    static let longPauseMarks: Set<Character> = [".", "!", "?", "…", "。", "！", "？"]
    static let shortPauseMarks: Set<Character> = [",", ";", ":", "—", "–", "-", "(", ")", "[", "]", "、", "，", "；", "："]

    let words: [Word]

    init(_ text: String) {
        var cores: [String] = []
        var pauses: [Pause?] = []
        var pending: Pause?
        for token in text.split(whereSeparator: \.isWhitespace) {
            guard let first = token.firstIndex(where: Self.isWordCharacter),
                  let last = token.lastIndex(where: Self.isWordCharacter) else {
                pending = Self.stronger(pending, Self.pause(in: token))
                continue
            }
            pending = Self.stronger(pending, Self.pause(in: token[..<first]))
            if !cores.isEmpty { pauses.append(pending) }
            cores.append(String(token[first...last]))
            pending = Self.pause(in: token[token.index(after: last)...])
        }
        pauses.append(nil)
        words = zip(cores, pauses).map { Word(text: $0, pauseAfter: $1) }
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }

    private static func pause(in marks: Substring) -> Pause? {
        if marks.contains(where: longPauseMarks.contains) { return .long }
        if marks.contains(where: shortPauseMarks.contains) { return .short }
        return nil
    }

    private static func stronger(_ a: Pause?, _ b: Pause?) -> Pause? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }
}
