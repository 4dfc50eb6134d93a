import Testing
@testable import ThetaConsole

/// Checks the documented word item and the emulator's syllable and phoneme shape, recursively,
/// and that every time lies in `bounds` and runs forwards.
func checkWord(_ item: JSONValue, within bounds: ClosedRange<Double>, correctness: Bool? = nil) {
    #expect(item.keys == ["type", "word", "start", "end", "score", "is_correct", "is_stressed", "feedback", "syllables"])
    #expect(item["type"] == .string("word"))
    guard let start = item["start"]?.double, let end = item["end"]?.double else {
        Issue.record("word times are not numbers")
        return
    }
    #expect(bounds.contains(start) && bounds.contains(end) && start <= end)
    #expect(item["is_correct"]?.bool != nil)
    #expect(item["is_stressed"]?.bool != nil)
    let feedback = item["feedback"]
    #expect(feedback == .null || feedback?.stringValue != nil)
    if item["is_correct"] == .bool(true) { #expect(feedback == .null) }
    checkScore(item["score"])
    var cursor = start
    let syllables = item["syllables"]?.items ?? []
    #expect(!syllables.isEmpty)
    for syllable in syllables {
        #expect(syllable.keys == ["text", "start", "end", "score", "is_stressed", "phonemes"])
        #expect(syllable["text"]?.stringValue?.isEmpty == false)
        let s = syllable["start"]?.double ?? -1, e = syllable["end"]?.double ?? -1
        #expect(s == cursor && s <= e && e <= end)
        cursor = e
        checkScore(syllable["score"])
        #expect(syllable["is_stressed"]?.bool != nil)
        let phonemes = syllable["phonemes"]?.items ?? []
        #expect(!phonemes.isEmpty)
        var inner = s
        for phoneme in phonemes {
            #expect(phoneme.keys == ["phoneme", "start", "end", "score", "is_stressed"])
            #expect(phoneme["phoneme"]?.stringValue?.isEmpty == false)
            let ps = phoneme["start"]?.double ?? -1, pe = phoneme["end"]?.double ?? -1
            #expect(ps == inner && ps <= pe && pe <= e)
            inner = pe
            checkScore(phoneme["score"])
            #expect(phoneme["is_stressed"]?.bool != nil)
        }
        #expect(inner == e)
    }
    #expect(cursor == end)
}

/// A score is a number from 0 to 100 printed with exactly one decimal.
func checkScore(_ value: JSONValue?) {
    guard let text = value?.numberText, let score = Double(text) else {
        Issue.record("score is not a number: \(String(describing: value))")
        return
    }
    #expect((0...100).contains(score))
    #expect(text.split(separator: ".").last?.count == 1, "\(text)")
}

/// Times are printed with exactly two decimals.
func checkTimesHaveTwoDecimals(_ value: JSONValue) {
    switch value {
    case .object(let members):
        for (name, member) in members {
            if name == "start" || name == "end" {
                #expect(member.numberText?.split(separator: ".").last?.count == 2, "\(name): \(member)")
            }
            checkTimesHaveTwoDecimals(member)
        }
    case .array(let items): items.forEach(checkTimesHaveTwoDecimals)
    default: break
    }
}

@Suite struct AnalyzeNativeResponseTests {
    @Test func analyzeNative_hasOnlySpeechComponents() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON(sampleGoldText)), audioSeconds: 2.5)
        #expect(json.keys == ["speech_components"])
    }

    @Test(arguments: [sampleGoldText, "Hello", "It's 3.5 o'clock -- isn't it?", "학교에 갑니다", "Don't   stop   me   now"])
    func analyzeNativeWords_areGoldTextWordsInOrder_withPunctuationStripped(goldText: String) throws {
        let json = try body(.analyzeNative, form(options: optionsJSON(goldText)), audioSeconds: 4)
        let words = json["speech_components"]?.items.filter { $0["type"] == .string("word") }.compactMap { $0["word"]?.stringValue }
        #expect(words == GoldText(goldText).words.map(\.text))
    }

    @Test func sampleSentence_hasTheExpectedWordsAndPause() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON(sampleGoldText)), audioSeconds: 2.5)
        let items = json["speech_components"]?.items ?? []
        let summary = items.map { $0["type"] == .string("pause") ? "|" : $0["word"]?.stringValue ?? "?" }
        #expect(summary == ["Wow", "|", "check", "out", "this", "castle"])
        #expect(items[1].keys == ["type", "start", "end", "is_long"])
        #expect(items[1]["is_long"] == .bool(false))
    }

    @Test(arguments: [1.2, 2.5, 9.99, 61.7, 3600])
    func analyzeNativeTimes_runForwardWithinTheAudio(seconds: Double) throws {
        let goldText = "One, two. Three; four five! Six"
        let json = try body(.analyzeNative, form(options: optionsJSON(goldText)), audioSeconds: seconds)
        let items = json["speech_components"]?.items ?? []
        var previousEnd = 0.0
        for item in items {
            let start = try #require(item["start"]?.double), end = try #require(item["end"]?.double)
            #expect(start == previousEnd || previousEnd == 0, "items are contiguous")
            #expect(start >= previousEnd && start <= end && end <= seconds)
            previousEnd = end
            if item["type"] == .string("word") { checkWord(item, within: 0...seconds) }
        }
        // A little silence at each end, as a real recording has.
        let first = try #require(items.first?["start"]?.double), last = try #require(items.last?["end"]?.double)
        #expect(first > 0 && last < seconds)
        checkTimesHaveTwoDecimals(json)
    }

    @Test func pauses_standWhereThePunctuationIs_longAfterSentenceEnds() throws {
        let goldText = "One, two. Three; four five! \"Six\" (seven) eight — nine… ten"
        let json = try body(.analyzeNative, form(options: optionsJSON(goldText)), audioSeconds: 8)
        let summary = (json["speech_components"]?.items ?? []).map { item -> String in
            if item["type"] == .string("pause") { return item["is_long"] == .bool(true) ? "||" : "|" }
            return item["word"]?.stringValue ?? "?"
        }
        #expect(summary == ["One", "|", "two", "||", "Three", "|", "four", "five", "||", "Six", "|", "seven", "|", "eight", "|", "nine", "||", "ten"])
    }

    @Test func longerWords_takeLonger() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON("a extraordinarily")), audioSeconds: 2)
        let words = json["speech_components"]?.items ?? []
        let length = words.map { ($0["end"]?.double ?? 0) - ($0["start"]?.double ?? 0) }
        #expect(length[1] > 5 * length[0])
    }

    @Test func nativeReference_isAllCorrectWithHighScores() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON("The quick brown fox jumps over the lazy dog.")), audioSeconds: 4)
        for word in json["speech_components"]?.items ?? [] {
            #expect(word["is_correct"] == .bool(true))
            #expect(word["feedback"] == .null)
            #expect((word["score"]?.double ?? 0) >= 90)
        }
    }

    @Test func functionWords_areUnstressed_contentWordsStressedOnTheirFirstSyllable() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON("Welcome to the castle")), audioSeconds: 3)
        let words = json["speech_components"]?.items ?? []
        #expect(words.map { $0["is_stressed"] } == [.bool(true), .bool(false), .bool(false), .bool(true)])
        let welcome = words[0]["syllables"]?.items ?? []
        #expect(welcome.map { $0["text"] } == [.string("Wel"), .string("come")])
        #expect(welcome.map { $0["is_stressed"] } == [.bool(true), .bool(false)])
        let phonemes = welcome[0]["phonemes"]?.items ?? []
        #expect(phonemes.map { $0["phoneme"] } == [.string("w"), .string("e"), .string("l")])
        #expect(phonemes.map { $0["is_stressed"] } == [.bool(false), .bool(true), .bool(false)])
    }

    @Test func koreanWords_haveOneSyllablePerBlock_andJamoPhonemes() throws {
        let json = try body(.analyzeNative, form(options: optionsJSON("학교에 갑니다.")), audioSeconds: 2)
        let words = json["speech_components"]?.items ?? []
        #expect(words.count == 2)
        let syllables = words[0]["syllables"]?.items ?? []
        #expect(syllables.map { $0["text"] } == [.string("학"), .string("교"), .string("에")])
        #expect(syllables[0]["phonemes"]?.items.map { $0["phoneme"] } == [.string("ㅎ"), .string("ㅏ"), .string("ㄱ")])
        // The initial ㅇ is silent, so 에 has one phoneme.
        #expect(syllables[2]["phonemes"]?.items.map { $0["phoneme"] } == [.string("ㅔ")])
    }
}
