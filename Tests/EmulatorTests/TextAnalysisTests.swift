import Testing
@testable import ThetaConsole

@Suite struct TextAnalysisTests {
    @Test func goldText_stripsPunctuationFromWordEdgesOnly() {
        let text = GoldText(#"  "Wow," she said — don't stop… (3.5%)  "#)
        #expect(text.words.map(\.text) == ["Wow", "she", "said", "don't", "stop", "3.5"])
        #expect(text.words.map(\.pauseAfter) == [.short, nil, .short, nil, .long, nil])
    }

    @Test func goldText_splitsOnAnyWhitespace() {
        #expect(GoldText("one\ttwo\nthree\u{3000}four").words.map(\.text) == ["one", "two", "three", "four"])
    }

    @Test(arguments: [
        ("castle", ["cas", "tle"]), ("Welcome", ["Wel", "come"]), ("check", ["check"]), ("table", ["ta", "ble"]),
        ("mother", ["mo", "ther"]), ("chicken", ["chick", "en"]), ("the", ["the"]), ("rhythm", ["rhythm"]),
        ("Theta", ["The", "ta"]), ("extraordinarily", ["ex", "traor", "di", "na", "ri", "ly"]), ("42", ["42"]),
        ("학교", ["학", "교"]), ("don't", ["don't"]),
    ])
    func syllables_splitAtVowelGroups(word: String, expected: [String]) {
        #expect(Syllabifier.syllables(of: word).map(\.text) == expected)
    }

    @Test func phonemes_areSpellingUnits() {
        #expect(Syllabifier.syllables(of: "check").flatMap(\.phonemes) == ["ch", "e", "ck"])
        #expect(Syllabifier.syllables(of: "Queen").flatMap(\.phonemes) == ["qu", "ee", "n"])
        #expect(Syllabifier.syllables(of: "bell").flatMap(\.phonemes) == ["b", "e", "l"])
        #expect(Syllabifier.syllables(of: "hello").map(\.phonemes) == [["h", "e", "l"], ["l", "o"]])
        #expect(Syllabifier.syllables(of: "값").flatMap(\.phonemes) == ["ㄱ", "ㅏ", "ㅄ"])
        #expect(Syllabifier.syllables(of: "아").flatMap(\.phonemes) == ["ㅏ"])
    }

    @Test func everySyllable_hasAPhonemeAndAWeight() {
        for word in ["a", "I", "'", "x'y", "ß", "ǅ", "naïve", "學校", "e-mail", "학'교", "🙂a"] {
            for syllable in Syllabifier.syllables(of: word) {
                #expect(!syllable.phonemes.isEmpty, "\(word)")
                #expect(syllable.weight >= 1, "\(word)")
            }
        }
    }

    @Test func fnv1a_matchesTheReferenceVectors() {
        #expect(StableHash.fnv1a([]) == 0xCBF2_9CE4_8422_2325)
        #expect(StableHash.fnv1a(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C)
        #expect(StableHash.fnv1a(Array("foobar".utf8)) == 0x8594_4171_F739_67E8)
    }

    @Test func divide_coversTheRangeInOrder() {
        for total in [0, 1, 7, 100, 12_345] {
            let pieces = SpeechRenderer.divide(10..<(10 + total), weights: [3, 1, 0, 8, 2])
            #expect(pieces.first?.lowerBound == 10)
            #expect(pieces.last?.upperBound == 10 + total)
            for (a, b) in zip(pieces, pieces.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        }
    }
}
