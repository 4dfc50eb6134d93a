/// How far ahead to look for keys about to expire: `expiring_within` in the API, `--expiring-within`
/// in the CLI. Both parse it here, so they accept exactly the same text.
public struct ExpiryWindow: Sendable, Equatable {
    /// Ten years, the same reach as the fake clock's largest single step.
    public static let maxSeconds: Int64 = 3650 * 86_400

    /// The window's length in whole seconds, 1…`maxSeconds`.
    public let seconds: Int64

    /// Nil outside 1…`maxSeconds`.
    public init?(seconds: Int64) {
        guard (1...Self.maxSeconds).contains(seconds) else { return nil }
        self.seconds = seconds
    }

    /// `7d`, `36h`, `90m`, `600s`: ASCII digits, then one lowercase unit; nil for anything else,
    /// including zero and more than 3650 days.
    public init?(parsing text: String) {
        guard let unit = text.utf8.last, text.utf8.count >= 2 else { return nil }
        let multiplier: Int64
        switch unit {
        case UInt8(ascii: "s"): multiplier = 1
        case UInt8(ascii: "m"): multiplier = 60
        case UInt8(ascii: "h"): multiplier = 3600
        case UInt8(ascii: "d"): multiplier = 86_400
        default: return nil
        }
        let digits = text.utf8.dropLast()
        // Int64(_:) alone would also take a leading "+" or "-".
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }), let count = Int64(String(decoding: digits, as: UTF8.self)),
              count <= Self.maxSeconds / multiplier
        else { return nil }
        self.init(seconds: count * multiplier)
    }

    /// The rule, for a 422 or a usage error that names the parameter.
    public static func rule(for parameter: String) -> String {
        "\(parameter) must be a whole number followed by s, m, h or d (e.g. 7d), from 1s to 3650d"
    }
}
