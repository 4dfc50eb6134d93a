/// The emulated speech analysis: lays the words and pauses of `gold_text` over the audio's
/// duration and scores them. Only the duration of the audio is known, so everything else comes
/// from the text and a stable hash, and the same text and duration always give the same result.
enum SpeechRenderer {
    enum Speaker: Sendable, Equatable {
        /// The native reference: every pause spoken, stress by rule, every phoneme 90.0–100.0.
        case native
        /// The student being scored: scores, dropped pauses and misplaced stress vary with the
        /// words, their positions and the recording's duration; word feedback in this language.
        case student(FeedbackLanguage)
    }

    /// Silence before the first word and after the last, each as a percentage of the audio.
    static let edgeSilencePercent = 5
    /// A pause's length against a word's, in letters.
    static let shortPauseWeight = 4
    static let longPauseWeight = 8
    /// A word scoring at least this (tenths) is `is_correct`.
    static let correctScore = 700
    /// Student chances, in percent, of skipping a punctuation pause and of misplacing a stress.
    static let droppedPausePercent = 25
    static let flippedStressPercent = 15

    /// The components, with times in centiseconds within `0...durationCs`.
    static func render(_ text: GoldText, durationCs: Int, speaker: Speaker) -> [SpeechComponent] {
        let seed = String(durationCs)
        let shapes = text.words.map { Syllabifier.syllables(of: $0.text) }

        enum Slot { case word(Int), pause(isLong: Bool) }
        var slots: [Slot] = []
        var weights: [Int] = []
        for (index, word) in text.words.enumerated() {
            slots.append(.word(index))
            weights.append(shapes[index].reduce(0) { $0 + $1.weight })
            guard let pause = word.pauseAfter else { continue }
            if speaker != .native, StableHash.pick(100, "pause", seed, String(index)) < droppedPausePercent { continue }
            slots.append(.pause(isLong: pause == .long))
            weights.append(pause == .long ? longPauseWeight : shortPauseWeight)
        }

        let edge = durationCs * edgeSilencePercent / 100
        let spans = divide(edge..<(durationCs - edge), weights: weights)
        return zip(slots, spans).map { slot, span in
            switch slot {
            case .pause(let isLong):
                return .pause(SpeechComponent.Pause(start: span.lowerBound, end: span.upperBound, isLong: isLong))
            case .word(let index):
                return .word(word(text.words[index].text, index: index, shape: shapes[index], span: span, speaker: speaker, seed: seed))
            }
        }
    }

    private static func word(
        _ text: String, index: Int, shape: [Syllabifier.Syllable], span: Range<Int>, speaker: Speaker, seed: String
    ) -> SpeechComponent.Word {
        let key = text.lowercased()
        var isStressed = StressRule.isStressed(text)
        let base: Int
        switch speaker {
        case .native:
            base = 0
        case .student:
            if StableHash.pick(100, "stress", seed, String(index), key) < flippedStressPercent { isStressed.toggle() }
            // 60.0–100.0, skewed high (mean about 86.7) as most words of most learners are fine.
            let u = StableHash.pick(401, "word", seed, String(index), key)
            base = 1000 - u * u / 400
        }

        var syllables: [SpeechComponent.Syllable] = []
        var allScores: [Int] = []
        for (s, (syllable, syllableSpan)) in zip(shape, divide(span, weights: shape.map(\.weight))).enumerated() {
            let syllableStressed = isStressed && s == StressRule.stressedSyllable
            let phonemeSpans = divide(syllableSpan, weights: Array(repeating: 1, count: syllable.phonemes.count))
            var phonemes: [SpeechComponent.Phoneme] = []
            for (p, (phoneme, phonemeSpan)) in zip(syllable.phonemes, phonemeSpans).enumerated() {
                let score: Int
                switch speaker {
                case .native:
                    score = 900 + StableHash.pick(101, "native", key, String(s), String(p))
                case .student:
                    let jitter = StableHash.pick(161, "phoneme", seed, String(index), String(s), String(p)) - 80
                    score = min(max(base + jitter, 0), 1000)
                }
                phonemes.append(SpeechComponent.Phoneme(
                    phoneme: phoneme, start: phonemeSpan.lowerBound, end: phonemeSpan.upperBound,
                    score: score, isStressed: syllableStressed && p == syllable.nucleus
                ))
            }
            allScores += phonemes.map(\.score)
            syllables.append(SpeechComponent.Syllable(
                text: syllable.text, start: syllableSpan.lowerBound, end: syllableSpan.upperBound,
                score: roundedMean(phonemes.map(\.score)), isStressed: syllableStressed, phonemes: phonemes
            ))
        }

        let score = roundedMean(allScores)
        let isCorrect = score >= correctScore
        var feedback: String?
        if !isCorrect, case .student(let language) = speaker {
            let weakest = syllables.flatMap(\.phonemes).min { $0.score < $1.score }
            feedback = Feedback.word(text, weakestPhoneme: weakest?.phoneme ?? key, in: language)
        }
        return SpeechComponent.Word(
            word: text, start: span.lowerBound, end: span.upperBound, score: score,
            isCorrect: isCorrect, isStressed: isStressed, feedback: feedback, syllables: syllables
        )
    }

    /// Splits `range` into consecutive pieces proportional to `weights`, in whole centiseconds.
    /// The pieces are contiguous, cover the range exactly, and never run backwards.
    static func divide(_ range: Range<Int>, weights: [Int]) -> [Range<Int>] {
        let total = weights.reduce(0, +)
        guard total > 0 else { return weights.map { _ in range.lowerBound..<range.lowerBound } }
        var pieces: [Range<Int>] = []
        var sum = 0
        var start = range.lowerBound
        for weight in weights {
            sum += weight
            let end = range.lowerBound + (range.count * sum + total / 2) / total
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }

    /// The mean, rounded half up; 0 for no values.
    static func roundedMean(_ values: [Int]) -> Int {
        guard !values.isEmpty else { return 0 }
        return (2 * values.reduce(0, +) + values.count) / (2 * values.count)
    }
}
