import Testing
@testable import ThetaConsole

let topLevelKeys = ["pronunciation", "stress", "pause", "speed", "user_speech_components", "response_time_in_sec"]

/// `{"score": 0…100 with one decimal, "feedback": non-empty string}`.
func checkDimension(_ value: JSONValue?) {
    #expect(value?.keys == ["score", "feedback"])
    checkScore(value?["score"])
    #expect(value?["feedback"]?.stringValue?.isEmpty == false)
}

/// Checks user_speech_components: words as in analyze-native, pauses with is_long, all in order.
func checkUserComponents(_ value: JSONValue?, audioSeconds: Double) {
    var previousEnd = 0.0
    for item in value?.items ?? [] {
        let start = item["start"]?.double ?? -1, end = item["end"]?.double ?? -1
        #expect(start >= previousEnd && start <= end && end <= audioSeconds)
        previousEnd = end
        switch item["type"] {
        case .string("word")?: checkWord(item, within: 0...audioSeconds)
        case .string("pause")?:
            #expect(item.keys == ["type", "start", "end", "is_long"])
            #expect(item["is_long"]?.bool != nil)
        default: Issue.record("unexpected item \(item)")
        }
    }
}

@Suite struct PronunciationResponseTests {
    @Test func pronunciation_hasFourDimensionsAndUserComponents() throws {
        let native = try nativeComponentsJSON(sampleGoldText, audioSeconds: 2.5)
        let json = try body(.pronunciation, form(options: optionsJSON(sampleGoldText), native: native), audioSeconds: 2.8)
        #expect(json.keys == topLevelKeys)
        for dimension in ["pronunciation", "stress", "pause", "speed"] { checkDimension(json[dimension]) }
        checkUserComponents(json["user_speech_components"], audioSeconds: 2.8)
        checkTimesHaveTwoDecimals(json)
        let words = json["user_speech_components"]?.items.compactMap { $0["word"]?.stringValue }
        #expect(words == ["Wow", "check", "out", "this", "castle"])
    }

    @Test func pronunciationSimple_hasNullStressPauseAndSpeed() throws {
        let json = try body(.pronunciationSimple, form(options: optionsJSON(sampleGoldText)), audioSeconds: 2.8)
        #expect(json.keys == topLevelKeys)
        checkDimension(json["pronunciation"])
        #expect(json["stress"] == .null)
        #expect(json["pause"] == .null)
        #expect(json["speed"] == .null)
        checkUserComponents(json["user_speech_components"], audioSeconds: 2.8)
    }

    @Test func pronunciationScore_isTheMeanWordScore() throws {
        let json = try body(.pronunciationSimple, form(options: optionsJSON("The quick brown fox jumps over the lazy dog.")), audioSeconds: 4.2)
        let scores = json["user_speech_components"]?.items.compactMap { $0["score"]?.double } ?? []
        let mean = scores.reduce(0, +) / Double(scores.count)
        let score = try #require(json["pronunciation"]?["score"]?.double)
        #expect(abs(score - mean) <= 0.05 + 1e-9)
    }

    @Test func incorrectWords_carryFeedbackNamingTheirWeakestPhoneme() throws {
        var checked = 0
        // Student scores vary with the recording's length, so some lengths give incorrect words.
        for centiseconds in stride(from: 300, through: 600, by: 7) {
            let json = try body(.pronunciationSimple, form(options: optionsJSON(sampleGoldText, #""language":"en""#)), audioSeconds: Double(centiseconds) / 100)
            for word in json["user_speech_components"]?.items ?? [] where word["is_correct"] == .bool(false) {
                let weakest = word["syllables"]?.items.flatMap { $0["phonemes"]?.items ?? [] }
                    .min { ($0["score"]?.double ?? 0) < ($1["score"]?.double ?? 0) }
                let phoneme = try #require(weakest?["phoneme"]?.stringValue)
                let name = try #require(word["word"]?.stringValue)
                #expect(word["feedback"] == .string("The \"\(phoneme)\" sound in \"\(name)\" was unclear."))
                #expect((word["score"]?.double ?? 100) < 70)
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test func speed_followsTheRatioOfStudentToNativeSpan() throws {
        let native = try nativeComponentsJSON(sampleGoldText, audioSeconds: 2.5)
        func speed(_ seconds: Double) throws -> (Double, String) {
            let json = try body(.pronunciation, form(options: optionsJSON(sampleGoldText), native: native), audioSeconds: seconds)
            return (try #require(json["speed"]?["score"]?.double), try #require(json["speed"]?["feedback"]?.stringValue))
        }
        #expect(try speed(2.5) == (100, "원어민과 비슷한 좋은 속도예요."))
        #expect(try speed(2.9).0 == 100)
        #expect(try speed(3.5) == (80.2, "조금 느려요. 원어민의 속도에 맞춰 말해 보세요.")) // 2.2 − 316/226
        #expect(try speed(10).0 == 0)
        #expect(try speed(10).1 == "원어민보다 많이 느려요. 더 자연스럽게 이어서 말하도록 연습해 보세요.")
        #expect(try speed(1.8).1 == "조금 빨라요. 원어민의 속도에 맞춰 천천히 말해 보세요.")
        #expect(try speed(1.0).1 == "원어민보다 많이 빨라요. 천천히 모든 단어를 말해 보세요.")
    }

    @Test func pause_comparesPauseCounts() throws {
        let goldText = "One, two, three, four."
        let pauses = { (native: String) throws -> JSONValue? in
            try body(.pronunciation, form(options: optionsJSON(goldText), native: native), audioSeconds: 3)["pause"]
        }
        let word = #"{"type":"word","word":"w","start":0.1,"end":0.2}"#
        let pause = #"{"type":"pause","start":0.2,"end":0.3,"is_long":false}"#
        let json = try body(.pronunciationSimple, form(options: optionsJSON(goldText)), audioSeconds: 3)
        let studentPauses = json["user_speech_components"]?.items.filter { $0["type"] == .string("pause") }.count ?? -1

        let same = "[" + ([word] + Array(repeating: pause, count: studentPauses)).joined(separator: ",") + "]"
        #expect(try pauses(same)?["score"]?.double == 100)
        #expect(try pauses(same)?["feedback"] == .string("쉬는 곳이 원어민과 같아요."))

        let none = "[" + word + "]"
        if studentPauses > 0 {
            #expect(try pauses(none)?["score"]?.double == 0)
            #expect(try pauses(none)?["feedback"] == .string("쉬는 횟수를 줄여 보세요. 원어민은 쉬지 않았는데 \(studentPauses)번 쉬었어요."))
        }
        let more = "[" + ([word] + Array(repeating: pause, count: studentPauses + 2)).joined(separator: ",") + "]"
        let expected = Double(Int((1000.0 * Double(studentPauses) / Double(studentPauses + 2)).rounded())) / 10
        #expect(try pauses(more)?["score"]?.double == expected)
    }

    @Test func stress_comparesWordByWordWithTheReference() throws {
        let goldText = "Wow check out this castle"
        let json = try body(.pronunciationSimple, form(options: optionsJSON(goldText)), audioSeconds: 3)
        let student = json["user_speech_components"]?.items.map { (word: $0["word"]?.stringValue ?? "", stressed: $0["is_stressed"]?.bool ?? false) } ?? []

        func reference(_ stresses: [Bool]) -> String {
            "[" + zip(student, stresses).enumerated().map { i, pair in
                #"{"type":"word","word":"\#(pair.0.word)","start":\#(i),"end":\#(i + 1),"is_stressed":\#(pair.1)}"#
            }.joined(separator: ",") + "]"
        }
        let matching = try body(.pronunciation, form(options: optionsJSON(goldText), native: reference(student.map(\.stressed))), audioSeconds: 3)
        #expect(matching["stress"]?["score"]?.double == 100)
        #expect(matching["stress"]?["feedback"] == .string("강세가 원어민과 같아요."))

        var flipped = student.map(\.stressed)
        flipped[1].toggle()
        let oneOff = try body(.pronunciation, form(options: optionsJSON(goldText), native: reference(flipped)), audioSeconds: 3)
        #expect(oneOff["stress"]?["score"]?.double == 80)
        let expected = student[1].stressed
            ? "\"check\"에 강세를 두지 마세요. 원어민은 가볍게 말해요."
            : "원어민처럼 \"check\"에 강세를 더 주세요."
        #expect(oneOff["stress"]?["feedback"] == .string(expected))
    }

    @Test func pronunciationFeedback_isKoreanOnPronunciation() throws {
        let native = try nativeComponentsJSON(sampleGoldText, audioSeconds: 2.5)
        let json = try body(.pronunciation, form(options: optionsJSON(sampleGoldText), native: native), audioSeconds: 2.5)
        for dimension in ["pronunciation", "stress", "pause", "speed"] {
            #expect(json[dimension]?["feedback"]?.stringValue?.unicodeScalars.contains { (0xAC00...0xD7A3).contains($0.value) } == true)
        }
    }
}
