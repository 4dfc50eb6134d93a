// fuzz target http-response: the input is raw response wire bytes, as an upstream would send them.
//
//   HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}
//
// The parser is `HTTPResponseParser`, the upstream client's. Checks, with the default limits
// (64 KiB head, 64 KiB body) and with small ones (64-byte head, 16-byte body), so every limit's
// edge is reachable with a short input:
// - the parser never traps;
// - whole, byte-at-a-time, split-once and random-piece feeding give the same status, headers, body,
//   completion and Failure, and, when the bytes run out before the response is complete, the same
//   result from `finishAtClose()`. After a Failure the bodies need only agree up to the shorter one:
//   a body framed by the close is refused at the piece that crosses `maxBody`, so how much of it
//   was kept depends on the cut (and the client drops it);
// - `feed` returns true exactly when `isComplete`, and once complete, more bytes (an empty feed
//   included) change nothing: feed returns true, and status, headers and body stay as they were;
// - the body never exceeds `maxBody`. A complete response has a status in 200…599 (1xx answers are
//   skipped), exactly its `Content-Length` of body bytes when it has one and no Transfer-Encoding,
//   and no body for a 204 or 304 without either;
// - round trip: a complete response, written back out canonically (`HTTP/1.1 <status> X`, its
//   headers but Content-Length and Transfer-Encoding, then `Content-Length: <n>` and the body),
//   parses to the same status, headers and body.

/// Everything a run produced, in a form two runs can be compared by.
struct ResponseRun: Equatable {
    struct Field: Equatable {
        var name: String
        var value: String
    }

    var status = 0
    var headers: [Field] = []
    var body: [UInt8] = []
    var complete = false
    /// The Failure thrown by `feed`.
    var failure: HTTPResponseParser.Failure?
    /// Whether `finishAtClose()` was called (the bytes ran out before a complete response), and
    /// what it threw.
    var closed = false
    var closeFailure: HTTPResponseParser.Failure?

    /// Equal apart from the body, which must agree up to the shorter one after a Failure.
    func matches(_ other: ResponseRun) -> Bool {
        guard status == other.status, headers == other.headers, complete == other.complete,
              failure == other.failure, closed == other.closed, closeFailure == other.closeFailure else { return false }
        guard failure != nil else { return body == other.body }
        return body.count <= other.body.count ? other.body.starts(with: body) : body.starts(with: other.body)
    }
}

struct ResponseLimits {
    var maxHead: Int
    var maxBody: Int
}

let responseLimits = [ResponseLimits(maxHead: 64 * 1024, maxBody: 64 * 1024), ResponseLimits(maxHead: 64, maxBody: 16)]

func snapshot(_ parser: HTTPResponseParser) -> ResponseRun {
    var run = ResponseRun()
    run.status = parser.status
    run.headers = parser.headers.map { ResponseRun.Field(name: $0.name, value: $0.value) }
    run.body = parser.body
    run.complete = parser.isComplete
    return run
}

/// Feeds `wire` in the pieces of `chunking` (all of them, on past completion), then calls
/// `finishAtClose()` if the response is still open.
func parseResponse(_ wire: [UInt8], _ chunking: Chunking, limits: ResponseLimits) -> ResponseRun {
    var parser = HTTPResponseParser(maxHead: limits.maxHead, maxBody: limits.maxBody)
    var pieces = chunking.pieces(of: wire)
    // An empty feed must change nothing; put one in the middle of every chunked run.
    if case .whole = chunking {} else { pieces.insert(wire[0..<0], at: pieces.count / 2) }
    var completed: ResponseRun?
    do {
        for piece in pieces {
            let done = try parser.feed(piece)
            require(done == parser.isComplete, "feed returned \(done) with isComplete \(parser.isComplete) (\(chunking))")
            require(parser.body.count <= limits.maxBody,
                    "a body of \(parser.body.count) bytes over maxBody \(limits.maxBody) (\(chunking))")
            if let completed {
                require(done && snapshot(parser) == completed, "a feed after completion changed the response (\(chunking))")
            } else if done {
                completed = snapshot(parser)
            }
        }
    } catch {
        var run = snapshot(parser)
        run.failure = error
        require(!run.complete, "\(error) thrown by a complete response (\(chunking))")
        require(run.body.count <= limits.maxBody, "a body of \(run.body.count) bytes over maxBody \(limits.maxBody) (\(chunking))")
        return run
    }
    var run = snapshot(parser)
    if !run.complete {
        var closeFailure: HTTPResponseParser.Failure?
        do {
            try parser.finishAtClose()
        } catch {
            closeFailure = error
        }
        require(parser.isComplete == (closeFailure == nil),
                "finishAtClose threw \(closeFailure?.description ?? "nothing") with isComplete \(parser.isComplete) (\(chunking))")
        run = snapshot(parser)
        run.closed = true
        run.closeFailure = closeFailure
        require(run.body.count <= limits.maxBody, "a body of \(run.body.count) bytes over maxBody at the close (\(chunking))")
    }
    if run.complete {
        // More bytes after a complete response (another response, even) are ignored.
        for extra in [wire[...], Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx".utf8)[...], wire[0..<0]] {
            let done: Bool
            do {
                done = try parser.feed(extra)
            } catch {
                require(false, "a feed after completion threw \(error) (\(chunking))")
                return run
            }
            var now = snapshot(parser)
            now.closed = run.closed
            now.closeFailure = run.closeFailure
            require(done && now == run, "a feed after completion changed the response (\(chunking))")
        }
    }
    return run
}

func isFraming(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower == "content-length" || lower == "transfer-encoding"
}

/// The response as a plain Content-Length answer.
func canonical(_ run: ResponseRun) -> [UInt8] {
    var out = Array("HTTP/1.1 \(run.status) X\r\n".utf8)
    for field in run.headers where !isFraming(field.name) { out += Array("\(field.name): \(field.value)\r\n".utf8) }
    return out + Array("Content-Length: \(run.body.count)\r\n\r\n".utf8) + run.body
}

func describe(_ run: ResponseRun) -> String {
    let headers = run.headers.map { "\($0.name.debugDescription): \($0.value.debugDescription)" }
    return "status \(run.status), headers \(headers), body \(swiftLiteral(run.body, limit: 80)), complete \(run.complete), "
        + "failure \(run.failure?.description ?? "none")"
        + (run.closed ? ", at the close \(run.closeFailure?.description ?? "complete")" : "")
}

func fuzzHTTPResponse(_ wire: [UInt8]) {
    for limits in responseLimits {
        let whole = parseResponse(wire, .whole, limits: limits)
        for chunking in Chunking.all(for: wire).dropFirst() {
            let other = parseResponse(wire, chunking, limits: limits)
            require(other.matches(whole), """
                \(chunking) feeding differs from whole for \(swiftLiteral(wire)) (maxHead \(limits.maxHead), maxBody \(limits.maxBody)):
                  whole: \(describe(whole))
                  \(chunking): \(describe(other))
                """)
        }
        guard whole.complete else { continue }

        require((200...599).contains(whole.status), "complete with status \(whole.status): \(swiftLiteral(wire))")
        let fields = whole.headers.map { (name: $0.name, value: $0.value) }
        let first = { (name: String) in fields.first { $0.name.lowercased() == name }?.value }
        if first("transfer-encoding") == nil {
            if let length = first("content-length") {
                require(Int(length) == whole.body.count,
                        "Content-Length \(length.debugDescription) but \(whole.body.count) body bytes: \(swiftLiteral(wire))")
            } else if whole.status == 204 || whole.status == 304 {
                require(whole.body.isEmpty, "a \(whole.status) with \(whole.body.count) body bytes: \(swiftLiteral(wire))")
            }
        }

        // The canonical head can be longer than the original (a Content-Length line added).
        let rewritten = canonical(whole)
        let roomy = ResponseLimits(maxHead: 1 << 20, maxBody: limits.maxBody)
        let again = parseResponse(rewritten, .whole, limits: roomy)
        let kept = whole.headers.filter { !isFraming($0.name) } + [ResponseRun.Field(name: "Content-Length", value: "\(whole.body.count)")]
        require(again.complete && again.status == whole.status && again.body == whole.body && again.headers == kept, """
            \(swiftLiteral(wire)) does not survive a round trip via \(swiftLiteral(rewritten)):
              first: \(describe(whole))
              again: \(describe(again))
            """)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzHTTPResponse(inputBytes(data, size))
    return 0
}
