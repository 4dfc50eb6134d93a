/// The feedback sentences, in Korean and English. Quoted words and phonemes are inserted as given.
enum Feedback {
    /// For an incorrect word: its weakest phoneme.
    static func word(_ word: String, weakestPhoneme phoneme: String, in language: FeedbackLanguage) -> String {
        switch language {
        case .korean: return "\"\(word)\"의 \"\(phoneme)\" 소리가 불분명했어요."
        case .english: return "The \"\(phoneme)\" sound in \"\(word)\" was unclear."
        }
    }

    /// By score band (tenths), naming the weakest incorrect word if there is one.
    static func pronunciation(score: Int, weakestWord word: String?, in language: FeedbackLanguage) -> String {
        switch (language, score, word) {
        case (.korean, 900..., nil): return "훌륭한 발음이에요. 모든 단어가 또렷하게 들렸어요."
        case (.korean, 900..., let word?): return "훌륭한 발음이에요. \"\(word)\"만 조금 더 다듬어 보세요."
        case (.korean, 750..., nil): return "전체적으로 좋은 발음이에요."
        case (.korean, 750..., let word?): return "좋은 발음이에요. \"\(word)\" 발음을 조금 더 연습해 보세요."
        case (.korean, 600..., nil): return "괜찮은 발음이에요. 소리 하나하나를 또렷하게 말해 보세요."
        case (.korean, 600..., let word?): return "괜찮은 발음이에요. \"\(word)\"의 소리에 집중해 보세요."
        case (.korean, _, _): return "조금 더 연습이 필요해요. 문장을 듣고 천천히 따라 말해 보세요."
        case (.english, 900..., nil): return "Excellent pronunciation. Every word was clear."
        case (.english, 900..., let word?): return "Excellent pronunciation. Only \"\(word)\" needs a little work."
        case (.english, 750..., nil): return "Good pronunciation overall."
        case (.english, 750..., let word?): return "Good pronunciation. Practice \"\(word)\" a little more."
        case (.english, 600..., nil): return "Fair pronunciation. Say each sound clearly."
        case (.english, 600..., let word?): return "Fair pronunciation. Focus on the sounds in \"\(word)\"."
        case (.english, _, _): return "Keep practicing. Listen to the sentence and repeat it slowly."
        }
    }

    enum StressMismatch {
        /// Every word stressed as the reference stresses it.
        case none
        /// The student stressed a word the reference says lightly.
        case extra(String)
        /// The student said lightly a word the reference stresses.
        case missing(String)
        /// The reference has a different number of words.
        case wordCount
    }

    static func stress(_ mismatch: StressMismatch, in language: FeedbackLanguage) -> String {
        switch (language, mismatch) {
        case (.korean, .none): return "강세가 원어민과 같아요."
        case (.korean, .extra(let word)): return "\"\(word)\"에 강세를 두지 마세요. 원어민은 가볍게 말해요."
        case (.korean, .missing(let word)): return "원어민처럼 \"\(word)\"에 강세를 더 주세요."
        case (.korean, .wordCount): return "원어민처럼 단어마다 알맞은 강세를 주어 보세요."
        case (.english, .none): return "Your stress matches the native speaker."
        case (.english, .extra(let word)): return "Say \"\(word)\" more lightly, as the native speaker does."
        case (.english, .missing(let word)): return "Stress \"\(word)\" more, as the native speaker does."
        case (.english, .wordCount): return "Stress each word as the native speaker does."
        }
    }

    static func pause(student: Int, native: Int, in language: FeedbackLanguage) -> String {
        switch language {
        case .korean:
            if student == native { return "쉬는 곳이 원어민과 같아요." }
            if student < native {
                return student == 0
                    ? "조금 더 쉬어 가며 말해 보세요. 원어민은 \(native)번 쉬었는데 한 번도 쉬지 않았어요."
                    : "조금 더 쉬어 가며 말해 보세요. 원어민은 \(native)번 쉬었는데 \(student)번만 쉬었어요."
            }
            return native == 0
                ? "쉬는 횟수를 줄여 보세요. 원어민은 쉬지 않았는데 \(student)번 쉬었어요."
                : "쉬는 횟수를 줄여 보세요. 원어민은 \(native)번, 학습자는 \(student)번 쉬었어요."
        case .english:
            if student == native { return "Your pauses match the native speaker." }
            if student < native {
                return student == 0
                    ? "Pause a little more. The native speaker paused \(times(native)); you did not pause."
                    : "Pause a little more. The native speaker paused \(times(native)); you paused \(times(student))."
            }
            return native == 0
                ? "Pause less often. The native speaker did not pause; you paused \(times(student))."
                : "Pause less often. The native speaker paused \(times(native)); you paused \(times(student))."
        }
    }

    enum Pace { case matched, slow, muchSlower, fast, muchFaster }

    static func speed(_ pace: Pace, in language: FeedbackLanguage) -> String {
        switch (language, pace) {
        case (.korean, .matched): return "원어민과 비슷한 좋은 속도예요."
        case (.korean, .slow): return "조금 느려요. 원어민의 속도에 맞춰 말해 보세요."
        case (.korean, .muchSlower): return "원어민보다 많이 느려요. 더 자연스럽게 이어서 말하도록 연습해 보세요."
        case (.korean, .fast): return "조금 빨라요. 원어민의 속도에 맞춰 천천히 말해 보세요."
        case (.korean, .muchFaster): return "원어민보다 많이 빨라요. 천천히 모든 단어를 말해 보세요."
        case (.english, .matched): return "Good pace, close to the native speaker."
        case (.english, .slow): return "A little slow. Try to match the native speaker's pace."
        case (.english, .muchSlower): return "Much slower than the native speaker. Practice saying it more smoothly."
        case (.english, .fast): return "A little fast. Slow down to match the native speaker."
        case (.english, .muchFaster): return "Much faster than the native speaker. Slow down and say every word."
        }
    }

    private static func times(_ count: Int) -> String {
        switch count {
        case 1: return "once"
        case 2: return "twice"
        default: return "\(count) times"
        }
    }
}
