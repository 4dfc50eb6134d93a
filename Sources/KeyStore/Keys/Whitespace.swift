/// Trimming with the same sets as Foundation's `CharacterSet.whitespaces` and
/// `.whitespacesAndNewlines`, without linking Foundation (whose `trimmingCharacters` goes through
/// `NSString` and pulls in ICU): whitespace is U+0009, General Category Zs, and U+200B ZERO WIDTH
/// SPACE (Zs in old Unicode versions, which Foundation's set still includes); newlines are
/// U+000A–U+000D, U+0085, U+2028 and U+2029. Trimming is by Unicode scalar, as Foundation's is.
/// WhitespaceTests compares every scalar up to U+1FFFF with Foundation's sets.
public enum Whitespace {
    public static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == " " || scalar == "\u{200B}"
            || (scalar.value >= 0x80 && scalar.properties.generalCategory == .spaceSeparator)
    }

    public static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    public static func isWhitespaceOrNewline(_ scalar: Unicode.Scalar) -> Bool {
        isWhitespace(scalar) || isNewline(scalar)
    }
}

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`.
    public func trimmingWhitespace() -> String {
        trimming(Whitespace.isWhitespace)
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`.
    public func trimmingWhitespaceAndNewlines() -> String {
        trimming(Whitespace.isWhitespaceOrNewline)
    }

    private func trimming(_ trimmed: (Unicode.Scalar) -> Bool) -> String {
        // The usual case, by byte: ASCII at both ends that is not trimmed means nothing to trim
        // (every other scalar in these sets starts with a byte >= 0x80). An API key header takes
        // this path on every request.
        let string = String(self)
        if let first = string.utf8.first, let last = string.utf8.last, first < 0x80, last < 0x80,
           !trimmed(Unicode.Scalar(first)), !trimmed(Unicode.Scalar(last)) {
            return string
        }
        let scalars = string.unicodeScalars
        guard let first = scalars.firstIndex(where: { !trimmed($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !trimmed($0) })!
        // Usual case: nothing to trim.
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return string }
        return String(Substring(scalars[first...last]))
    }
}
