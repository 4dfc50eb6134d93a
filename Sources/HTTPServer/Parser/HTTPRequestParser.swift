/// What the parser produced from the bytes it was given.
public enum ParseEvent: Sendable, Equatable {
    case head(RequestHead)
    /// Body bytes, de-chunked. The slice is only valid until the buffer is next changed.
    case body(ArraySlice<UInt8>)
    case end
}

extension RequestHead: Equatable {
    public static func == (a: RequestHead, b: RequestHead) -> Bool {
        a.method == b.method && a.target == b.target && a.authority == b.authority && a.versionMinor == b.versionMinor
            && a.framing == b.framing && a.expectsContinue == b.expectsContinue
            && a.headers.fields.elementsEqual(b.headers.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// An HTTP/1.1 request parser (RFC 9112): bytes in, events out, or exactly one terminal error.
/// It does no I/O and never looks at a byte twice while scanning for line ends, so a peer that
/// trickles one byte at a time costs linear work.
public struct HTTPRequestParser: Sendable {
    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case emitEnd
    }

    public let limits: HTTPLimits
    private var state = State.head
    // Head and line scanning, as offsets from the buffer's readIndex.
    private var scanned = 0
    private var lineStart = 0
    private var leadingEmptyLines = 0
    private var requestLine: RequestLine?
    private var fields = HTTPHeaders()
    private var trailerBytes = 0

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// True between requests: nothing of a next request has been parsed yet.
    public var isIdle: Bool {
        if case .head = state { return requestLine == nil && scanned == 0 }
        return false
    }

    /// Whether the parser is inside a request's body.
    public var isInBody: Bool {
        switch state {
        case .head, .emitEnd: return false
        default: return true
        }
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next(_ input: inout InputBuffer) throws(HTTPParseError) -> ParseEvent? {
        switch state {
        case .head:
            return try parseHead(&input)
        case .emitEnd:
            state = .head
            return .end
        case .fixedBody(let remaining):
            guard input.readableCount > 0 else { return nil }
            let n = min(remaining, input.readableCount)
            let slice = input.bytes[input.readIndex..<input.readIndex + n]
            input.readIndex += n
            state = remaining == n ? .emitEnd : .fixedBody(remaining: remaining - n)
            return .body(slice)
        case .chunkSize:
            guard let line = try nextLine(&input, limit: limits.maxChunkLine, tooLong: .bad("chunk size line too long")) else {
                return nil
            }
            let size = try Self.parseChunkSize(line)
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            trailerBytes = 0
            return try next(&input)
        case .chunkData(let remaining):
            guard input.readableCount > 0 else { return nil }
            let n = min(remaining, input.readableCount)
            let slice = input.bytes[input.readIndex..<input.readIndex + n]
            input.readIndex += n
            state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return .body(slice)
        case .chunkDataEnd:
            guard input.readableCount >= 2 else { return nil }
            // RFC 9112 §7.1: chunk-data is followed by CRLF.
            guard input.bytes[input.readIndex] == CR, input.bytes[input.readIndex + 1] == LF else {
                throw .bad("chunk data not followed by CRLF")
            }
            input.readIndex += 2
            state = .chunkSize
            return try next(&input)
        case .trailers:
            let before = input.readIndex
            guard let line = try nextLine(&input, limit: limits.maxTrailerBytes, tooLong: HTTPParseError(431, "trailer section too large")) else {
                return nil
            }
            trailerBytes += input.readIndex - before
            if line.isEmpty {
                state = .head
                return .end
            }
            guard trailerBytes <= limits.maxTrailerBytes else { throw HTTPParseError(431, "trailer section too large") }
            // Trailers are checked like header fields, then discarded: nothing here reads them.
            _ = try Self.parseField(line)
            return try next(&input)
        }
    }

    // MARK: - Head

    private mutating func parseHead(_ input: inout InputBuffer) throws(HTTPParseError) -> ParseEvent? {
        while true {
            let base = input.readIndex
            // Sizes are checked before line endings, on the same bytes whether or not the line has
            // ended yet, so the answer never depends on how the input was split. One byte of slack
            // lets a CR wait for its LF.
            guard let lf = findLF(input, from: base + scanned) else {
                scanned = input.bytes.count - base
                if requestLine == nil {
                    // RFC 9112 §3: a request line longer than we accept is 414 (URI Too Long).
                    if scanned - lineStart > limits.maxRequestLine + 1 { throw HTTPParseError(414, "request line too long") }
                } else if scanned > limits.maxHeaderBytes {
                    throw HTTPParseError(431, "header section too large")
                }
                return nil
            }
            let lineEnd = lf - base + 1
            if requestLine == nil {
                if lf - (base + lineStart) > limits.maxRequestLine + 1 { throw HTTPParseError(414, "request line too long") }
            } else if lineEnd > limits.maxHeaderBytes {
                throw HTTPParseError(431, "header section too large")
            }
            scanned = lineEnd
            let line = try checkedLine(input.bytes, start: base + lineStart, lf: lf)
            lineStart = lineEnd

            if requestLine == nil {
                if line.isEmpty {
                    // RFC 9112 §2.2: ignore at least one empty line before the request line.
                    leadingEmptyLines += 1
                    guard leadingEmptyLines <= limits.maxLeadingEmptyLines else { throw .bad("too many empty lines") }
                    input.readIndex += lineEnd
                    scanned = 0
                    lineStart = 0
                    continue
                }
                requestLine = try Self.parseRequestLine(line)
                continue
            }

            if !line.isEmpty {
                let field = try Self.parseField(line)
                guard fields.count < limits.maxHeaderCount else { throw HTTPParseError(431, "too many header fields") }
                fields.add(field.name, field.value)
                continue
            }

            // The empty line: the head is complete.
            let head = try makeHead()
            input.readIndex += lineEnd
            resetHeadState()
            switch head.framing {
            case .none, .length(0): state = .emitEnd
            case .length(let n): state = .fixedBody(remaining: n)
            case .chunked: state = .chunkSize
            }
            return .head(head)
        }
    }

    private mutating func resetHeadState() {
        scanned = 0
        lineStart = 0
        leadingEmptyLines = 0
        requestLine = nil
        fields = HTTPHeaders()
    }

    private func makeHead() throws(HTTPParseError) -> RequestHead {
        guard let line = requestLine else { throw .bad("missing request line") }
        let hosts = fields.firstValue("Host")
        // RFC 9112 §3.2: a 1.1 request without exactly one Host is 400.
        if hosts.count > 1 || (line.minor >= 1 && hosts.count == 0) {
            throw .bad(hosts.count == 0 ? "missing Host header" : "duplicate Host header")
        }
        // RFC 9112 §3.2: so is a Host whose value is not uri-host [":" port] (RFC 9110 §7.2), on any
        // version and whatever the target's form. An empty value is allowed only for a target URI
        // without an authority, which an http(s) URI always has: refused on 1.1. A 1.0 client may
        // leave Host out altogether, so there an empty one counts as absent.
        if let host = hosts.value, !(host.isEmpty && line.minor == 0), let problem = URIHost.problem(in: host) {
            throw .bad("invalid Host header: \(problem)")
        }

        let transferEncodingCount = fields.firstValue("Transfer-Encoding").count
        let lengths = fields.firstValue("Content-Length")
        var framing = RequestHead.Framing.none
        if transferEncodingCount > 0 {
            let transferEncodings = fields.values("Transfer-Encoding")
            // RFC 9112 §6.1: Transfer-Encoding with Content-Length may be smuggling; reject.
            guard lengths.count == 0 else { throw .bad("both Content-Length and Transfer-Encoding") }
            // RFC 9112 §6.1: a 1.0 request with Transfer-Encoding has faulty framing.
            guard line.minor >= 1 else { throw .bad("Transfer-Encoding on HTTP/1.0") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingSpaces() }
            guard codings.count == 1, String(codings[0]).caseInsensitiveEquals("chunked") else {
                throw HTTPParseError(501, "only the chunked transfer coding is supported")
            }
            framing = .chunked
        } else if let length = lengths.value {
            // RFC 9110 §8.6: a second Content-Length, even an equal one, is refused here.
            guard lengths.count == 1 else { throw .bad("duplicate Content-Length") }
            framing = .length(try Self.parseContentLength(length))
        }

        var expectsContinue = false
        let expectations = fields.firstValue("Expect")
        if let expect = expectations.value {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue.
            guard expect.caseInsensitiveEquals("100-continue"), expectations.count == 1 else {
                throw HTTPParseError(417, "unsupported expectation")
            }
            expectsContinue = line.minor >= 1
        }
        return RequestHead(method: line.method, target: line.target, versionMinor: line.minor,
                           headers: fields, framing: framing, expectsContinue: expectsContinue,
                           authority: line.authority)
    }

    // MARK: - Lines

    private func findLF(_ input: InputBuffer, from start: Int) -> Int? {
        input.bytes.withUnsafeBufferPointer { buffer -> Int? in
            var i = start
            while i < buffer.count {
                if buffer[i] == LF { return i }
                i += 1
            }
            return nil
        }
    }

    /// The line before `lf`, after checking it ends in CRLF and holds no other CR.
    private func checkedLine(_ bytes: [UInt8], start: Int, lf: Int) throws(HTTPParseError) -> ArraySlice<UInt8> {
        // Bare LF is refused rather than tolerated (RFC 9112 §2.2 allows either); see decisions.md.
        guard lf > start, bytes[lf - 1] == CR else { throw .bad("line not terminated by CRLF") }
        let line = bytes[start..<(lf - 1)]
        guard !line.contains(CR) else { throw .bad("bare CR") }
        return line
    }

    /// For the chunked states, which consume each line as they read it.
    private mutating func nextLine(_ input: inout InputBuffer, limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let base = input.readIndex
        // As in the head: the size first, with a byte of slack for a CR awaiting its LF.
        guard let lf = findLF(input, from: base + scanned) else {
            scanned = input.bytes.count - base
            if scanned > limit + 1 { throw tooLong }
            return nil
        }
        guard lf - base <= limit + 1 else { throw tooLong }
        let line = try checkedLine(input.bytes, start: base, lf: lf)
        input.readIndex = lf + 1
        scanned = 0
        return line
    }

    // MARK: - Pieces

    /// A parsed request line. `target` is what routing reads: origin-form, "*", or the path and
    /// query of an absolute-form target, whose authority is kept apart.
    struct RequestLine: Sendable {
        var method: HTTPMethod
        var target: String
        var minor: Int
        var authority: String?
    }

    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> RequestLine {
        // RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
        let parts = line.split(separator: SP, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { throw .bad("malformed request line") }
        let methodBytes = parts[0], targetBytes = parts[1], version = parts[2]

        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
        guard version.count == 8, version.starts(with: "HTTP/".utf8),
              let major = digit(version[version.startIndex + 5]), version[version.startIndex + 6] == UInt8(ascii: "."),
              let minor = digit(version[version.startIndex + 7]) else {
            throw .bad("malformed HTTP version")
        }
        guard major == 1 else { throw HTTPParseError(505, "only HTTP/1.x is supported") }
        guard methodBytes.allSatisfy(isTokenByte) else { throw .bad("malformed method") }
        guard let method = HTTPMethod(bytes: methodBytes) else { throw HTTPParseError(501, "unknown method") }

        for byte in targetBytes {
            // RFC 9112 §3.2: none of the four target forms has a fragment; a client leaves it out
            // (RFC 9110 §7.1), so a '#' here is refused rather than guessed at.
            if byte == UInt8(ascii: "#") { throw .bad("fragment in request target") }
            guard byte > 0x20 && byte < 0x7F else { throw .bad("malformed request target") }
        }
        let first = targetBytes[targetBytes.startIndex]
        if first == UInt8(ascii: "/") {
            // origin-form (RFC 9112 §3.2.1)
            return RequestLine(method: method, target: String(decoding: targetBytes, as: UTF8.self), minor: minor)
        }
        if targetBytes.count == 1, first == UInt8(ascii: "*") {
            // asterisk-form (RFC 9112 §3.2.4)
            guard method == .OPTIONS else { throw .bad("asterisk-form is only for OPTIONS") }
            return RequestLine(method: method, target: "*", minor: minor)
        }
        if let absolute = try absoluteForm(targetBytes) {
            return RequestLine(method: method, target: absolute.path, minor: minor, authority: absolute.authority)
        }
        // authority-form (RFC 9112 §3.2.3) is only for CONNECT, and this server is not a proxy.
        if method == .CONNECT { throw .bad("authority-form (CONNECT) is not supported") }
        // RFC 9112 §3.2.2: absolute-form with any scheme but http or https is refused.
        if isSchemePrefix(targetBytes) { throw .bad("only http and https absolute-form targets are accepted") }
        throw .bad("malformed request target")
    }

    /// An http or https absolute-form target split into its authority and its path and query, or
    /// nil when the target has no http(s) scheme.
    private static func absoluteForm(_ target: ArraySlice<UInt8>) throws(HTTPParseError) -> (authority: String, path: String)? {
        // RFC 9112 §3.2.2: a server must accept absolute-form. Schemes are case-insensitive (RFC 3986 §3.1).
        let schemeLength: Int
        if hasPrefixIgnoringCase(target, "http://") {
            schemeLength = 7
        } else if hasPrefixIgnoringCase(target, "https://") {
            schemeLength = 8
        } else {
            return nil
        }
        let rest = target.dropFirst(schemeLength)
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        // RFC 9112 §3.2.2: the target's authority stands in for Host, so it must pass the same check.
        if let problem = authority.withUnsafeBufferPointer({ URIHost.problem(in: $0) }) {
            throw .bad("invalid authority in request target: \(problem)")
        }
        let path = rest[authorityEnd...]
        // RFC 9110 §4.2.3: an empty path is "/", so the result reads as origin-form.
        let pathString = path.first == UInt8(ascii: "/")
            ? String(decoding: path, as: UTF8.self) : "/" + String(decoding: path, as: UTF8.self)
        return (String(decoding: authority, as: UTF8.self), pathString)
    }

    private static func hasPrefixIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercasePrefix: StaticString) -> Bool {
        lowercasePrefix.withUTF8Buffer { prefix in
            bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { asciiLower($0) == $1 }
        }
    }

    /// scheme ":" (RFC 3986 §3.1): scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    private static func isSchemePrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > bytes.startIndex else { return false }
        let scheme = bytes[..<colon]
        guard let first = scheme.first, asciiLower(first) >= UInt8(ascii: "a"), asciiLower(first) <= UInt8(ascii: "z") else { return false }
        return scheme.allSatisfy { b in
            let l = asciiLower(b)
            return (l >= UInt8(ascii: "a") && l <= UInt8(ascii: "z")) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
        }
    }

    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        // RFC 9112 §5.2: obs-fold is rejected.
        guard let first = line.first, first != SP, first != HTAB else { throw .bad("obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .bad("header field without a colon") }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        if let last = name.last, last == SP || last == HTAB { throw .bad("whitespace before colon") }
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw .bad("malformed header field name") }
        var value = line[(colon + 1)...]
        while let c = value.first, c == SP || c == HTAB { value = value.dropFirst() }
        while let c = value.last, c == SP || c == HTAB { value = value.dropLast() }
        // RFC 9110 §5.5: field values are VCHAR, obs-text, SP and HTAB; NUL and other controls are refused.
        guard value.allSatisfy({ $0 == HTAB || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .bad("invalid character in header field value")
        }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    static func parseContentLength(_ value: String) throws(HTTPParseError) -> Int {
        // RFC 9110 §8.6: 1*DIGIT. A list, a sign or spaces inside are refused; 18 digits cannot overflow Int.
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 18, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .bad("invalid Content-Length")
        }
        return utf8.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let v = hexValue(line[index]) {
            // 15 hex digits stay below 2^60: no overflow is possible.
            digits += 1
            guard digits <= 15 else { throw .bad("chunk size too large") }
            size = size << 4 | v
            index += 1
        }
        guard digits > 0 else { throw .bad("malformed chunk size") }
        try checkChunkExtensions(line[index...])
        return size
    }

    /// RFC 9112 §7.1.1: `chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`,
    /// with a token name and a token or quoted-string value. Valid extensions are ignored; anything
    /// else is refused: a bare ";", a name that is no token, whitespace that no ";" follows.
    static func checkChunkExtensions(_ rest: ArraySlice<UInt8>) throws(HTTPParseError) {
        var i = rest.startIndex
        let end = rest.endIndex
        func skipWhitespace() { while i < end, rest[i] == SP || rest[i] == HTAB { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < end, isTokenByte(rest[i]) { i += 1 }
            return i > start
        }
        // RFC 9110 §5.6.4: DQUOTE *( qdtext / quoted-pair ) DQUOTE.
        func quotedString() -> Bool {
            i += 1
            while i < end {
                let c = rest[i]
                i += 1
                if c == DQUOTE { return true }
                if c == UInt8(ascii: "\\") {
                    guard i < end, rest[i] == HTAB || (rest[i] >= 0x20 && rest[i] != 0x7F) else { return false }
                    i += 1
                } else if !(c == HTAB || c == SP || (c >= 0x21 && c != 0x7F)) {
                    return false
                }
            }
            return false  // no closing quote
        }
        while i < end {
            skipWhitespace()
            guard i < end, rest[i] == UInt8(ascii: ";") else { throw .bad("malformed chunk extension") }
            i += 1
            skipWhitespace()
            guard token() else { throw .bad("malformed chunk extension") }
            let afterName = i
            skipWhitespace()
            guard i < end, rest[i] == UInt8(ascii: "=") else {
                i = afterName  // no value: the next round wants ";" (or the line's end)
                continue
            }
            i += 1
            skipWhitespace()
            if i < end, rest[i] == DQUOTE {
                guard quotedString() else { throw .bad("malformed chunk extension") }
            } else if !token() {
                throw .bad("malformed chunk extension")
            }
        }
    }
}

let CR: UInt8 = 0x0D
let LF: UInt8 = 0x0A
let SP: UInt8 = 0x20
let HTAB: UInt8 = 0x09
let DQUOTE: UInt8 = 0x22

@inline(__always)
private func digit(_ b: UInt8) -> Int? {
    b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
}

@inline(__always)
private func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 0x30...0x39: return Int(b - 0x30)
    case 0x41...0x46: return Int(b - 0x41 + 10)
    case 0x61...0x66: return Int(b - 0x61 + 10)
    default: return nil
    }
}

/// tchar (RFC 9110 §5.6.2).
@inline(__always)
func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
         UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
         UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}
