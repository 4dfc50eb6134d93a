/// Splits a word into syllables and each syllable into phonemes, by spelling alone.
///
/// This is a plausible stand-in, not phonology. Each precomposed Hangul block is one syllable whose
/// phonemes are its jamo (a silent initial ㅇ left out). Other script is split at vowel groups:
/// one consonant between two vowels starts the next syllable ("ba-con"), two or more are split after the first
/// ("cas-tle"), a digraph such as "th" stays together ("mo-ther"), a final silent "e" makes no
/// syllable ("wel-come"), and a consonant before a final "le" begins it ("ta-ble"). Its phonemes
/// are spelling units: a letter, a digraph ("th", "ee", "ng"), or a doubled consonant ("ll" → "l").
enum Syllabifier {
    struct Syllable: Sendable, Equatable {
        /// The syllable as written in the word.
        var text: String
        /// The phonemes, lowercased.
        var phonemes: [String]
        /// The index in `phonemes` of the vowel at its core, if it has one.
        var nucleus: Int?
        /// Relative spoken length: letters and digits count 1, a Hangul block 3.
        var weight: Int
    }

    static func syllables(of word: String) -> [Syllable] {
        var result: [Syllable] = []
        var run: [Character] = []
        func flush() {
            guard !run.isEmpty else { return }
            if run.contains(where: GoldText.isWordCharacter) || result.isEmpty {
                result += alphabetic(run)
            } else {
                // An apostrophe or hyphen between two Hangul blocks: no sound, so no syllable.
                result[result.count - 1].text += String(run)
            }
            run = []
        }
        for character in word {
            if let block = hangul(character) {
                flush()
                result.append(block)
            } else {
                run.append(character)
            }
        }
        flush()
        return result
    }

    // MARK: Hangul

    private static let initials = ["ㄱ", "ㄲ", "ㄴ", "ㄷ", "ㄸ", "ㄹ", "ㅁ", "ㅂ", "ㅃ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅉ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]
    private static let medials = ["ㅏ", "ㅐ", "ㅑ", "ㅒ", "ㅓ", "ㅔ", "ㅕ", "ㅖ", "ㅗ", "ㅘ", "ㅙ", "ㅚ", "ㅛ", "ㅜ", "ㅝ", "ㅞ", "ㅟ", "ㅠ", "ㅡ", "ㅢ", "ㅣ"]
    private static let finals = ["", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]
    private static let silentInitial = 11 // ㅇ

    /// A precomposed Hangul syllable block (U+AC00…U+D7A3), decomposed by the Unicode formula.
    private static func hangul(_ character: Character) -> Syllable? {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let value = scalars.first?.value, (0xAC00...0xD7A3).contains(value) else { return nil }
        let index = Int(value - 0xAC00)
        let initial = index / 588, medial = index % 588 / 28, final = index % 28
        var phonemes: [String] = []
        if initial != silentInitial { phonemes.append(initials[initial]) }
        let nucleus = phonemes.count
        phonemes.append(medials[medial])
        if final != 0 { phonemes.append(finals[final]) }
        return Syllable(text: String(character), phonemes: phonemes, nucleus: nucleus, weight: 3)
    }

    // MARK: Alphabetic scripts

    private static let vowels: Set<String> = Set("aeiouàáâäãåāèéêëēìíîïīòóôöõøōùúûüūýÿæœ".map { String($0) })
    private static let vowelDigraphs: Set<String> = ["ee", "oo", "ea", "ai", "ay", "oa", "ou", "ow", "oi", "oy", "au", "aw", "ie", "ei", "ey", "ue"]
    private static let consonantDigraphs: Set<String> = ["ch", "sh", "th", "ph", "wh", "ck", "ng", "qu"]
    /// Digraphs that start the next syllable rather than close this one.
    private static let onsetDigraphs: Set<String> = ["ch", "sh", "th", "ph", "wh"]
    /// Digraphs that close this syllable rather than start the next one.
    private static let codaDigraphs: Set<String> = ["ck", "ng"]

    private static func alphabetic(_ characters: [Character]) -> [Syllable] {
        let count = characters.count
        let lower = characters.map { $0.lowercased() }
        let isLetter = characters.map(\.isLetter)
        var isVowel = [Bool](repeating: false, count: count)
        for i in 0..<count {
            // "y" is a vowel after a consonant ("my", "happy", "rhythm"), a consonant otherwise ("yes").
            isVowel[i] = vowels.contains(lower[i]) || (lower[i] == "y" && i > 0 && isLetter[i - 1] && !isVowel[i - 1])
        }

        // A final "e" after a consonant is silent when another vowel carries the word ("welcome"),
        // unless it ends "-le" after a consonant ("castle", "table"), where it is a syllable.
        var silent: Int?
        var syllabicLE = false
        if count >= 3, lower[count - 1] == "e", isLetter[count - 2], !isVowel[count - 2], isVowel[..<(count - 2)].contains(true) {
            if lower[count - 2] == "l", count >= 4, isLetter[count - 3], !isVowel[count - 3] {
                syllabicLE = true
            } else {
                silent = count - 1
                isVowel[count - 1] = false
            }
        }

        var groups: [Range<Int>] = []
        var i = 0
        while i < count {
            guard isVowel[i] else { i += 1; continue }
            let start = i
            while i < count && isVowel[i] { i += 1 }
            groups.append(start..<i)
        }

        var bounds = [0]
        for k in 1..<max(groups.count, 1) {
            let gap = groups[k - 1].upperBound..<groups[k].lowerBound
            var cut: Int
            if syllabicLE && k == groups.count - 1 && gap.count >= 2 {
                cut = count - 3
            } else if gap.count <= 1 {
                cut = gap.lowerBound
            } else if onsetDigraphs.contains(lower[gap.upperBound - 2] + lower[gap.upperBound - 1]) {
                cut = gap.upperBound - 2
            } else if codaDigraphs.contains(lower[gap.lowerBound] + lower[gap.lowerBound + 1]) {
                cut = gap.lowerBound + 2
            } else {
                cut = gap.lowerBound + 1
            }
            cut = min(max(cut, gap.lowerBound, bounds[bounds.count - 1] + 1), gap.upperBound)
            bounds.append(cut)
        }
        bounds.append(count)

        return (1..<bounds.count).map { k in
            let range = bounds[k - 1]..<bounds[k]
            var phonemes: [String] = []
            var nucleus: Int?
            var j = range.lowerBound
            while j < range.upperBound {
                guard j != silent, GoldText.isWordCharacter(characters[j]) else { j += 1; continue }
                var unit = lower[j]
                var width = 1
                if j + 1 < range.upperBound, j + 1 != silent, isLetter[j], isLetter[j + 1] {
                    let pair = lower[j] + lower[j + 1]
                    if vowelDigraphs.contains(pair) || consonantDigraphs.contains(pair) {
                        unit = pair
                        width = 2
                    } else if lower[j] == lower[j + 1] && !isVowel[j] {
                        width = 2 // a doubled consonant is one sound
                    }
                }
                if nucleus == nil && isVowel[j] { nucleus = phonemes.count }
                phonemes.append(unit)
                j += width
            }
            let text = String(characters[range])
            if phonemes.isEmpty { phonemes = [text.lowercased()] }
            let weight = characters[range].filter(GoldText.isWordCharacter).count
            return Syllable(text: text, phonemes: phonemes, nucleus: nucleus, weight: max(weight, 1))
        }
    }
}
