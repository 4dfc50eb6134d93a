// fuzz target http-parser: the input is raw wire bytes, as a peer would send them.
//
// Checks, with the default limits and with small ones (so the limit edges are reachable with short
// inputs):
// - the parser never traps;
// - events come in the order head, body…, end, and a Content-Length request delivers exactly its
//   declared length before its end;
// - whole, byte-at-a-time, split-once and random-piece feeding produce the same heads, bodies,
//   ends and terminal error (the differential oracle);
// - each request parsed without error, written back out canonically, parses to the same head and body.

/// Everything a run produced, in a form two runs can be compared by.
struct HTTPRun: Equatable {
    var heads: [RequestHead] = []
    var bodies: [[UInt8]] = []
    var ends = 0
    var error: HTTPParseError?
}

/// Limits small enough that inputs of a few hundred bytes cross every one of them.
let smallHTTPLimits: HTTPLimits = {
    var limits = HTTPLimits()
    limits.maxRequestLine = 40
    limits.maxHeaderBytes = 120
    limits.maxHeaderCount = 4
    limits.maxChunkLine = 10
    limits.maxTrailerBytes = 24
    limits.maxLeadingEmptyLines = 2
    return limits
}()

/// Large enough for any re-serialised request of `max_len` bytes.
let roomyHTTPLimits: HTTPLimits = {
    var limits = HTTPLimits()
    limits.maxRequestLine = 1 << 20
    limits.maxHeaderBytes = 1 << 20
    limits.maxHeaderCount = 1 << 20
    return limits
}()

/// Feeds `wire` in the pieces of `chunking`, compacting between reads as `Connection` does.
func parseHTTP(_ wire: [UInt8], _ chunking: Chunking, limits: HTTPLimits) -> HTTPRun {
    var parser = HTTPRequestParser(limits: limits)
    var input = InputBuffer()
    var run = HTTPRun()
    var inRequest = false
    for piece in chunking.pieces(of: wire) {
        input.append(piece)
        do {
            while let event = try parser.next(&input) {
                switch event {
                case .head(let head):
                    require(!inRequest, "head inside a request (\(chunking))")
                    inRequest = true
                    run.heads.append(head)
                    run.bodies.append([])
                case .body(let bytes):
                    require(inRequest, "body outside a request (\(chunking))")
                    require(!bytes.isEmpty, "empty body event (\(chunking))")
                    run.bodies[run.bodies.count - 1].append(contentsOf: bytes)
                    switch run.heads[run.heads.count - 1].framing {
                    case .none: require(false, "body bytes for a request without a body (\(chunking))")
                    case .length(let n): require(run.bodies[run.bodies.count - 1].count <= n,
                                                 "more body than Content-Length \(n) (\(chunking))")
                    case .chunked: break
                    }
                case .end:
                    require(inRequest, "end outside a request (\(chunking))")
                    inRequest = false
                    run.ends += 1
                    let delivered = run.bodies[run.bodies.count - 1].count
                    switch run.heads[run.heads.count - 1].framing {
                    case .none: require(delivered == 0, "body for a request without one (\(chunking))")
                    case .length(let n): require(delivered == n, "\(delivered) body bytes for Content-Length \(n) (\(chunking))")
                    case .chunked: break
                    }
                }
            }
        } catch {
            run.error = error
            return run
        }
        require(input.readIndex <= input.bytes.count, "readIndex past the buffer (\(chunking))")
        input.compact()
    }
    return run
}

/// A request as a well-behaved client would write it: the head's fields as parsed, and the body
/// framed as the head says (chunked bodies as one chunk and no trailers).
func serialize(_ head: RequestHead, body: [UInt8]) -> [UInt8] {
    // An absolute-form target comes back as one, so its authority survives the trip too.
    let target = head.authority.map { "http://\($0)\(head.target)" } ?? head.target
    var out = Array("\(head.method.rawValue) \(target) HTTP/1.\(head.versionMinor)\r\n".utf8)
    for field in head.headers.fields {
        out += Array(field.name.utf8) + Array(": ".utf8) + Array(field.value.utf8) + [CR, LF]
    }
    out += [CR, LF]
    switch head.framing {
    case .none: break
    case .length: out += body
    case .chunked:
        if !body.isEmpty { out += Array(String(body.count, radix: 16).utf8) + [CR, LF] + body + [CR, LF] }
        out += Array("0\r\n\r\n".utf8)
    }
    return out
}

func fuzzHTTPParser(_ wire: [UInt8]) {
    for limits in [HTTPLimits(), smallHTTPLimits] {
        let small = limits.maxRequestLine == smallHTTPLimits.maxRequestLine
        let whole = parseHTTP(wire, .whole, limits: limits)
        for chunking in Chunking.all(for: wire).dropFirst() {
            let other = parseHTTP(wire, chunking, limits: limits)
            require(other == whole, """
                \(chunking) feeding differs from whole (\(small ? "small" : "default") limits) for \(swiftLiteral(wire)):
                  whole: \(describe(whole))
                  \(chunking): \(describe(other))
                """)
        }
        // Round trip: every complete request, written back out, reads back the same.
        for (index, head) in whole.heads.enumerated() where index < whole.ends {
            let again = parseHTTP(serialize(head, body: whole.bodies[index]), .whole, limits: roomyHTTPLimits)
            require(again.error == nil && again.heads == [head] && again.bodies == [whole.bodies[index]] && again.ends == 1, """
                request \(index) does not survive a round trip for \(swiftLiteral(wire)):
                  first: \(head) body \(swiftLiteral(whole.bodies[index]))
                  again: \(describe(again))
                """)
        }
    }
}

func describe(_ run: HTTPRun) -> String {
    "\(run.heads.count) heads \(run.heads.map { "\($0.method) \($0.target.prefix(60)) \($0.framing)" }), bodies \(run.bodies.map { $0.count }), \(run.ends) ends, error \(run.error.map { "\($0.status) \($0.reason)" } ?? "none")"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzHTTPParser(inputBytes(data, size))
    return 0
}
