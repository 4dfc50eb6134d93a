import Foundation
import Glibc
import HTTPServer
import Testing
import TestSupport

/// The recording proxy's client: a response read from bytes in any chunking (the parser alone),
/// then whole exchanges with the server's own TLS listener, verified against its local CA.
@Suite("HTTPServer: the upstream client", .onOwnThreads)
struct HTTPSClientTests {
    /// Feeds `text` one byte at a time, then all at once; both must agree.
    private static func parse(_ text: String, maxHead: Int = 64 * 1024, maxBody: Int = 1024, close: Bool = false) throws -> HTTPResponseParser {
        var bytewise = HTTPResponseParser(maxHead: maxHead, maxBody: maxBody)
        var done = false
        for byte in Array(text.utf8) where !done { done = try bytewise.feed([byte][...]) }
        if close && !done { try bytewise.finishAtClose() }
        var whole = HTTPResponseParser(maxHead: maxHead, maxBody: maxBody)
        if !(try whole.feed(Array(text.utf8)[...])) && close { try whole.finishAtClose() }
        #expect(whole.status == bytewise.status && whole.body == bytewise.body && whole.isComplete == bytewise.isComplete)
        return whole
    }

    @Test func framings_lengthChunkedAndClose_areRead_andInterimAnswersSkipped() throws {
        let length = try Self.parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        #expect(length.isComplete && length.status == 200 && length.body == Array("{}".utf8))
        #expect(length.header("content-type") == "application/json")
        let chunked = try Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     + "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(chunked.isComplete && chunked.status == 429 && chunked.body == Array(#"{"a":1}"#.utf8))
        let closed = try Self.parse("HTTP/1.0 500 Oops\r\n\r\nbody until close", close: true)
        #expect(closed.isComplete && closed.status == 500 && closed.body == Array("body until close".utf8))
    }

    @Test func cutOffOversizedOrNotHTTP_isRefusedWithAReason() throws {
        var cut = HTTPResponseParser(maxBody: 1024)
        #expect(try cut.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf".utf8)[...]) == false)
        #expect(throws: HTTPResponseParser.Failure(description: "the answer was cut off after 4 bytes of its body")) { try cut.finishAtClose() }
        var nothing = HTTPResponseParser(maxBody: 1024)
        #expect(throws: HTTPResponseParser.Failure(description: "the connection closed before any answer")) { try nothing.finishAtClose() }
        var big = HTTPResponseParser(maxBody: 8)
        #expect(throws: HTTPResponseParser.Failure(description: "the response body is over 8 bytes")) {
            try big.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n".utf8)[...])
        }
        var bigChunks = HTTPResponseParser(maxBody: 8)
        #expect(throws: HTTPResponseParser.Failure.self) {
            try bigChunks.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n".utf8)[...])
        }
        var garbage = HTTPResponseParser(maxBody: 8)
        #expect(throws: HTTPResponseParser.Failure(description: "not an HTTP/1.x status line")) {
            try garbage.feed(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)[...])
        }
        var badChunk = HTTPResponseParser(maxBody: 8)
        #expect(throws: HTTPResponseParser.Failure(description: "a chunk size is not hexadecimal")) {
            try badChunk.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)[...])
        }
    }

    /// Found by `fuzz/run http-response`; the inputs replay from fuzz/regressions/http-response/.
    @Test func aLimitMetExactly_holdsWhereverTheBytesAreCut() throws {
        // Fed byte by byte, the CR ending a head, a chunk size line or a trailer line was counted
        // against it before its LF came, so a line exactly at its limit was refused.
        let head = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 44)
        #expect(head.utf8.count == 64)
        let atHead = try Self.parse(head + "\r\n\r\nbody", maxHead: 64, maxBody: 16, close: true)
        #expect(atHead.isComplete && atHead.body == Array("body".utf8))
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        let atChunkLine = try Self.parse(chunked + "1;" + String(repeating: "e", count: 1022) + "\r\nx\r\n0\r\n\r\n")
        #expect(atChunkLine.isComplete && atChunkLine.body == Array("x".utf8))
        let atTrailer = try Self.parse(chunked + "1\r\nx\r\n0\r\nX: " + String(repeating: "t", count: 61) + "\r\n\r\n",
                                       maxHead: 64, maxBody: 16)
        #expect(atTrailer.isComplete && atTrailer.body == Array("x".utf8))
        // One byte more is refused, however it comes.
        var overChunkLine = HTTPResponseParser(maxBody: 16)
        #expect(throws: HTTPResponseParser.Failure(description: "a chunk size line is too long")) {
            try overChunkLine.feed(Array((chunked + "1;" + String(repeating: "e", count: 1023) + "\r\nx\r\n0\r\n\r\n").utf8)[...])
        }
        var overTrailer = HTTPResponseParser(maxHead: 64, maxBody: 16)
        #expect(throws: HTTPResponseParser.Failure(description: "the trailers are too long")) {
            try overTrailer.feed(Array((chunked + "1\r\nx\r\n0\r\nX: " + String(repeating: "t", count: 62) + "\r\n\r\n").utf8)[...])
        }
    }

    /// Found by `fuzz/run http-response`; the inputs replay from fuzz/regressions/http-response/.
    @Test func aChunkSizeNearIntMax_isRefused_andSpacesBeforeACombiningMarkAreTrimmed() throws {
        // body.count + size overflowed Int and trapped.
        var huge = HTTPResponseParser(maxBody: 8)
        #expect(throws: HTTPResponseParser.Failure(description: "the response body is over 8 bytes")) {
            try huge.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n7fffffffffffffff\r\n".utf8)[...])
        }
        // OWS is bytes: a space followed by a combining mark was one Character, and kept.
        let marked = try Self.parse("HTTP/1.1 200 OK\r\nX: \u{301}y\r\nContent-Length: 0\r\n\r\n")
        #expect(marked.header("x")?.unicodeScalars.elementsEqual("\u{301}y".unicodeScalars) == true)
    }

    @Test func anExchangeOverTLS_verifiesTheCertificate_andSaysWhyItFailed() throws {
        let secure = try TLSServerTests.Secure()
        let client = try HTTPSClient(host: "localhost", port: secure.tlsPort, authority: secure.files.authority, maxBody: 1 << 20)
        let echo = try client.send(method: "POST", path: "/echo", headers: [("Content-Type", "application/json")],
                                   body: Array(#"{"x":1}"#.utf8), timeout: 10).get()
        #expect(echo.status == 200 && echo.body == Array(#"{"x":1}"#.utf8))
        // Refused from the head while a large body is still being sent: the answer is still read.
        let refused = try client.send(method: "POST", path: "/refuse", headers: [], body: [UInt8](repeating: 65, count: 4 << 20),
                                      timeout: 10).get()
        #expect(refused.status == 403)
        // By address: the certificate names 127.0.0.1 as well.
        let byAddress = try HTTPSClient(host: "127.0.0.1", port: secure.tlsPort, authority: secure.files.authority, maxBody: 1024)
        #expect(try byAddress.send(method: "POST", path: "/echo", headers: [], body: [], timeout: 10).get().status == 200)

        // The system's trust store has never heard of this CA.
        let untrusting = try HTTPSClient(host: "localhost", port: secure.tlsPort, authority: nil, maxBody: 1024)
        guard case .failure(.tls(let why)) = untrusting.send(method: "POST", path: "/echo", headers: [], body: [], timeout: 10) else {
            Issue.record("an unknown CA was trusted")
            return
        }
        #expect(why.hasPrefix("the certificate did not verify: "), "\(why)")
        // Plain HTTP on the other port is not TLS: the handshake fails, with no hang.
        let plain = try HTTPSClient(host: "127.0.0.1", port: secure.port, authority: secure.files.authority, maxBody: 1024)
        guard case .failure(.tls) = plain.send(method: "POST", path: "/echo", headers: [], body: [], timeout: 10) else {
            Issue.record("a plain-HTTP port passed for TLS")
            return
        }
        // Nothing listens: unreachable, named.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(listener, $0, length) } }
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) } }
        let freePort = Int(UInt16(bigEndian: address.sin_port))
        close(listener)  // bound, never listening, now closed: connections are refused
        let nowhere = try HTTPSClient(host: "127.0.0.1", port: freePort, authority: secure.files.authority, maxBody: 1024)
        guard case .failure(.unreachable(let reason)) = nowhere.send(method: "POST", path: "/", headers: [], body: [], timeout: 10) else {
            Issue.record("a closed port was reached")
            return
        }
        #expect(reason.contains("Connection refused"), "\(reason)")
    }

    @Test func aCAFileThatCannotBeRead_isAnErrorAtOnce() {
        #expect(throws: TLSError.self) { try HTTPSClient(host: "localhost", port: 1, authority: "/nonexistent/ca.pem", maxBody: 1) }
    }
}
