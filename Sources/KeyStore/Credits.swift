/// Credits as integer micro-credits (1 credit = 1,000,000 micro-credits), written and read as exact
/// decimals, so no floating-point rounding ever touches a balance.
public enum Credits {
    public static let microPerCredit: Int64 = 1_000_000

    /// `200000` → `"0.2"`, `-400` → `"-0.0004"`, `5000000` → `"5"`: a JSON number, exactly.
    public static func format(micro: Int64) -> String {
        let negative = micro < 0
        let magnitude = micro.magnitude
        let whole = magnitude / UInt64(microPerCredit)
        var fraction = String(magnitude % UInt64(microPerCredit))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// Parses a decimal like `12.5` or `-0.0004` (at most 6 decimals, within ±1e12 credits).
    public static func parse(_ text: String) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.count <= 12,
              wholeText.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int64(wholeText) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let fractionText = parts[1]
            guard !fractionText.isEmpty, fractionText.count <= 6, fractionText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int64(fractionText) else { return nil }
            fraction = value * Int64(pow10(6 - fractionText.count))
        }
        let micro = whole * microPerCredit + fraction
        return negative ? -micro : micro
    }

    private static func pow10(_ n: Int) -> Int {
        (0..<n).reduce(1) { value, _ in value * 10 }
    }
}
