/// The four scored dimensions of a pronunciation response. Stress, pause and speed compare the
/// student with the native reference, so they exist only on `/pronunciation`.
struct PronunciationAssessment: Sendable, Equatable {
    struct Dimension: Sendable, Equatable {
        /// 0...1000, in tenths.
        let score: Int
        let feedback: String
    }

    let pronunciation: Dimension
    let stress: Dimension?
    let pause: Dimension?
    let speed: Dimension?

    init(student components: [SpeechComponent], native: NativeReference?, language: FeedbackLanguage) {
        var words: [SpeechComponent.Word] = []
        var pauseCount = 0
        for component in components {
            switch component {
            case .word(let word): words.append(word)
            case .pause: pauseCount += 1
            }
        }

        // Pronunciation: the mean word score; feedback names the weakest incorrect word.
        let score = SpeechRenderer.roundedMean(words.map(\.score))
        let weakest = words.filter { !$0.isCorrect }.min { $0.score < $1.score }
        pronunciation = Dimension(score: score, feedback: Feedback.pronunciation(score: score, weakestWord: weakest?.word, in: language))

        guard let native else {
            stress = nil
            pause = nil
            speed = nil
            return
        }
        stress = Self.stress(words, native.words, language)
        pause = Dimension(
            score: Self.agreement(pauseCount, native.pauseCount),
            feedback: Feedback.pause(student: pauseCount, native: native.pauseCount, in: language)
        )
        let span = (words.last?.end ?? 0) - (words.first?.start ?? 0)
        speed = Self.speed(span, native.speechSpan, language)
    }

    /// The share of words, position by position, stressed as the reference stresses them.
    private static func stress(_ student: [SpeechComponent.Word], _ native: [NativeReference.Word], _ language: FeedbackLanguage) -> Dimension {
        let total = max(student.count, native.count)
        var matches = 0
        var mismatch = Feedback.StressMismatch.none
        for i in 0..<total {
            guard i < student.count, i < native.count else {
                if case .none = mismatch { mismatch = .wordCount }
                continue
            }
            if student[i].isStressed == native[i].isStressed {
                matches += 1
            } else if case .none = mismatch {
                mismatch = student[i].isStressed ? .extra(student[i].word) : .missing(student[i].word)
            }
        }
        return Dimension(score: (1000 * matches + total / 2) / max(total, 1), feedback: Feedback.stress(mismatch, in: language))
    }

    /// 100.0 when the counts agree, falling with their difference relative to the larger.
    private static func agreement(_ a: Int, _ b: Int) -> Int {
        let larger = max(a, b)
        guard larger > 0 else { return 1000 }
        return (1000 * (larger - abs(a - b)) + larger / 2) / larger
    }

    /// 100.0 while the longer span is at most 1.2 times the shorter, then 10 points less per
    /// tenth of ratio beyond, reaching 0 at 2.2 times.
    private static func speed(_ student: Int, _ native: Int, _ language: FeedbackLanguage) -> Dimension {
        let longer = max(student, native), shorter = min(student, native)
        let slower = student > native
        let score: Int
        let pace: Feedback.Pace
        if 10 * longer <= 12 * shorter {
            score = 1000
            pace = .matched
        } else {
            score = shorter == 0 ? 0 : min(max(2200 - (1000 * longer + shorter / 2) / shorter, 0), 1000)
            let much = 2 * longer > 3 * shorter
            pace = slower ? (much ? .muchSlower : .slow) : (much ? .muchFaster : .fast)
        }
        return Dimension(score: score, feedback: Feedback.speed(pace, in: language))
    }
}
