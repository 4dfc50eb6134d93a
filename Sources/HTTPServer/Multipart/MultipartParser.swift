#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming multipart/form-data parser (RFC 7578, on RFC 2046 §5.1): bytes in, in any chunking,
/// events out, or exactly one terminal error.
///
/// It never buffers a part's body. It holds only the current part's header section (bounded by
/// `MultipartLimits`) and a count of how much of a boundary delimiter the last chunk ended with:
/// since a delimiter's bytes are known, the carried-over prefix is replayed from the delimiter
/// itself when it turns out to be content.
///
/// Line endings are strict: header lines and delimiter lines must end in CRLF (RFC 2046 §5.1.1,
/// RFC 7578 §4). A bare LF is refused rather than guessed at, the same policy as the request
/// parser; every client theta-console emulates (curl, requests, browsers) sends CRLF.
public struct MultipartParser: Sendable {
    enum State: Sendable, Equatable {
        case preamble
        case delimiterLine(DelimiterLine)
        case headers
        case body
        /// After the close delimiter; everything else is epilogue and discarded.
        case epilogue
        case failed(MultipartError)
    }

    /// Where the parser is in the rest of a delimiter line, after CRLF "--" boundary.
    enum DelimiterLine: Sendable, Equatable {
        case start
        case secondDash
        case padding(Int)
        case lineFeed
    }

    public let limits: MultipartLimits
    /// CRLF "--" boundary (RFC 2046 §5.1.1 `delimiter`).
    private let delimiter: [UInt8]
    private var state: State
    /// How many bytes of `delimiter` the input seen so far ends with.
    private var matched: Int
    private var preambleBytes = 0
    private var parts = 0
    private var headerLine: [UInt8] = []
    private var headerBytes = 0
    private var fields = HTTPHeaders()

    /// A parser for bodies whose Content-Type carries `boundary` (see `boundary(fromContentType:)`).
    /// A boundary RFC 2046 does not allow makes the first `feed` throw.
    public init(boundary: String, limits: MultipartLimits = MultipartLimits()) {
        self.limits = limits
        self.delimiter = [CR, LF, UInt8(ascii: "-"), UInt8(ascii: "-")] + Array(boundary.utf8)
        // The first delimiter may open the body without a CRLF before it (RFC 2046 §5.1.1
        // `dash-boundary`); starting as if a CRLF had been seen treats both cases alike.
        self.matched = 2
        do {
            try Self.validate(boundary: boundary, limits: limits)
            self.state = .preamble
        } catch {
            self.state = .failed(error)
        }
    }

    /// True once the close delimiter has been read.
    public var isComplete: Bool { state == .epilogue }

    /// Parses the next bytes of the body, calling `handle` for each event. Rethrows the handler's
    /// errors; throws `MultipartError` for malformed input. After any error the parser is spent.
    public mutating func feed(_ bytes: ArraySlice<UInt8>, _ handle: (MultipartEvent) throws -> Void) throws {
        if case .failed(let error) = state { throw error }
        var input = bytes
        do {
            while !input.isEmpty {
                switch state {
                case .preamble, .body: try scan(&input, handle)
                case .delimiterLine(let line): try delimiterLine(line, &input)
                case .headers: try headers(&input, handle)
                case .epilogue: return
                case .failed(let error): throw error
                }
            }
        } catch let error as MultipartError {
            state = .failed(error)
            throw error
        } catch {
            state = .failed(MultipartError("multipart parsing was stopped by its handler"))
            throw error
        }
    }

    /// Call at the end of the body: throws unless the close delimiter arrived.
    public mutating func finish() throws(MultipartError) {
        switch state {
        case .epilogue: return
        case .failed(let error): throw error
        case .preamble: throw MultipartError("multipart body does not begin with its boundary")
        default: throw MultipartError("multipart body has no closing boundary")
        }
    }

    // MARK: - Content and delimiters

    /// Passes over content (the preamble or a part's body) up to the next delimiter.
    private mutating func scan(_ input: inout ArraySlice<UInt8>, _ handle: (MultipartEvent) throws -> Void) throws {
        if matched > 0 {
            // The last chunk ended with a delimiter prefix: see whether this one completes it.
            var i = input.startIndex
            while matched < delimiter.count, i < input.endIndex, input[i] == delimiter[matched] {
                matched += 1
                i += 1
            }
            input = input[i...]
            if matched == delimiter.count {
                matched = 0
                return try delimiterFound(handle)
            }
            if input.isEmpty { return }
            // It was content after all; its bytes are the delimiter's own. No CR follows the
            // delimiter's first byte, so no other delimiter can start inside them.
            let carried = matched
            matched = 0
            try content(delimiter[..<carried], handle)
        }

        switch findDelimiter(in: input) {
        case .full(let at):
            // RFC 2046 §5.1.1: the CRLF before "--" belongs to the delimiter, not the content.
            try content(input[..<at], handle)
            input = input[(at + delimiter.count)...]
            try delimiterFound(handle)
        case .partial(let at, let length):
            // A delimiter may be split across chunks: hold back the bytes that match so far.
            try content(input[..<at], handle)
            matched = length
            input = input[input.endIndex...]
        case .none:
            try content(input, handle)
            input = input[input.endIndex...]
        }
    }

    private enum DelimiterMatch {
        case none
        /// A whole delimiter starts at this index.
        case full(Int)
        /// The input ends with the first `length` bytes of a delimiter, starting at this index.
        case partial(Int, length: Int)
    }

    /// The first delimiter in `input`, or a delimiter prefix that runs off its end. A delimiter
    /// starts with its only CR, so after a failed comparison the search resumes where the
    /// comparison stopped: every byte is looked at about once (memchr finds the CRs).
    private func findDelimiter(in input: ArraySlice<UInt8>) -> DelimiterMatch {
        input.withUnsafeBufferPointer { buffer in
            delimiter.withUnsafeBufferPointer { delimiter in
                guard let base = buffer.baseAddress else { return .none }
                let n = buffer.count
                var i = 0
                while i < n {
                    guard let found = memchr(base + i, Int32(CR), n - i) else { return .none }
                    i = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    var k = 1
                    while k < delimiter.count, i + k < n, buffer[i + k] == delimiter[k] { k += 1 }
                    if k == delimiter.count { return .full(input.startIndex + i) }
                    if i + k == n { return .partial(input.startIndex + i, length: k) }
                    i += k
                }
                return .none
            }
        }
    }

    private mutating func content(_ bytes: ArraySlice<UInt8>, _ handle: (MultipartEvent) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        if state == .body { return try handle(.data(bytes)) }
        // RFC 2046 §5.1.1: the preamble is to be ignored; it is also bounded.
        preambleBytes += bytes.count
        guard preambleBytes <= limits.maxPreambleBytes + 2 else {
            throw MultipartError("multipart body does not begin with its boundary")
        }
    }

    private mutating func delimiterFound(_ handle: (MultipartEvent) throws -> Void) throws {
        let wasBody = state == .body
        state = .delimiterLine(.start)
        if wasBody { try handle(.end) }
    }

    /// The rest of a delimiter line: "--" for the close delimiter, or transport padding and CRLF.
    private mutating func delimiterLine(_ line: DelimiterLine, _ input: inout ArraySlice<UInt8>) throws(MultipartError) {
        var line = line
        var i = input.startIndex
        while i < input.endIndex {
            let b = input[i]
            i += 1
            switch line {
            case .start where b == UInt8(ascii: "-"):
                line = .secondDash
            case .secondDash where b == UInt8(ascii: "-"):
                // close-delimiter: whatever follows is epilogue (RFC 2046 §5.1.1), ignored.
                input = input[i...]
                state = .epilogue
                return
            case .start where b == SP || b == HTAB:
                line = .padding(1)
            case .padding(let n) where b == SP || b == HTAB:
                // transport-padding (RFC 2046 §5.1.1): whitespace a gateway may add. Bounded.
                guard n < 64 else { throw MultipartError("too much whitespace after a multipart boundary") }
                line = .padding(n + 1)
            case .start where b == CR, .padding where b == CR:
                line = .lineFeed
            case .lineFeed where b == LF:
                guard parts < limits.maxParts else {
                    throw MultipartError("multipart body has more than \(limits.maxParts) parts")
                }
                parts += 1
                input = input[i...]
                state = .headers
                return
            case .lineFeed:
                throw MultipartError("multipart boundary line does not end in CRLF")
            case .start where b == LF, .padding where b == LF:
                throw MultipartError("multipart boundary line does not end in CRLF")
            default:
                throw MultipartError("multipart boundary is followed by other characters")
            }
        }
        input = input[i...]
        state = .delimiterLine(line)
    }

    // MARK: - Part headers

    private mutating func headers(_ input: inout ArraySlice<UInt8>, _ handle: (MultipartEvent) throws -> Void) throws {
        while !input.isEmpty {
            let lf = input.firstIndex(of: LF)
            let piece = input[..<(lf ?? input.endIndex)]
            guard headerBytes + headerLine.count + piece.count + (lf == nil ? 0 : 1) <= limits.maxPartHeaderBytes else {
                throw MultipartError("multipart part header section is larger than \(limits.maxPartHeaderBytes) bytes")
            }
            headerLine.append(contentsOf: piece)
            guard let lf else {
                input = input[input.endIndex...]
                return
            }
            input = input[(lf + 1)...]
            if try completeHeaderLine() {
                let head = try makeHead()
                state = .body
                return try handle(.begin(head))
            }
        }
    }

    /// Checks and records the line in `headerLine`; true when it was the empty line ending the section.
    private mutating func completeHeaderLine() throws(MultipartError) -> Bool {
        defer { headerLine.removeAll(keepingCapacity: true) }
        guard headerLine.last == CR else {
            throw MultipartError("multipart part header line ends in a bare LF; lines must end in CRLF")
        }
        let line = headerLine.dropLast()
        guard !line.contains(CR) else { throw MultipartError("multipart part header contains a bare CR") }
        headerBytes += line.count + 2
        if line.isEmpty { return true }
        guard fields.count < limits.maxPartHeaderFields else {
            throw MultipartError("multipart part has more than \(limits.maxPartHeaderFields) header fields")
        }
        do {
            // Part headers follow the same field syntax as HTTP's, obs-fold refused (RFC 7578 §4.8 → RFC 5322).
            let field = try HTTPRequestParser.parseField(line)
            fields.add(field.name, field.value)
        } catch {
            throw MultipartError("malformed multipart part header: \(error.reason)")
        }
        return false
    }

    private mutating func makeHead() throws(MultipartError) -> MultipartPartHead {
        defer {
            fields = HTTPHeaders()
            headerBytes = 0
        }
        // RFC 7578 §4.2: each part has a Content-Disposition of type form-data with a name.
        let dispositions = fields.firstValue("Content-Disposition")
        guard dispositions.count <= 1 else { throw MultipartError("multipart part has more than one Content-Disposition") }
        guard let disposition = dispositions.value else { throw MultipartError("multipart part has no Content-Disposition") }
        let parsed = try ParameterizedValue(disposition, field: "Content-Disposition")
        guard parsed.value.caseInsensitiveEquals("form-data") else {
            throw MultipartError("multipart part's Content-Disposition is not form-data")
        }
        guard let name = parsed["name"] else { throw MultipartError("multipart part's Content-Disposition has no name") }

        var filename: String?
        if let plain = parsed["filename"] {
            filename = String(decoding: plain.value, as: UTF8.self)
        }
        // RFC 7578 §4.2 says senders must not use filename* (RFC 8187), but some do (urllib3 1.x did
        // for non-ASCII names); when present it is the better-defined of the two, so it wins.
        if let extended = parsed["filename*"] {
            guard !extended.wasQuoted, let decoded = ParameterizedValue.decodeExtendedValue(extended.value) else {
                throw MultipartError("multipart part has a malformed filename* parameter")
            }
            filename = decoded
        }

        let contentTypes = fields.firstValue("Content-Type")
        guard contentTypes.count <= 1 else { throw MultipartError("multipart part has more than one Content-Type") }
        return MultipartPartHead(name: String(decoding: name.value, as: UTF8.self), filename: filename,
                                 contentType: contentTypes.value, headers: fields)
    }
}
