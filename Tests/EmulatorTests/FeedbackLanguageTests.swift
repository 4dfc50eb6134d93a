import Testing
@testable import ThetaConsole

func containsHangul(_ text: String) -> Bool {
    text.unicodeScalars.contains { (0xAC00...0xD7A3).contains($0.value) }
}

/// Every feedback string in a response, word-level ones included.
func feedbackStrings(_ json: JSONValue) -> [String] {
    var found: [String] = []
    func walk(_ value: JSONValue) {
        switch value {
        case .object(let members):
            for (name, member) in members {
                if name == "feedback", let text = member.stringValue { found.append(text) }
                walk(member)
            }
        case .array(let items): items.forEach(walk)
        default: break
        }
    }
    walk(json)
    return found
}

@Suite struct FeedbackLanguageTests {
    let goldText = "The quick brown fox jumps over the lazy dog."

    @Test func pronunciationSimple_givesKoreanFeedbackByDefault() throws {
        for centiseconds in stride(from: 300, through: 500, by: 20) {
            let json = try body(.pronunciationSimple, form(options: optionsJSON(goldText)), audioSeconds: Double(centiseconds) / 100)
            let feedback = feedbackStrings(json)
            #expect(!feedback.isEmpty)
            #expect(feedback.allSatisfy(containsHangul), "\(feedback)")
        }
    }

    @Test func pronunciationSimple_givesEnglishFeedbackWhenAsked() throws {
        for centiseconds in stride(from: 300, through: 500, by: 20) {
            let json = try body(.pronunciationSimple, form(options: optionsJSON(goldText, #""language": "en""#)), audioSeconds: Double(centiseconds) / 100)
            let feedback = feedbackStrings(json)
            #expect(!feedback.isEmpty)
            #expect(feedback.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) }, "\(feedback)")
        }
    }

    @Test func sameRecording_sameScores_inEitherLanguage() throws {
        let korean = try body(.pronunciationSimple, form(options: optionsJSON(goldText, #""language": "ko""#)), audioSeconds: 3.3)
        let english = try body(.pronunciationSimple, form(options: optionsJSON(goldText, #""language": "en""#)), audioSeconds: 3.3)
        #expect(korean["pronunciation"]?["score"] == english["pronunciation"]?["score"])
        #expect(feedbackStrings(korean) != feedbackStrings(english))
    }

    @Test func pronunciationBands_readNaturallyInBothLanguages() {
        #expect(Feedback.pronunciation(score: 950, weakestWord: nil, in: .english) == "Excellent pronunciation. Every word was clear.")
        #expect(Feedback.pronunciation(score: 950, weakestWord: nil, in: .korean) == "훌륭한 발음이에요. 모든 단어가 또렷하게 들렸어요.")
        #expect(Feedback.pronunciation(score: 800, weakestWord: "castle", in: .english) == "Good pronunciation. Practice \"castle\" a little more.")
        #expect(Feedback.pronunciation(score: 800, weakestWord: "castle", in: .korean) == "좋은 발음이에요. \"castle\" 발음을 조금 더 연습해 보세요.")
        #expect(Feedback.pronunciation(score: 650, weakestWord: "castle", in: .english) == "Fair pronunciation. Focus on the sounds in \"castle\".")
        #expect(Feedback.pronunciation(score: 599, weakestWord: "castle", in: .korean) == "조금 더 연습이 필요해요. 문장을 듣고 천천히 따라 말해 보세요.")
    }

    @Test func pauseFeedback_countsInWords() {
        #expect(Feedback.pause(student: 1, native: 2, in: .english) == "Pause a little more. The native speaker paused twice; you paused once.")
        #expect(Feedback.pause(student: 0, native: 3, in: .english) == "Pause a little more. The native speaker paused 3 times; you did not pause.")
        #expect(Feedback.pause(student: 1, native: 2, in: .korean) == "조금 더 쉬어 가며 말해 보세요. 원어민은 2번 쉬었는데 1번만 쉬었어요.")
    }
}
