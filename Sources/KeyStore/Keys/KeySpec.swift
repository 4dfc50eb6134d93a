import FoundationEssentials

/// A validated request for a new key; shared by the admin API and the CLI so both enforce one rule set.
public struct KeySpec: Sendable, Equatable {
    public static let maxNameLength = 100
    public static let defaultMaxRPM = 100

    public let name: String
    /// Whole seconds, as stored; nil for a key that never expires.
    public let expiresAt: Date?
    public let rateLimitRPM: Int
    /// Where the key may be used from; empty allows every address.
    public let allowedCIDRs: [CIDR]

    /// An unchecked spec; input from users goes through `validate` instead.
    public init(name: String, expiresAt: Date? = nil, rateLimitRPM: Int = KeySpec.defaultMaxRPM, allowedCIDRs: [CIDR] = []) {
        self.name = name
        self.expiresAt = expiresAt?.wholeSeconds
        self.rateLimitRPM = rateLimitRPM
        self.allowedCIDRs = allowedCIDRs
    }

    /// Checks raw request fields and returns a spec, or the first rule broken (name, then expires_at, then rpm).
    ///
    /// - `name`: required; trimmed; 1…100 code points; no control characters (Cc), line/paragraph
    ///   separators or bidi overrides, which could disguise a name in a log or a terminal; no other
    ///   invisible character (Cf, default-ignorable), which could make two names look the same.
    /// - `expiresAt`: RFC 3339 date-time, or `YYYY-MM-DD` meaning the end of that day UTC
    ///   (the next day's 00:00:00Z); stored in whole seconds and must then still be after `now`.
    /// - `rateLimitRPM`: 1…`maxRPM`; absent means min(100, maxRPM).
    /// - `allowedCIDRs`: at most 32 CIDRs, each strictly parsed (host bits must be zero); repeats
    ///   are kept once.
    public static func validate(
        name: String?, expiresAt: String?, rateLimitRPM: Int?, allowedCIDRs: [String]? = nil, now: Date,
        maxRPM: Int = defaultMaxRPM
    ) throws(KeySpecError) -> KeySpec {
        precondition(maxRPM >= 1, "maxRPM must be at least 1; the configuration should have refused it")
        guard let name else { throw .nameRequired }
        let trimmed = name.trimmingWhitespaceAndNewlines()
        // Counted in Unicode code points, as JSON Schema's maxLength counts (documented in openapi.yaml).
        guard (1...maxNameLength).contains(trimmed.unicodeScalars.count) else { throw .nameLength }
        guard !trimmed.unicodeScalars.contains(where: isForbiddenInName) else { throw .nameControlCharacters }
        if let invisible = firstInvisible(in: trimmed) { throw .nameInvisible(invisible) }

        var expiry: Date?
        if let expiresAt {
            guard let parsed = RFC3339.date(from: expiresAt)
                ?? RFC3339.startOfDay(from: expiresAt).map({ $0.addingTimeInterval(86_400) })
            else { throw .expiresAtFormat }
            // Compare what will be stored: a fraction of a second ahead would read back as already expired.
            guard parsed.wholeSeconds > now else { throw .expiresAtPast }
            // `9999-12-31` ends at the start of year 10000, which RFC 3339 cannot write.
            guard parsed <= RFC3339.latest else { throw .expiresAtRange }
            expiry = parsed
        }

        let rpm = rateLimitRPM ?? min(defaultMaxRPM, maxRPM)
        guard (1...maxRPM).contains(rpm) else { throw .rateLimitRange(maxRPM: maxRPM) }

        var cidrs: [CIDR] = []
        let entries = allowedCIDRs ?? []
        guard entries.count <= CIDR.maxPerKey else { throw .allowedCIDRsCount }
        for (index, entry) in entries.enumerated() {
            let cidr: CIDR
            do {
                cidr = try CIDR(parsing: entry)
            } catch {
                throw KeySpecError(field: "allowed_cidrs", message: "allowed_cidrs[\(index)]: \(error.reason)")
            }
            if !cidrs.contains(cidr) { cidrs.append(cidr) }
        }
        return KeySpec(name: trimmed, expiresAt: expiry, rateLimitRPM: rpm, allowedCIDRs: cidrs)
    }

    /// The first format character (General Category Cf) or other default-ignorable code point (a
    /// variation selector, a Hangul filler), which draw nothing, so two names that look the same
    /// could differ. Emoji keep what makes them: U+FE0E/U+FE0F after an emoji, and U+200D ZERO WIDTH
    /// JOINER between two emoji (a presentation selector or skin tone may come between).
    static func firstInvisible(in name: String) -> Unicode.Scalar? {
        let scalars = Array(name.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            guard scalar.value >= 0xAD else { continue }  // the ASCII and Latin-1 fast path (U+00AD is the first Cf)
            let properties = scalar.properties
            guard properties.generalCategory == .format || properties.isDefaultIgnorableCodePoint else { continue }
            let previous = index > 0 ? scalars[index - 1] : nil
            switch scalar.value {
            case 0xFE0E where previous?.properties.isEmoji == true, 0xFE0F where previous?.properties.isEmoji == true:
                continue
            case 0x200D where index + 1 < scalars.count && scalars[index + 1].properties.isEmoji
                && scalars[..<index].last(where: { !isEmojiDecoration($0) })?.properties.isEmoji == true:
                continue
            default:
                return scalar
            }
        }
        return nil
    }

    private static func isEmojiDecoration(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0xFE0F || scalar.properties.isEmojiModifier
    }

    private static func isForbiddenInName(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x2028, 0x2029: true  // line and paragraph separators (Zl, Zp)
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidi embeddings, overrides and isolates
        default: scalar.properties.generalCategory == .control
        }
    }
}
