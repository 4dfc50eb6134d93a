import Foundation
import KeyStore
import Testing

/// `Whitespace` replaces Foundation's `trimmingCharacters(in:)` so the server need not link
/// Foundation; these tests hold it to Foundation's own answers, scalar by scalar.
@Suite struct WhitespaceTests {
    /// Every scalar of the BMP and the first supplementary plane, classified as Foundation does.
    @Test func classification_matchesFoundationsCharacterSets() {
        var whitespace = 0
        var mismatches: [String] = []
        for value in UInt32(0)...0x1FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if Whitespace.isWhitespace(scalar) { whitespace += 1 }
            if Whitespace.isWhitespace(scalar) != CharacterSet.whitespaces.contains(scalar)
                || Whitespace.isWhitespaceOrNewline(scalar) != CharacterSet.whitespacesAndNewlines.contains(scalar) {
                mismatches.append("U+" + String(value, radix: 16, uppercase: true))
            }
        }
        #expect(mismatches == [])
        #expect(whitespace > 15, "the sets are not trivially empty")
    }

    @Test(arguments: [
        "", " ", "\t\t", "a", " a ", "\u{3000}名前\u{00A0}", "\u{2028}x\u{2029}", "x\r\n", "\u{200B}zero width\u{200B}",
        "e\u{301} ", " \u{301}e", "\u{FEFF}bom", "a b\tc", "\u{85}next line\u{85}", "\u{1680}ogham\u{202F}",
    ])
    func trimming_matchesFoundation(_ text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        let sub = Substring(text)
        #expect(sub.trimmingWhitespace() == sub.trimmingCharacters(in: .whitespaces))
    }
}
