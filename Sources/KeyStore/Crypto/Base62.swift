/// The base62 alphabet and fixed-width encoding used by key, token and id formats.
enum Base62 {
    /// Digit values 0…61, in ASCII order so that '0' is zero and left-padding with '0' keeps the value.
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func isSymbol(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }

    /// `value` in base62, left-padded with '0' to `width` symbols (wide enough by the caller's contract).
    static func encode(_ value: UInt32, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var rest = value
        for index in digits.indices.reversed() where rest > 0 {
            digits[index] = alphabet[Int(rest % 62)]
            rest /= 62
        }
        precondition(rest == 0, "\(value) does not fit in \(width) base62 digits")
        return digits
    }
}
