/// Credits as integer micro-credits (1 credit = 1,000,000 micro-credits), written and read as exact
/// decimals, so no floating-point rounding ever touches a balance.
public enum Credits {
    public static let microPerCredit: Int64 = 1_000_000

    /// `200000` → `"0.2"`, `-400` → `"-0.0004"`, `5000000` → `"5"`: a JSON number, exactly.
    public static func format(micro: Int64) -> String {
        var bytes: [UInt8] = []
        append(micro: micro, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `format(micro:)` appended to `bytes` as UTF-8, for writers that build bytes (a usage answer
    /// writes one per bucket). Integer arithmetic only: no trailing zeros to strip from a string.
    public static func append(micro: Int64, to bytes: inout [UInt8]) {
        if micro < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = micro.magnitude
        bytes.append(contentsOf: String(magnitude / UInt64(microPerCredit)).utf8)
        var fraction = magnitude % UInt64(microPerCredit)
        guard fraction != 0 else { return }
        var digits = 6
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        var scale: UInt64 = 1
        for _ in 1..<digits { scale *= 10 }
        while scale > 0 {  // `digits` digits, leading zeros included
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / scale % 10))
            scale /= 10
        }
    }

    /// Parses a decimal like `12.5`, `-0.0004` or `1e-05` (JSON number syntax) exactly: at most 6
    /// decimals once the exponent is applied, within ±1e12 credits. Anything else is nil.
    public static func parse(_ text: String) -> Int64? {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var expText = rest[rest.index(after: e)...]
            let expNegative = expText.first == "-"
            if expText.first == "-" || expText.first == "+" { expText = expText.dropFirst() }
            guard !expText.isEmpty, expText.allSatisfy(\.isASCIIDigit) else { return nil }
            // Leading zeros are allowed (JSON allows them in an exponent); past 9999 only zero can fit.
            let significant = expText.drop { $0 == "0" }
            exponent = significant.count > 4 ? 99_999 : (Int(significant) ?? 0)
            if expNegative { exponent = -exponent }
            rest = rest[..<e]
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit),
              parts.count == 1 || !fraction.isEmpty else { return nil }
        // The number is digits × 10^(exponent − fraction digits); in micro-credits, × 10^6 more.
        var digits = Array((whole + fraction).drop { $0 == "0" })
        if digits.isEmpty { return 0 }  // zero, whatever its exponent
        var scale = exponent - fraction.count + 6
        while scale < 0 {
            guard let last = digits.last else { return 0 }
            guard last == "0" else { return nil }  // more than 6 decimals
            digits.removeLast()
            scale += 1
        }
        // 1e12 credits is 1e18 micro-credits: 19 digits. Anything longer is out of range.
        guard digits.count + scale <= 19 else { return nil }
        var micro: Int64 = 0
        for digit in digits + Array(repeating: "0", count: scale) {
            let (times10, o1) = micro.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(digit.asciiValue! - 48))
            guard !o1, !o2 else { return nil }
            micro = next
        }
        guard micro <= 1_000_000_000_000 * microPerCredit else { return nil }
        return negative ? -micro : micro
    }

}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
