/// The emulator's JSON shapes: speech components and scored dimensions.
extension JSONWriter {
    /// `"name": [ {word or pause}, … ]`, times in seconds with 2 decimals and scores with 1.
    mutating func writeComponents(_ name: String, _ components: [SpeechComponent]) {
        beginArray(name)
        for component in components {
            beginObject()
            switch component {
            case .word(let word):
                field("type", "word")
                field("word", word.word)
                seconds("start", word.start)
                seconds("end", word.end)
                score("score", word.score)
                field("is_correct", word.isCorrect)
                field("is_stressed", word.isStressed)
                field("feedback", word.feedback)
                beginArray("syllables")
                for syllable in word.syllables {
                    beginObject()
                    field("text", syllable.text)
                    seconds("start", syllable.start)
                    seconds("end", syllable.end)
                    score("score", syllable.score)
                    field("is_stressed", syllable.isStressed)
                    beginArray("phonemes")
                    for phoneme in syllable.phonemes {
                        beginObject()
                        field("phoneme", phoneme.phoneme)
                        seconds("start", phoneme.start)
                        seconds("end", phoneme.end)
                        score("score", phoneme.score)
                        field("is_stressed", phoneme.isStressed)
                        endObject()
                    }
                    endArray()
                    endObject()
                }
                endArray()
            case .pause(let pause):
                field("type", "pause")
                seconds("start", pause.start)
                seconds("end", pause.end)
                field("is_long", pause.isLong)
            }
            endObject()
        }
        endArray()
    }

    /// `"name": {"score": 87.5, "feedback": "…"}`, or `"name": null`.
    mutating func writeDimension(_ name: String, _ dimension: PronunciationAssessment.Dimension?) {
        guard let dimension else { return nullField(name) }
        beginObject(name)
        score("score", dimension.score)
        field("feedback", dimension.feedback)
        endObject()
    }

    private mutating func seconds(_ name: String, _ centiseconds: Int) {
        field(name, Double(centiseconds) / 100, decimals: 2)
    }

    private mutating func score(_ name: String, _ tenths: Int) {
        field(name, Double(tenths) / 10, decimals: 1)
    }
}
