import JSONText

/// Writes JSON objects field by field into bytes, in the order given. Faster and more predictable
/// than JSONEncoder for the few flat shapes this API returns.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init() {
        bytes.reserveCapacity(256)
    }

    /// Room for `count` bytes, for an answer whose size is known roughly in advance.
    public mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(count)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    public mutating func beginArray(_ name: String? = nil) {
        if let name { key(name) } else { separate() }
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    public mutating func beginObject(_ name: String) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONString.append(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }

    public mutating func field(_ name: String, _ value: Int?) {
        key(name)
        bytes.append(contentsOf: (value.map(String.init) ?? "null").utf8)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number written exactly as given (already formatted, e.g. "0.0004").
    public mutating func field(_ name: String, raw: String) {
        key(name)
        bytes.append(contentsOf: raw.utf8)
    }

    /// An array element written exactly as given: bytes that are already JSON.
    public mutating func value(raw json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    public mutating func value(_ string: String) {
        separate()
        JSONString.append(string, to: &bytes)
    }

    private mutating func key(_ name: String) {
        separate()
        JSONString.append(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func separate() {
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }
}

// MARK: - Fixed-point numbers

extension JSONWriter {
    /// A number with exactly `decimals` digits after the point (`95.0`, `0.30`), or null when absent
    /// or not finite.
    public mutating func field(_ name: String, _ value: Double?, decimals: Int) {
        field(name, raw: value.flatMap { Self.fixed($0, decimals: decimals) } ?? "null")
    }

    /// A null member, e.g. `"stress": null`.
    public mutating func nullField(_ name: String) {
        field(name, raw: "null")
    }

    /// `value` in plain decimal notation with exactly `decimals` (0...17) fraction digits, rounded
    /// half away from zero on its shortest decimal form, so 0.285 gives "0.29" and 0.1 + 0.2 gives
    /// "0.30", on every platform and in every locale. Nil for infinities and NaN, which JSON lacks.
    public static func fixed(_ value: Double, decimals: Int) -> String? {
        precondition((0...17).contains(decimals), "decimals out of range")
        guard value.isFinite else { return nil }
        return fastFixed(value, decimals: decimals) ?? slowFixed(value, decimals: decimals)
    }

    /// `fixed` by integer arithmetic (every response carries `response_time_in_sec`; the digit-by-digit
    /// path was 3.8% of an accepted request). Nil when it could disagree with `slowFixed`: values too
    /// large for the scaled product to be exact to well under 0.001, or within 0.001 of a rounding
    /// boundary, where rounding the binary value and rounding its shortest decimal form can differ.
    static func fastFixed(_ value: Double, decimals: Int) -> String? {
        guard decimals <= 9 else { return nil }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = value.magnitude * Double(scale)
        guard scaled < 1e12 else { return nil }  // ulp(1e12) = 2^-13: the product is exact to < 0.0002
        let whole = scaled.rounded(.down)
        let fraction = scaled - whole
        guard (fraction - 0.5).magnitude > 0.001 else { return nil }
        let rounded = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
        var out = value.sign == .minus && rounded != 0 ? "-" : ""
        out += String(rounded / scale)
        if decimals > 0 {
            let digits = String(rounded % scale)
            out += "." + String(repeating: "0", count: decimals - digits.utf8.count) + digits
        }
        return out
    }

    /// The reference: rounds the digits of Swift's shortest round-tripping description.
    static func slowFixed(_ value: Double, decimals: Int) -> String {
        // Swift's description is the shortest string that round-trips, e.g. "0.285" or "1.5e-07".
        let text = value.magnitude.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = mantissa.joined().utf8.map { Int($0) - 0x30 }
        var point = mantissa[0].utf8.count + exponent // digits before the decimal point
        if point < 0 {
            digits.insert(contentsOf: repeatElement(0, count: -point), at: 0)
            point = 0
        }
        let cut = point + decimals
        if digits.count <= cut {
            digits.append(contentsOf: repeatElement(0, count: cut - digits.count + 1))
        }
        let roundUp = digits[cut] >= 5
        digits.removeSubrange(cut...)
        if roundUp {
            var i = digits.count - 1
            while i >= 0 && digits[i] == 9 {
                digits[i] = 0
                i -= 1
            }
            if i >= 0 {
                digits[i] += 1
            } else {
                digits.insert(1, at: 0)
                point += 1
            }
        }
        var integer = digits[..<point].drop { $0 == 0 }.map { Character(String($0)) }
        if integer.isEmpty { integer = ["0"] }
        let fraction = digits[point...].map { Character(String($0)) }
        let isZero = !digits.contains { $0 != 0 }
        var out = value.sign == .minus && !isZero ? "-" : ""
        out += String(integer)
        if decimals > 0 { out += "." + String(fraction) }
        return out
    }
}
