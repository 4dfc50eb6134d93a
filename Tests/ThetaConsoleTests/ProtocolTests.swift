import Foundation
import Glibc
import Testing
import TestSupport

/// HTTP/1.1 behaviour of the server, byte by byte, through its own loop and connection over a
/// socketpair (InProcessServer.connect): no TCP and no binary. The connection cap, which needs a
/// listener, is tested against the binary (EndToEndTests/ProtocolTests).
@Suite("HTTP/1.1 on the wire", .onOwnThreads)
struct ProtocolTests {
    @Test func keepAlive_andPipelining_answerInRequestOrder() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        let auth = "Authorization: Bearer \(server.adminToken!)\r\n"
        try client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/keys/key_nope HTTP/1.1\r\nHost: localhost\r\n\(auth)\r\nGET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\nPUT /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 404)
        #expect(try client.readResponse().status == 404)
        let wrongMethod = try client.readResponse()
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD, OPTIONS")
        // The same connection still serves.
        #expect(try client.request("GET", "/healthz").status == 200)
    }

    @Test func head_hasHeadersButNoBody() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        let head = try client.request("HEAD", "/healthz")
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "15")
        #expect(head.body.isEmpty)
        #expect(try client.request("GET", "/healthz").text == #"{"status":"ok"}"#)
    }

    @Test func responses_carryDateLengthAndCharset() throws {
        let server = try InProcessServer()
        let response = try server.connect().request("GET", "/healthz")
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8")
        #expect(response.header("Content-Length") == "\(response.body.count)")
        let missing = try server.connect().request("GET", "/v1/nothing", headers: server.authorization)
        #expect(missing.header("Cache-Control") == "no-store")
    }

    /// RFC 9112 §7.1.1's grammar for a chunk line, the conformance probe's three SHOULD cases: a
    /// bare ";", an extension name that is no token, whitespace that no ";" follows.
    @Test func chunkLinesOutsideTheGrammar_get400_thenTheConnectionCloses() throws {
        let server = try InProcessServer()
        for line in ["5;", "5;a@b", "5 "] {
            let client = try server.connect()
            try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\n"
                            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\(line)\r\n{\"a\"}\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 400, "\(line.debugDescription)")
            #expect(response.detail == "malformed chunk extension")
            #expect(response.header("Connection") == "close")
            #expect(client.waitForClose())
        }
        let keys = try server.get("/v1/keys")
        #expect((keys.object["data"] as? [[String: Any]])?.isEmpty == true, "no key was created: \(keys.text)")
    }

    @Test(arguments: [
        ("BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n", 501),
        ("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: localhost\r\nX: a\r\n b\r\n\r\n", 400),
        ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: localhost\r\nX: \(String(repeating: "a", count: 33000))\r\n\r\n", 431),
    ])
    func protocolErrors_getTheirStatus_thenClose(wire: String, status: Int) throws {
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send(wire)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(response.detail != nil)
        #expect(client.waitForClose())
    }

    @Test(arguments: [
        "GET /healthz HTTP/1.1\r\nHost: user@localhost\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: localhost/path\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: a, b\r\n\r\n",
        "GET /healthz#frag HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET http://user@127.0.0.1/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ])
    func malformedHostOrTarget_gets400_thenClose(wire: String) throws {
        // RFC 9112 §3.2: Host is one uri-host [":" port], and no target form has a fragment.
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send(wire)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.detail != nil)
        #expect(client.waitForClose())
    }

    @Test func absoluteFormTarget_isRoutedByItsPath() throws {
        // RFC 9112 §3.2.2: a server must accept absolute-form; the authority stands in for Host.
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send("GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == #"{"status":"ok"}"#)
        // The same connection still serves, an IPv6 literal host included.
        try client.send("GET /healthz HTTP/1.1\r\nHost: [::1]:\(server.port)\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func optionsAsterisk_gets204() throws {
        // RFC 9110 §9.3.7: OPTIONS * is about the server as a whole.
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test func expect100Continue_getsContinue_thenTheResponse() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        let body = #"{"name": "continued"}"#
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send(body)
        #expect(try client.readResponse().status == 201)
    }

    @Test func expect100Continue_withRefusal_answersAtOnce() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 401)
    }

    @Test func chunkedRequestBody_isAccepted() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"name\": \r\n9\r\n\"chunky\"}\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.object["name"] as? String == "chunky")
    }

    @Test func chunkedBodyOverTheLimit_gets413() throws {
        let server = try InProcessServer()
        let client = try server.connect()
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: " ", count: 16 * 1024)
        for _ in 0..<5 { try? client.send("4000\r\n\(chunk)\r\n") }
        #expect(try client.readResponse().status == 413)
    }

    @Test func slowHeader_isCutOffAtTheDeadline_with408() throws {
        let server = try InProcessServer(arguments: ["--header-timeout", "1"])
        let client = try server.connect()
        try client.send("GET /healthz HTTP/1.1\r\nHo")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.waitForClose())
    }

    @Test func idleKeepAlive_isClosedAfterTheIdleTimeout() throws {
        let server = try InProcessServer(arguments: ["--idle-timeout", "1"])
        let client = try server.connect()
        #expect(try client.request("GET", "/healthz").status == 200)
        #expect(client.waitForClose())
    }

    @Test func staticConsole_hasSecurityHeaders_andRevalidatesWithETag() throws {
        let server = try InProcessServer()
        let page = try server.connect().request("GET", "/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Content-Security-Policy") == "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        #expect(page.header("X-Content-Type-Options") == "nosniff")
        #expect(page.header("X-Frame-Options") == "DENY")
        #expect(page.header("Referrer-Policy") == "no-referrer")
        let etag = try #require(page.header("ETag"))
        let again = try server.connect().request("GET", "/index.html", headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
    }

    @Test func staticFilesFromAFolder_refuseTraversalAndSymlinkEscapes() throws {
        let directory = TemporaryDirectory()
        let root = directory.file("public")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "<p>hi</p>".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: root + "/app.css", atomically: true, encoding: .utf8)
        try "secret".write(toFile: directory.file("outside.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: directory.file("outside.txt"))
        let server = try InProcessServer(arguments: ["--public-dir", root])
        #expect(try server.connect().request("GET", "/").text == "<p>hi</p>")
        let css = try server.connect().request("GET", "/app.css")
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
        for path in ["/../outside.txt", "/%2e%2e/outside.txt", "/escape.txt", "/..%2Foutside.txt", "/.hidden"] {
            let response = try server.connect().request("GET", path)
            #expect(response.status == 404, "\(path)")
            #expect(!response.text.contains("secret"))
        }
    }
}
