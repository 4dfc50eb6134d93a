import Testing
@testable import HTTPServer

/// One part as the events described it: its head, its body bytes joined, whether it ended.
private struct PartRecord: Equatable {
    var head: MultipartPartHead
    var body: [UInt8] = []
    var ended = false

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// What a multipart parse produced.
private struct MultipartRun: Equatable {
    var parts: [PartRecord] = []
    var error: MultipartError?
    var complete = false
}

/// Feeds `body` in the given pieces (cut at `cuts`), then calls `finish`; records every event and
/// checks they come in begin, data…, end order.
private func parse(_ body: [UInt8], boundary: String, cuts: [Int], limits: MultipartLimits = MultipartLimits()) -> MultipartRun {
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var run = MultipartRun()
    var inPart = false
    let bounds = [0] + cuts + [body.count]
    do {
        for (from, to) in zip(bounds, bounds.dropFirst()) where from < to {
            try parser.feed(body[from..<to]) { event in
                switch event {
                case .begin(let head):
                    precondition(!inPart, "begin inside a part")
                    inPart = true
                    run.parts.append(PartRecord(head: head))
                case .data(let bytes):
                    precondition(inPart && !bytes.isEmpty, "data outside a part, or empty")
                    run.parts[run.parts.count - 1].body += bytes
                case .end:
                    precondition(inPart, "end outside a part")
                    inPart = false
                    run.parts[run.parts.count - 1].ended = true
                }
            }
        }
        run.complete = parser.isComplete
        try parser.finish()
    } catch let error as MultipartError {
        run.error = error
    } catch {
        Issue.record("unexpected error \(error)")
    }
    return run
}

private func parse(_ body: String, boundary: String, cuts: [Int] = [], limits: MultipartLimits = MultipartLimits()) -> MultipartRun {
    parse(Array(body.utf8), boundary: boundary, cuts: cuts, limits: limits)
}

/// Parses whole and one byte at a time, and insists both give the same parts, error and completion.
private func parseBothWays(_ body: [UInt8], boundary: String, limits: MultipartLimits = MultipartLimits(),
                           sourceLocation: SourceLocation = #_sourceLocation) -> MultipartRun {
    let whole = parse(body, boundary: boundary, cuts: [], limits: limits)
    let trickled = parse(body, boundary: boundary, cuts: Array(0..<body.count), limits: limits)
    #expect(whole == trickled, "byte-at-a-time parse differs", sourceLocation: sourceLocation)
    return whole
}

private func parseBothWays(_ body: String, boundary: String, limits: MultipartLimits = MultipartLimits(),
                           sourceLocation: SourceLocation = #_sourceLocation) -> MultipartRun {
    parseBothWays(Array(body.utf8), boundary: boundary, limits: limits, sourceLocation: sourceLocation)
}

/// A body with one text part per value, as a well-behaved client writes it.
private func form(_ boundary: String, _ parts: [(headers: String, body: String)]) -> String {
    parts.map { "--\(boundary)\r\n\($0.headers)\r\n\r\n\($0.body)\r\n" }.joined() + "--\(boundary)--\r\n"
}

@Suite("multipart/form-data parser (RFC 7578, RFC 2046 §5.1)")
struct MultipartParserTests {
    // MARK: What real clients send (captured from curl 7.88, requests 2.34 / urllib3 2.7, Node 20 fetch)

    /// The uploaded "file" of every capture: it holds a CRLF and "--" inside, like binary audio may.
    static let tinyWAV = "RIFFabc\r\n--xyz\r\n\u{0}\u{1}"

    @Test func curlUpload_yieldsAFilePartAndAJSONPart() throws {
        let contentType = "multipart/form-data; boundary=------------------------238fc1cd86d1b55b"
        let body = "--------------------------238fc1cd86d1b55b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tiny.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFabc\r\n--xyz\r\n\u{0}\u{1}\r\n--------------------------238fc1cd86d1b55b\r\nContent-Disposition: form-data; name=\"transcribe_options\"\r\n\r\n{\"suppress_korean\": false}\r\n--------------------------238fc1cd86d1b55b--\r\n"
        let boundary = try MultipartParser.boundary(fromContentType: contentType)
        #expect(boundary == "------------------------238fc1cd86d1b55b")
        let run = parseBothWays(body, boundary: boundary)
        #expect(run.error == nil && run.complete)
        #expect(run.parts.count == 2)
        #expect(run.parts[0].head.name == "file")
        #expect(run.parts[0].head.filename == "tiny.wav")
        #expect(run.parts[0].head.contentType == "audio/wav")
        #expect(run.parts[0].text == Self.tinyWAV)
        #expect(run.parts[1].head.name == "transcribe_options")
        #expect(run.parts[1].head.filename == nil && run.parts[1].head.contentType == nil)
        #expect(run.parts[1].text == "{\"suppress_korean\": false}")
        #expect(run.parts.allSatisfy { $0.ended })
    }

    @Test func pythonRequestsUpload_hasAHexBoundary_andNoContentTypeOnTextFields() throws {
        let contentType = "multipart/form-data; boundary=d2cef1c296ea399e686ad170d5c21b83"
        let body = "--d2cef1c296ea399e686ad170d5c21b83\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n{\"gold_text\": \"Wow, check out this castle.\"}\r\n--d2cef1c296ea399e686ad170d5c21b83\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tiny.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFabc\r\n--xyz\r\n\u{0}\u{1}\r\n--d2cef1c296ea399e686ad170d5c21b83--\r\n"
        let run = parseBothWays(body, boundary: try MultipartParser.boundary(fromContentType: contentType))
        #expect(run.error == nil && run.complete)
        #expect(run.parts.map(\.head.name) == ["options", "file"])
        #expect(run.parts[0].head.contentType == nil)
        #expect(run.parts[0].text == "{\"gold_text\": \"Wow, check out this castle.\"}")
        #expect(run.parts[1].head.filename == "tiny.wav")
        #expect(run.parts[1].text == Self.tinyWAV)
    }

    @Test func browserFormData_withAWebKitBoundary_isParsed() throws {
        let contentType = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
        let body = "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"file\"; filename=\"recording.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFabc\r\n--xyz\r\n\u{0}\u{1}\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"transcribe_options\"\r\n\r\n{}\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"
        let run = parseBothWays(body, boundary: try MultipartParser.boundary(fromContentType: contentType))
        #expect(run.error == nil && run.complete)
        #expect(run.parts.map(\.head.name) == ["file", "transcribe_options"])
        #expect(run.parts[0].head.filename == "recording.wav")
        #expect(run.parts[0].text == Self.tinyWAV)
        #expect(run.parts[1].text == "{}")
    }

    @Test func nodeFetchFormData_withAnUndiciBoundary_isParsed() throws {
        let contentType = "multipart/form-data; boundary=----formdata-undici-084979292136"
        let body = "------formdata-undici-084979292136\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tiny.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFabc\r\n--xyz\r\n\u{0}\u{1}\r\n------formdata-undici-084979292136\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n{\"gold_text\":\"Wow\"}\r\n------formdata-undici-084979292136--\r\n"
        let run = parseBothWays(body, boundary: try MultipartParser.boundary(fromContentType: contentType))
        #expect(run.error == nil && run.complete)
        #expect(run.parts.map(\.text) == [Self.tinyWAV, "{\"gold_text\":\"Wow\"}"])
    }

    // MARK: Boundaries and parameters

    @Test func quotedBoundary_withASpace_isAccepted() throws {
        // RFC 2046 §5.1.1's own example boundary.
        let boundary = try MultipartParser.boundary(fromContentType: "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"simple boundary\"")
        #expect(boundary == "simple boundary")
        let run = parseBothWays(form(boundary, [("Content-Disposition: form-data; name=\"a\"", "1")]), boundary: boundary)
        #expect(run.error == nil && run.parts.map(\.text) == ["1"])
    }

    @Test func contentTypeSpacing_isFlexible() throws {
        for value in ["multipart/form-data;boundary=abc", "multipart/form-data ; boundary = abc ;", "multipart/form-data;\tboundary=\"abc\""] {
            #expect(try MultipartParser.boundary(fromContentType: value) == "abc", "\(value)")
        }
    }

    @Test func malformedContentType_isRejected() {
        #expect(throws: MultipartError("malformed Content-Type header")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data boundary=abc")
        }
        #expect(throws: MultipartError("Content-Type parameter \"boundary\" has no value")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary")
        }
    }

    @Test func boundaryOfSeventyCharacters_isAccepted() throws {
        let boundary = String(repeating: "a", count: 70)
        #expect(try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\(boundary)") == boundary)
    }

    @Test func filenameStar_inUTF8_winsOverFilename() {
        let headers = "Content-Disposition: form-data; name=\"file\"; filename=\"fallback.wav\"; filename*=UTF-8''%EC%95%88%EB%85%95%20%F0%9F%8E%A4.wav"
        let run = parseBothWays(form("b", [(headers, "x")]), boundary: "b")
        #expect(run.error == nil)
        #expect(run.parts.first?.head.filename == "안녕 🎤.wav")
    }

    @Test func filenameStar_inLatin1_isDecoded() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=f; filename*=iso-8859-1'en'caf%E9.wav", "x")]), boundary: "b")
        #expect(run.parts.first?.head.filename == "café.wav")
    }

    @Test func rawUTF8Filename_asBrowsersSendIt_isDecoded() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"file\"; filename=\"녹음.wav\"", "x")]), boundary: "b")
        #expect(run.parts.first?.head.filename == "녹음.wav")
    }

    @Test func quotedStringEscapes_areRemoved() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\\\"b\"; filename=\"x\\\\y.wav\"", "x")]), boundary: "b")
        #expect(run.parts.first?.head.name == "a\"b")
        #expect(run.parts.first?.head.filename == "x\\y.wav")
    }

    @Test func parameterNamesAndDispositionType_areCaseInsensitive() {
        let run = parseBothWays(form("b", [("content-disposition: Form-Data; NAME=file ; FileName = \"a.wav\"", "x")]), boundary: "b")
        #expect(run.error == nil)
        #expect(run.parts.first?.head.name == "file")
        #expect(run.parts.first?.head.filename == "a.wav")
    }

    @Test func partHeaders_areKeptInOrder() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"\r\nContent-Type: text/plain; charset=utf-8\r\nX-Extra: 1", "x")]), boundary: "b")
        #expect(run.parts.first?.head.contentType == "text/plain; charset=utf-8")
        #expect(run.parts.first?.head.headers.fields.map(\.name) == ["Content-Disposition", "Content-Type", "X-Extra"])
    }

    // MARK: Framing

    @Test func nearBoundarySequences_inABody_passThroughAsData() {
        // Prefixes of "\r\n--boundary" that stop short or go astray, and the boundary without its CRLF.
        let tricky = "a\r\n--boundar\rb\r\n-\r\n--\r\r\n--boun\r\nc--boundary\r\n-x\r\n--boundarz\n\r\r\n"
        let body = form("boundary", [("Content-Disposition: form-data; name=\"f\"", tricky), ("Content-Disposition: form-data; name=\"g\"", "\r\n--boundar")])
        let run = parseBothWays(body, boundary: "boundary")
        #expect(run.error == nil && run.complete)
        #expect(run.parts.map(\.text) == [tricky, "\r\n--boundar"])
    }

    @Test func chunkSplits_atEveryOffset_giveTheSameParts() {
        let body = Array(form("xyz", [("Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"", "\r\n--xy\r\n--x\r"),
                                      ("Content-Disposition: form-data; name=\"o\"", "{}")]).utf8)
        let expected = parse(body, boundary: "xyz", cuts: [])
        #expect(expected.error == nil && expected.parts.map(\.text) == ["\r\n--xy\r\n--x\r", "{}"])
        for first in 0...body.count {
            for second in first...body.count {
                let run = parse(body, boundary: "xyz", cuts: [first, second])
                if run != expected {
                    Issue.record("split at \(first) and \(second) differs")
                    return
                }
            }
        }
    }

    @Test func bodyEndingInCRLF_keepsIt_andTheDelimitersCRLFIsDropped() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"", "line\r\n")]), boundary: "b")
        #expect(run.parts.first?.text == "line\r\n")
    }

    @Test func emptyPartBody_isAnEmptyPart() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"", "")]), boundary: "b")
        #expect(run.parts.count == 1 && run.parts[0].body.isEmpty && run.parts[0].ended)
    }

    @Test func emptyForm_withOnlyTheCloseDelimiter_hasNoParts() {
        // What a browser sends for an empty FormData.
        let run = parseBothWays("--b--\r\n", boundary: "b")
        #expect(run.error == nil && run.complete && run.parts.isEmpty)
    }

    @Test func preambleEpilogueAndTransportPadding_areIgnored() {
        // RFC 2046 §5.1.1: preamble CRLF dash-boundary transport-padding CRLF …; close-delimiter then epilogue.
        let body = "This is the preamble.\r\n--b \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--  \r\nThis is the epilogue.\r\n--b\r\nignored"
        let run = parseBothWays(body, boundary: "b")
        #expect(run.error == nil && run.complete)
        #expect(run.parts.map(\.text) == ["v"])
    }

    @Test func isComplete_onlyAfterTheCloseDelimiter() throws {
        var parser = MultipartParser(boundary: "b")
        try parser.feed(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b-".utf8)[...]) { _ in }
        #expect(!parser.isComplete)
        try parser.feed(Array("-".utf8)[...]) { _ in }
        #expect(parser.isComplete)
        try parser.finish()
    }

    @Test func largeFilePart_isStreamedWithoutBeingBuffered() throws {
        let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
        var parser = MultipartParser(boundary: boundary)
        let chunk = [UInt8](repeating: 0x0D, count: 64 * 1024)  // all CRs: every byte starts a delimiter check
        var reported = 0
        var ends = 0
        try parser.feed(Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n\r\n".utf8)[...]) { _ in }
        for i in 1...160 {
            try parser.feed(chunk[...]) { event in
                if case .data(let bytes) = event { reported += bytes.count }
            }
            // Only a delimiter's worth (here one CR) may be held back; the body itself is never kept.
            #expect(i * chunk.count - reported <= boundary.utf8.count + 4)
        }
        try parser.feed(Array("\r\n--\(boundary)--\r\n".utf8)[...]) { event in
            if case .data(let bytes) = event { reported += bytes.count }
            if case .end = event { ends += 1 }
        }
        try parser.finish()
        #expect(reported == 160 * chunk.count && ends == 1)
    }

    // MARK: Refused: Content-Type

    @Test func contentTypeWithoutBoundary_isRejected() {
        #expect(throws: MultipartError("multipart/form-data Content-Type has no boundary")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data")
        }
        #expect(throws: MultipartError("multipart/form-data Content-Type has no boundary")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data; charset=utf-8")
        }
    }

    @Test func otherContentTypes_areRejected() {
        for value in ["application/json", "multipart/mixed; boundary=b", "text/plain", "", "  "] {
            #expect(throws: MultipartError("Content-Type is not multipart/form-data")) {
                try MultipartParser.boundary(fromContentType: value)
            }
        }
    }

    @Test func boundaryOverSeventyCharacters_isRejected() {
        #expect(throws: MultipartError("multipart boundary is longer than 70 characters")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\(String(repeating: "a", count: 71))")
        }
    }

    @Test func boundaryWithCharactersOutsideBchars_isRejected() {
        for value in ["boundary=a$b", "boundary=\"a\\\"b\"", "boundary=\"ends with space \"", "boundary=\"\""] {
            #expect(throws: MultipartError.self) {
                try MultipartParser.boundary(fromContentType: "multipart/form-data; \(value)")
            }
        }
    }

    @Test func duplicateBoundaryParameter_isRejected() {
        #expect(throws: MultipartError("Content-Type has more than one \"boundary\" parameter")) {
            try MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=a; Boundary=b")
        }
    }

    @Test func parserMadeWithABadBoundary_refusesToParse() {
        let run = parse("--a\r\n", boundary: "bad\r\nboundary")
        #expect(run.error == MultipartError("multipart boundary has characters RFC 2046 does not allow"))
    }

    // MARK: Refused: body framing

    @Test func missingCloseDelimiter_makesFinishThrow() {
        let run = parseBothWays("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n", boundary: "b")
        #expect(run.error == MultipartError("multipart body has no closing boundary"))
        #expect(run.parts.count == 1 && !run.parts[0].ended)
    }

    @Test func bodyCutOffInsideHeaders_makesFinishThrow() {
        let run = parseBothWays("--b\r\nContent-Disposition: form-da", boundary: "b")
        #expect(run.error == MultipartError("multipart body has no closing boundary"))
    }

    @Test func garbageInsteadOfTheFirstDelimiter_isRejected() {
        let short = parseBothWays("hello world, this is not multipart", boundary: "b")
        #expect(short.error == MultipartError("multipart body does not begin with its boundary"))
        let long = parseBothWays(String(repeating: "garbage ", count: 200) + "\r\n--b--", boundary: "b")
        #expect(long.error == MultipartError("multipart body does not begin with its boundary"))
    }

    @Test func boundaryFollowedByOtherCharacters_isRejected() {
        let run = parseBothWays("--bx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--", boundary: "b")
        #expect(run.error == MultipartError("multipart boundary is followed by other characters"))
    }

    @Test func boundaryLineEndingInBareLF_isRejected() {
        let run = parseBothWays("--b\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--", boundary: "b")
        #expect(run.error == MultipartError("multipart boundary line does not end in CRLF"))
        let withCR = parseBothWays("--b\rContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--b--", boundary: "b")
        #expect(withCR.error == MultipartError("multipart boundary line does not end in CRLF"))
    }

    @Test func tooManyParts_isRejected() {
        let parts = (0..<17).map { ("Content-Disposition: form-data; name=\"p\($0)\"", "v") }
        let run = parseBothWays(form("b", parts), boundary: "b")
        #expect(run.error == MultipartError("multipart body has more than 16 parts"))
        #expect(run.parts.count == 16)
        var limits = MultipartLimits()
        limits.maxParts = 2
        #expect(parseBothWays(form("b", Array(parts.prefix(3))), boundary: "b", limits: limits).error
            == MultipartError("multipart body has more than 2 parts"))
    }

    // MARK: Refused: part headers

    @Test func partWithoutContentDisposition_isRejected() {
        let run = parseBothWays(form("b", [("Content-Type: text/plain", "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part has no Content-Disposition"))
    }

    @Test func partWithoutHeaders_isRejected() {
        let run = parseBothWays("--b\r\n\r\nv\r\n--b--\r\n", boundary: "b")
        #expect(run.error == MultipartError("multipart part has no Content-Disposition"))
    }

    @Test func dispositionWithoutName_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; filename=\"a.wav\"", "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part's Content-Disposition has no name"))
    }

    @Test func dispositionOtherThanFormData_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: attachment; name=\"a\"", "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part's Content-Disposition is not form-data"))
    }

    @Test func twoContentDispositions_areRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"", "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part has more than one Content-Disposition"))
    }

    @Test func duplicateNameParameter_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"; Name=\"b\"", "v")]), boundary: "b")
        #expect(run.error == MultipartError("Content-Disposition has more than one \"name\" parameter"))
    }

    @Test func unterminatedQuotedString_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a", "v")]), boundary: "b")
        #expect(run.error == MultipartError("Content-Disposition parameter \"name\" has an unterminated quoted string"))
    }

    @Test func malformedFilenameStar_isRejected() {
        for value in ["UTF-8''%E", "UTF-8''%ZZ", "KOI8-R''abc", "no-quotes", "UTF-8''%FF%FE"] {
            let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"f\"; filename*=\(value)", "v")]), boundary: "b")
            #expect(run.error == MultipartError("multipart part has a malformed filename* parameter"), "\(value)")
        }
    }

    @Test func bareLFInPartHeaders_isRejected() {
        let run = parseBothWays("--b\r\nContent-Disposition: form-data; name=\"a\"\n\r\nv\r\n--b--\r\n", boundary: "b")
        #expect(run.error == MultipartError("multipart part header line ends in a bare LF; lines must end in CRLF"))
    }

    @Test func bareCRInPartHeaders_isRejected() {
        let run = parseBothWays("--b\r\nContent-Disposition: form-data;\r name=\"a\"\r\n\r\nv\r\n--b--\r\n", boundary: "b")
        #expect(run.error == MultipartError("multipart part header contains a bare CR"))
    }

    @Test func obsFoldInPartHeaders_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data;\r\n name=\"a\"", "v")]), boundary: "b")
        #expect(run.error == MultipartError("malformed multipart part header: obsolete line folding"))
    }

    @Test func oversizedPartHeaderSection_isRejected() {
        let run = parseBothWays(form("b", [("Content-Disposition: form-data; name=\"a\"\r\nX-Pad: " + String(repeating: "p", count: 8200), "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part header section is larger than 8192 bytes"))
    }

    @Test func partHeaderSectionAtTheLimit_isAccepted() {
        let disposition = "Content-Disposition: form-data; name=\"a\""
        // The section is each line plus CRLF, then the empty line's CRLF.
        let padding = 8192 - (disposition.utf8.count + 2) - 2 - ("X-Pad: ".utf8.count + 2)
        let run = parseBothWays(form("b", [(disposition + "\r\nX-Pad: " + String(repeating: "p", count: padding), "v")]), boundary: "b")
        #expect(run.error == nil && run.parts.count == 1)
    }

    @Test func tooManyPartHeaderFields_isRejected() {
        let headers = ["Content-Disposition: form-data; name=\"a\""] + (1...16).map { "X-\($0): v" }
        let run = parseBothWays(form("b", [(headers.joined(separator: "\r\n"), "v")]), boundary: "b")
        #expect(run.error == MultipartError("multipart part has more than 16 header fields"))
    }

    // MARK: Errors are terminal

    @Test func handlerErrors_areRethrown_andEndTheParse() throws {
        struct Stop: Error {}
        var parser = MultipartParser(boundary: "b")
        let body = Array(form("b", [("Content-Disposition: form-data; name=\"a\"", "v")]).utf8)
        #expect(throws: Stop.self) {
            try parser.feed(body[...]) { event in
                if case .begin = event { throw Stop() }
            }
        }
        #expect(throws: MultipartError.self) { try parser.feed(body[...]) { _ in } }
        #expect(throws: MultipartError.self) { try parser.finish() }
    }

    @Test func feedingAfterAnError_throwsTheSameError() {
        var parser = MultipartParser(boundary: "b")
        let error = MultipartError("multipart boundary is followed by other characters")
        #expect(throws: error) { try parser.feed(Array("--bz".utf8)[...]) { _ in } }
        #expect(throws: error) { try parser.feed(Array("--b\r\n".utf8)[...]) { _ in } }
    }
}
