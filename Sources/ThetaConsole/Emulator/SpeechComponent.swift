/// One item of a `speech_components` array: a word or a pause (`FormattedWord | FormattedPause`).
/// Times are in centiseconds and scores in tenths, so the JSON's 2 and 1 decimals are exact.
enum SpeechComponent: Sendable, Equatable {
    case word(Word)
    case pause(Pause)

    struct Word: Sendable, Equatable {
        var word: String
        var start: Int
        var end: Int
        var score: Int
        var isCorrect: Bool
        var isStressed: Bool
        var feedback: String?
        var syllables: [Syllable]
    }

    struct Syllable: Sendable, Equatable {
        var text: String
        var start: Int
        var end: Int
        var score: Int
        var isStressed: Bool
        var phonemes: [Phoneme]
    }

    struct Phoneme: Sendable, Equatable {
        var phoneme: String
        var start: Int
        var end: Int
        var score: Int
        var isStressed: Bool
    }

    struct Pause: Sendable, Equatable {
        var start: Int
        var end: Int
        var isLong: Bool
    }
}
