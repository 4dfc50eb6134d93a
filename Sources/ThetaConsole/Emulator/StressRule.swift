/// Which words and syllables carry stress, by a simple rule: every word except common English
/// function words is stressed, on its first syllable, and within that syllable on its vowel.
enum StressRule {
    static let functionWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "from",
        "with", "as", "is", "am", "are", "was", "were", "be", "been", "it", "its", "than",
    ]

    static func isStressed(_ word: String) -> Bool {
        !functionWords.contains(word.lowercased())
    }

    /// The index of the stressed syllable of a stressed word.
    static let stressedSyllable = 0
}
