/// Reads one HTTP/1.1 response from bytes as they arrive, for the upstream client: the status
/// line, the headers, then a body framed by `Content-Length`, by chunks, or by the close. Interim
/// (1xx) responses are skipped. Bounded: a head over `maxHead` or a body over `maxBody` is refused,
/// so an upstream cannot make the server hold more than it would accept in an upload.
public struct HTTPResponseParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let maxHead: Int
    public let maxBody: Int

    public private(set) var status = 0
    public private(set) var headers: [(name: String, value: String)] = []
    public private(set) var body: [UInt8] = []

    private enum Framing {
        case length(Int)
        case chunked
        case close
    }

    private enum State {
        case head
        case body(Framing)
        /// Inside a chunked body: `remaining` bytes of the current chunk, or its size line when 0.
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case done
    }

    private var state = State.head
    private var pending: [UInt8] = []

    public init(maxHead: Int = 64 * 1024, maxBody: Int) {
        self.maxHead = maxHead
        self.maxBody = maxBody
    }

    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Feeds the next bytes; true once the response is complete (bytes after it are ignored).
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(Failure) -> Bool {
        if case .done = state { return true }
        pending.append(contentsOf: bytes)
        var index = pending.startIndex
        defer { pending.removeSubrange(pending.startIndex..<index) }
        while true {
            switch state {
            case .done:
                return true
            case .head:
                guard let end = Self.find(Self.blankLine, in: pending, from: index) else {
                    // The blank line may have begun in the last 3 bytes: refuse only a head that is
                    // over the limit whatever comes next, so the verdict does not depend on the cut.
                    if pending.count - index - 3 > maxHead { throw Failure(description: "the response head is over \(maxHead) bytes") }
                    return false
                }
                guard end - index <= maxHead else { throw Failure(description: "the response head is over \(maxHead) bytes") }
                try parseHead(pending[index..<end])
                index = end + 4
            case .body(.length(let remaining)):
                let take = min(remaining, pending.count - index)
                body.append(contentsOf: pending[index..<(index + take)])
                index += take
                state = remaining == take ? .done : .body(.length(remaining - take))
                if remaining != take { return false }
            case .body(.close):
                guard body.count + pending.count - index <= maxBody else { throw Failure(description: "the response body is over \(maxBody) bytes") }
                body.append(contentsOf: pending[index...])
                index = pending.endIndex
                return false
            case .body(.chunked), .chunkSize:
                // As for the head: the same bound whether the line came whole or its CR came last.
                guard let end = Self.find(Self.lineEnd, in: pending, from: index) else {
                    if pending.count - index - 1 > 1024 { throw Failure(description: "a chunk size line is too long") }
                    return false
                }
                guard end - index <= 1024 else { throw Failure(description: "a chunk size line is too long") }
                let line = pending[index..<end].prefix { $0 != UInt8(ascii: ";") }
                guard !line.isEmpty, line.count <= 16, let size = Int(String(decoding: line, as: UTF8.self).trimmingSpaces, radix: 16),
                      size >= 0 else {
                    throw Failure(description: "a chunk size is not hexadecimal")
                }
                guard size <= maxBody - body.count else { throw Failure(description: "the response body is over \(maxBody) bytes") }
                index = end + 2
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, pending.count - index)
                body.append(contentsOf: pending[index..<(index + take)])
                index += take
                if take < remaining {
                    state = .chunkData(remaining: remaining - take)
                    return false
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard pending.count - index >= 2 else { return false }
                guard pending[index] == 13, pending[index + 1] == 10 else { throw Failure(description: "a chunk does not end with CRLF") }
                index += 2
                state = .chunkSize
            case .trailers:
                guard let end = Self.find(Self.lineEnd, in: pending, from: index) else {
                    if pending.count - index - 1 > maxHead { throw Failure(description: "the trailers are too long") }
                    return false
                }
                guard end - index <= maxHead else { throw Failure(description: "the trailers are too long") }
                // Trailer lines are skipped; an empty line ends them, and the response.
                let empty = end == index
                index = end + 2
                if empty { state = .done }
            }
        }
    }

    /// The peer closed: complete for a body framed by the close, else it was cut off.
    public mutating func finishAtClose() throws(Failure) {
        switch state {
        case .done: return
        case .body(.close): state = .done
        case .head where pending.isEmpty && status == 0: throw Failure(description: "the connection closed before any answer")
        default: throw Failure(description: "the answer was cut off after \(body.count) bytes of its body")
        }
    }

    private mutating func parseHead(_ head: ArraySlice<UInt8>) throws(Failure) {
        var lines = head.split(separator: 13, omittingEmptySubsequences: false).map { line in
            line.first == 10 ? line.dropFirst() : line
        }
        let statusLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        let fields = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0] == "HTTP/1.1" || fields[0] == "HTTP/1.0", fields[1].count == 3,
              let code = Int(fields[1]), (100...599).contains(code) else {
            throw Failure(description: "not an HTTP/1.x status line")
        }
        var parsed: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw Failure(description: "a header line has no name")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            guard !name.contains(where: { $0 == " " || $0 == "\t" }) else { throw Failure(description: "a header name holds a space") }
            parsed.append((name, String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces))
        }
        if (100...199).contains(code) {
            // An interim answer (100 Continue): the real one follows.
            return
        }
        status = code
        headers = parsed
        let encoding = header("Transfer-Encoding")?.lowercased()
        if let encoding {
            guard encoding == "chunked" else { throw Failure(description: "unsupported Transfer-Encoding \(encoding)") }
            state = .body(.chunked)
        } else if let length = header("Content-Length") {
            guard let count = Int(length), count >= 0 else { throw Failure(description: "a Content-Length is not a number") }
            guard count <= maxBody else { throw Failure(description: "the response body is over \(maxBody) bytes") }
            state = count == 0 ? .done : .body(.length(count))
        } else if code == 204 || code == 304 {
            state = .done
        } else {
            state = .body(.close)
        }
    }

    private static let blankLine: [UInt8] = [13, 10, 13, 10]
    private static let lineEnd: [UInt8] = [13, 10]

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        bytes[start...].firstRange(of: needle)?.lowerBound
    }
}

extension String {
    /// Without the spaces and tabs at either end: scalars, not characters, so a space that a
    /// combining mark follows is trimmed too (HTTP's OWS is bytes).
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
