/// The syntax `uri-host [":" port]` (RFC 9110 §7.2, RFC 3986 §3.2.2–3.2.3): the value of a `Host`
/// field and the authority of an absolute-form target. It runs on every request, so it reads bytes
/// in place and allocates nothing.
enum URIHost {
    /// Why a value is not `uri-host [":" port]`. The text is safe to show the peer.
    enum Problem: Sendable, Equatable, CustomStringConvertible {
        case empty, emptyHost, list, userinfo, path, query, fragment, whitespace
        case invalidCharacter, percentEncoding, ipLiteral, ipFuture, port

        var description: String {
            switch self {
            case .empty: return "empty value"
            case .emptyHost: return "no host before the port"
            case .list: return "more than one value"
            case .userinfo: return "userinfo (user@) is not allowed"
            case .path: return "a path is not allowed"
            case .query: return "a query is not allowed"
            case .fragment: return "a fragment is not allowed"
            case .whitespace: return "whitespace inside the value"
            case .invalidCharacter: return "invalid character in host"
            case .percentEncoding: return "malformed percent-encoding"
            case .ipLiteral: return "malformed IP literal"
            case .ipFuture: return "IPvFuture literals are not supported"
            case .port: return "port is not all digits"
            }
        }
    }

    /// Nil when `value` is `uri-host [":" port]` with a non-empty host; else the most telling problem.
    static func problem(in value: String) -> Problem? {
        var value = value
        // A parsed field value is a native string: withUTF8 reads it in place, no copy.
        return value.withUTF8 { problem(in: $0) }
    }

    static func problem(in bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        guard let problem = syntaxProblem(bytes) else { return nil }
        // Only on the way to a 400: a second look for the URI part the sender put in by mistake.
        return misplacedPart(bytes) ?? problem
    }

    private static func syntaxProblem(_ b: UnsafeBufferPointer<UInt8>) -> Problem? {
        guard !b.isEmpty else { return .empty }
        var i = 0
        if b[0] == UInt8(ascii: "[") {
            // RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]".
            guard let close = b.firstIndex(of: UInt8(ascii: "]")) else { return .ipLiteral }
            // RFC 3986 §3.2.2: an application that does not know an IPvFuture version should
            // report "address mechanism not supported"; no HTTP client sends one.
            if close > 1, b[1] | 0x20 == UInt8(ascii: "v") { return .ipFuture }
            guard isIPv6(b, from: 1, to: close) else { return .ipLiteral }
            i = close + 1
        } else {
            // reg-name = *( unreserved / pct-encoded / sub-delims ). IPv4address is a subset of
            // this syntax, and RFC 3986 §3.2.2 reads a dotted quad that is not one (999.1.1.1) as
            // a reg-name, so one scan covers both.
            while i < b.count, b[i] != UInt8(ascii: ":") {
                if b[i] == UInt8(ascii: "%") {
                    guard i + 2 < b.count, isHex(b[i + 1]), isHex(b[i + 2]) else { return .percentEncoding }
                    i += 3
                    continue
                }
                guard isRegNameByte(b[i]) else { return .invalidCharacter }
                i += 1
            }
            // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid.
            guard i > 0 else { return .emptyHost }
        }
        guard i < b.count else { return nil }
        guard b[i] == UInt8(ascii: ":") else { return .invalidCharacter }
        // port = *DIGIT (RFC 3986 §3.2.3): an empty port is allowed, and RFC 9110 §4.2.3 lists
        // http://EXAMPLE.com:/ as equivalent to http://example.com/.
        i += 1
        while i < b.count {
            guard isDigit(b[i]) else { return .port }
            i += 1
        }
        return nil
    }

    /// The URI part a rejected value most likely carries, for the reason string. Each of these bytes
    /// is invalid anywhere in `uri-host [":" port]`.
    private static func misplacedPart(_ b: UnsafeBufferPointer<UInt8>) -> Problem? {
        // ',' is a sub-delim in RFC 3986 but a list separator in a field (RFC 9110 §5.3): `a, b` is
        // two values, and Host must have one (RFC 9112 §3.2).
        if b.contains(UInt8(ascii: ",")) { return .list }
        // RFC 9110 §4.2.4: userinfo in an http(s) target URI or field value is an error.
        if b.contains(UInt8(ascii: "@")) { return .userinfo }
        if b.contains(UInt8(ascii: "/")) { return .path }
        if b.contains(UInt8(ascii: "?")) { return .query }
        if b.contains(UInt8(ascii: "#")) { return .fragment }
        if b.contains(where: { $0 == SP || $0 == HTAB }) { return .whitespace }
        return nil
    }

    /// IPv6address (RFC 3986 §3.2.2) in `b[from..<to]`: up to eight h16 groups split by ':', the
    /// last two of which may be an IPv4address, with at most one "::" standing for one or more
    /// zero groups. No zone identifier.
    private static func isIPv6(_ b: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> Bool {
        var i = from
        var groups = 0
        var compressed = false
        if i < end, b[i] == UInt8(ascii: ":") {
            guard i + 1 < end, b[i + 1] == UInt8(ascii: ":") else { return false }
            compressed = true
            i += 2
            if i == end { return true }
        }
        while true {
            let start = i
            while i < end, i - start < 5, isHex(b[i]) { i += 1 }
            if i < end, b[i] == UInt8(ascii: ".") {
                // ls32 may be an IPv4address, in the last two groups' place.
                guard isIPv4(b, from: start, to: end) else { return false }
                groups += 2
                break
            }
            guard i > start, i - start <= 4 else { return false }
            groups += 1
            guard groups <= 8 else { return false }
            if i == end { break }
            guard b[i] == UInt8(ascii: ":") else { return false }
            i += 1
            if i < end, b[i] == UInt8(ascii: ":") {
                guard !compressed else { return false }
                compressed = true
                i += 1
                if i == end { break }
            } else if i == end {
                return false  // a trailing single ':'
            }
        }
        return compressed ? groups <= 7 : groups == 8
    }

    /// IPv4address = dec-octet 3("." dec-octet), dec-octet 0–255 without leading zeros (RFC 3986 §3.2.2).
    private static func isIPv4(_ b: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> Bool {
        var i = from
        for octet in 0..<4 {
            if octet > 0 {
                guard i < end, b[i] == UInt8(ascii: ".") else { return false }
                i += 1
            }
            let start = i
            var value = 0
            while i < end, i - start < 3, isDigit(b[i]) {
                value = value * 10 + Int(b[i] - 0x30)
                i += 1
            }
            let length = i - start
            guard length > 0, value <= 255, length == 1 || b[start] != UInt8(ascii: "0") else { return false }
        }
        return i == end
    }

    /// unreserved / sub-delims (RFC 3986 §2.2–2.3), less ',' (see `misplacedPart`).
    @inline(__always)
    private static func isRegNameByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ";"), UInt8(ascii: "="):
            return true
        default: return false
        }
    }

    @inline(__always)
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inline(__always)
    private static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "f"))
    }
}

/// `host` as a URL or a Host header writes it: an IPv6 address in brackets, anything else as is.
public func bracketedHost(_ host: String) -> String {
    host.contains(":") ? "[\(host)]" : host
}
