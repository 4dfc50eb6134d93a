/// A header value of the form `value *( ";" name "=" value )`, as `Content-Type` (RFC 9110 §8.3.1,
/// RFC 2045 §5.1) and `Content-Disposition` (RFC 6266 §4.1, RFC 2183) use, parsed from octets.
///
/// Whitespace is allowed around ";" and "=": these fields follow MIME's lexical rules (RFC 822
/// §3.1.4), which allow linear whitespace between tokens. Parameter names are compared
/// case-insensitively and stored lowercased; a repeated name is an error, because two answers to
/// "what is the boundary?" or "what is the field name?" is how parsers are made to disagree.
struct ParameterizedValue: Sendable {
    struct Parameter: Sendable {
        /// Lowercased.
        let name: String
        /// The value's octets, quoted-string escapes removed.
        let value: [UInt8]
        let wasQuoted: Bool
    }

    /// The value before the first ";", e.g. `multipart/form-data` or `form-data`, as sent.
    let value: String
    let parameters: [Parameter]

    subscript(_ name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// `field` names the header in error messages.
    init(_ text: String, field: String) throws(MultipartError) {
        let bytes = Array(text.utf8)
        var i = 0
        func skipWhitespace() {
            while i < bytes.count, bytes[i] == SP || bytes[i] == HTAB { i += 1 }
        }
        func malformed() -> MultipartError { MultipartError("malformed \(field) header") }

        skipWhitespace()
        let valueStart = i
        // type "/" subtype, or a disposition-type token.
        while i < bytes.count, isTokenByte(bytes[i]) || bytes[i] == UInt8(ascii: "/") { i += 1 }
        guard i > valueStart else { throw malformed() }
        value = String(decoding: bytes[valueStart..<i], as: UTF8.self)

        var parameters: [Parameter] = []
        while true {
            skipWhitespace()
            guard i < bytes.count else { break }
            guard bytes[i] == UInt8(ascii: ";") else { throw malformed() }
            i += 1
            skipWhitespace()
            // RFC 9110 §5.6.6 allows an empty parameter (";;" or a trailing ";").
            if i == bytes.count || bytes[i] == UInt8(ascii: ";") { continue }

            let nameStart = i
            while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
            guard i > nameStart else { throw malformed() }
            // Lowercased straight into the string (token bytes are ASCII), with no array between.
            let name = String(unsafeUninitializedCapacity: i - nameStart) { buffer in
                for offset in 0..<(i - nameStart) { buffer[offset] = asciiLower(bytes[nameStart + offset]) }
                return i - nameStart
            }
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw MultipartError("\(field) parameter \"\(name)\" has no value") }
            i += 1
            skipWhitespace()

            var value: [UInt8] = []
            var quoted = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE.
                quoted = true
                i += 1
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    i += 1
                    if b == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    if b == UInt8(ascii: "\\") {
                        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). Browsers do not escape a
                        // backslash in a filename, so "C:\x" arrives as "C:x"; only display suffers.
                        guard i < bytes.count, bytes[i] == HTAB || bytes[i] >= 0x20, bytes[i] != 0x7F else { throw malformed() }
                        value.append(bytes[i])
                        i += 1
                        continue
                    }
                    guard b == HTAB || b >= 0x20, b != 0x7F else { throw malformed() }
                    value.append(b)
                }
                guard closed else { throw MultipartError("\(field) parameter \"\(name)\" has an unterminated quoted string") }
            } else {
                let valueStart = i
                while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
                guard i > valueStart else { throw MultipartError("\(field) parameter \"\(name)\" has no value") }
                value = Array(bytes[valueStart..<i])
            }
            guard !parameters.contains(where: { $0.name == name }) else {
                throw MultipartError("\(field) has more than one \"\(name)\" parameter")
            }
            parameters.append(Parameter(name: name, value: value, wasQuoted: quoted))
        }
        self.parameters = parameters
    }

    /// Decodes an RFC 8187 ext-value: charset "'" [ language ] "'" value-chars, percent-encoded.
    static func decodeExtendedValue(_ bytes: [UInt8]) -> String? {
        let quote = UInt8(ascii: "'")
        guard let first = bytes.firstIndex(of: quote),
              let second = bytes[(first + 1)...].firstIndex(of: quote) else { return nil }
        let charset = String(decoding: bytes[..<first].map(asciiLower), as: UTF8.self)
        var decoded: [UInt8] = []
        var i = second + 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hexDigit(bytes[i + 1]), let low = hexDigit(bytes[i + 2]) else { return nil }
                decoded.append(high << 4 | low)
                i += 3
            } else {
                // attr-char: a token character other than "*", "'" and "%".
                guard isTokenByte(b), b != UInt8(ascii: "*"), b != quote else { return nil }
                decoded.append(b)
                i += 1
            }
        }
        switch charset {
        case "utf-8": return String(validating: decoded, as: UTF8.self)
        case "iso-8859-1": return String(String.UnicodeScalarView(decoded.map { Unicode.Scalar($0) }))
        default: return nil
        }
    }
}

@inline(__always)
private func hexDigit(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}
