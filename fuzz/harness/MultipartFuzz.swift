// fuzz target multipart: the input is a Content-Type value, a line feed, then the body.
//
//   multipart/form-data; boundary=xyz\n--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n
//
// The boundary comes from `MultipartParser.boundary(fromContentType:)`; when that refuses the
// value, the raw value is handed to `MultipartParser(boundary:)`, whose validation must refuse it
// too. Checks, with the default limits and with small ones:
// - the parser never traps, and events come as begin, data…, end;
// - whole, byte-at-a-time, split-once and random-piece feeding give the same parts, error and
//   completion (data events joined per part: their cut points may differ);
// - no part's body contains the delimiter (CRLF "--" boundary);
// - a body parsed without error, written back out canonically, parses to the same parts.

struct PartRecord: Equatable {
    var head: MultipartPartHead
    var body: [UInt8] = []
    var ended = false
}

struct MultipartRun: Equatable {
    var parts: [PartRecord] = []
    var error: MultipartError?
    var complete = false
}

let smallMultipartLimits: MultipartLimits = {
    var limits = MultipartLimits()
    limits.maxParts = 3
    limits.maxPartHeaderBytes = 64
    limits.maxPartHeaderFields = 3
    limits.maxPreambleBytes = 8
    return limits
}()

func parseMultipart(_ body: [UInt8], boundary: String, _ chunking: Chunking, limits: MultipartLimits) -> MultipartRun {
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var run = MultipartRun()
    var inPart = false
    var pieces = chunking.pieces(of: body)
    // An empty feed must change nothing; put one in the middle of every chunked run.
    if case .whole = chunking {} else { pieces.insert(body[0..<0], at: pieces.count / 2) }
    var finishing = false
    do {
        for piece in pieces {
            try parser.feed(piece) { event in
                switch event {
                case .begin(let head):
                    require(!inPart, "begin inside a part (\(chunking))")
                    inPart = true
                    run.parts.append(PartRecord(head: head))
                case .data(let bytes):
                    require(inPart, "data outside a part (\(chunking))")
                    require(!bytes.isEmpty, "empty data event (\(chunking))")
                    run.parts[run.parts.count - 1].body += bytes
                case .end:
                    require(inPart, "end outside a part (\(chunking))")
                    inPart = false
                    run.parts[run.parts.count - 1].ended = true
                }
            }
        }
        run.complete = parser.isComplete
        finishing = true
        try parser.finish()
        require(run.complete && !inPart, "finish succeeded on an incomplete body (\(chunking))")
    } catch let error as MultipartError {
        run.error = error
        // A parser spent by a feed error stays spent ("After any error the parser is spent").
        if !finishing, !body.isEmpty {
            do {
                try parser.feed(body[...]) { _ in }
                require(false, "feed after an error did not throw (\(chunking))")
            } catch let again as MultipartError {
                require(again == error, "feed after \(error) threw \(again) (\(chunking))")
            } catch {}
        }
    } catch {
        require(false, "feed threw a non-multipart error \(error) (\(chunking))")
    }
    return run
}

/// The parts as a well-behaved client would write them, with the same boundary.
func serialize(_ parts: [PartRecord], boundary: String) -> [UInt8] {
    var out: [UInt8] = []
    for part in parts {
        out += Array("--\(boundary)\r\n".utf8)
        for field in part.head.headers.fields { out += Array("\(field.name): \(field.value)\r\n".utf8) }
        out += Array("\r\n".utf8) + part.body + Array("\r\n".utf8)
    }
    return out + Array("--\(boundary)--\r\n".utf8)
}

func fuzzMultipart(_ input: [UInt8]) {
    let newline = input.firstIndex(of: 0x0A) ?? input.endIndex
    var contentType = String(decoding: input[..<newline], as: UTF8.self)
    if contentType.hasSuffix("\r") { contentType.removeLast() }
    let body = Array(input[min(newline + 1, input.count)...])

    for limits in [MultipartLimits(), smallMultipartLimits] {
        let boundary: String
        do {
            boundary = try MultipartParser.boundary(fromContentType: contentType, limits: limits)
            require(!boundary.isEmpty && boundary.utf8.count <= limits.maxBoundaryLength,
                    "boundary helper returned \(boundary.debugDescription)")
        } catch {
            // Not a usable Content-Type: the raw value as a boundary must fail just as consistently.
            boundary = contentType
        }
        let delimiter = Array("\r\n--\(boundary)".utf8)

        let whole = parseMultipart(body, boundary: boundary, .whole, limits: limits)
        for chunking in Chunking.all(for: input).dropFirst() {
            let other = parseMultipart(body, boundary: boundary, chunking, limits: limits)
            require(other == whole, """
                \(chunking) feeding differs from whole for boundary \(boundary.debugDescription), body \(swiftLiteral(body)):
                  whole: \(describe(whole))
                  \(chunking): \(describe(other))
                """)
        }
        for part in whole.parts {
            require(!contains(part.body, delimiter), "a part body holds the delimiter: \(swiftLiteral(part.body))")
        }
        if whole.error == nil {
            var roomy = limits
            roomy.maxPartHeaderBytes = 1 << 20
            roomy.maxPreambleBytes = 1 << 20
            let again = parseMultipart(serialize(whole.parts, boundary: boundary), boundary: boundary, .whole, limits: roomy)
            require(again == whole, """
                parts do not survive a round trip for boundary \(boundary.debugDescription), body \(swiftLiteral(body)):
                  first: \(describe(whole))
                  again: \(describe(again))
                """)
        }
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}

func describe(_ run: MultipartRun) -> String {
    let parts = run.parts.map { "\($0.head.name.debugDescription) \($0.head.filename?.debugDescription ?? "-") \($0.body.count)B\($0.ended ? "" : " open")" }
    return "\(parts), complete \(run.complete), error \(run.error?.detail ?? "none")"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzMultipart(inputBytes(data, size))
    return 0
}
