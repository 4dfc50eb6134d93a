import Dispatch
import HTTPServer
import Testing

/// `RouterDriver` resolves every kind of head decision without a socket, as a connection would.
@Suite struct RouterDriverTests {
    final class Collect: BodySink {
        var body: [UInt8] = []
        var chunks = 0
        func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
            if bytes.contains(UInt8(ascii: "!")) { throw HTTPError(400, "no shouting") }
            body += bytes
            chunks += 1
        }
        func finish() -> Reply {
            let (body, chunks) = (body, chunks)
            return .later { responder in
                DispatchQueue.global().async { responder.respond(Response(status: 200, body: Array("\(chunks):".utf8) + body)) }
            }
        }
    }

    static func driver() -> RouterDriver {
        var router = RouterBuilder()
        router.on(.GET, "/now") { _ in .respond(Response(status: 204)) }
        router.on(.GET, "/later/{n}") { info in
            let n = info.parameters["n"] ?? ""
            return .later { responder in
                DispatchQueue.global().async { responder.respond(Response(status: 201, body: Array(n.utf8))) }
            }
        }
        router.on(.GET, "/dropped") { _ in .later { _ in } }
        router.on(.GET, "/after") { _ in .later { responder in responder.respond(after: 0.05) { Response(status: 202) } } }
        router.on(.GET, "/decided") { _ in
            .decideLater { decider in DispatchQueue.global().async { decider.decide { .respond(Response(status: 203)) } } }
        }
        router.on(.POST, "/upload") { _ in .consume(Collect(), limit: 10) }
        router.on(.POST, "/json", maxBody: 8) { request in Response(status: 200, body: request.body) }
        router.filter { _, response in response.headers.set("X-Filtered", "yes") }
        router.headerOnEveryResponse("X-Every", "1")
        return RouterDriver(router.build())
    }

    static func head(_ method: HTTPMethod, _ target: String, length: Int? = nil) -> RequestHead {
        RequestHead(method: method, target: target, headers: HTTPHeaders([("Host", "localhost")]),
                    framing: length.map { .length($0) } ?? .none)
    }

    @Test func answersNowAndLater_throughTheFilters() throws {
        let driver = Self.driver()
        let now = try driver.send(Self.head(.GET, "/now"))
        #expect(now.status == 204 && now.headers["X-Filtered"] == "yes")
        let later = try driver.send(Self.head(.GET, "/later/7"))
        #expect(later.status == 201 && later.body == Array("7".utf8) && later.headers["X-Filtered"] == "yes")
        #expect(try driver.send(Self.head(.DELETE, "/now")).status == 405)
        #expect(try driver.send(Self.head(.GET, "/nowhere")).status == 404)
    }

    @Test func aDelayedAnswer_andADecisionMadeLater_areWaitedFor() throws {
        let driver = Self.driver()
        let started = DispatchTime.now().uptimeNanoseconds
        #expect(try driver.send(Self.head(.GET, "/after")).status == 202)
        #expect(DispatchTime.now().uptimeNanoseconds - started >= 50_000_000)
        #expect(try driver.send(Self.head(.GET, "/decided")).status == 203)
    }

    @Test func aResponderDroppedUnanswered_answers500() throws {
        #expect(try Self.driver().send(Self.head(.GET, "/dropped")).status == 500)
    }

    @Test func aBodyStreamsIntoItsSink_inTheChunksGiven_thenFinishesLater() throws {
        let driver = Self.driver()
        let response = try driver.send(Self.head(.POST, "/upload", length: 6), body: [Array("abc".utf8), Array("def".utf8)])
        #expect(response.status == 200 && response.body == Array("2:abcdef".utf8))
    }

    @Test func bodyLimits_andASinkThatThrows() throws {
        let driver = Self.driver()
        // Declared over the limit: refused before any of it is read.
        let declared = try driver.send(Self.head(.POST, "/upload", length: 11), body: [[UInt8](repeating: 1, count: 11)])
        #expect(declared.status == 413)
        // Streamed past the limit (say, chunked): the sink's own 413.
        var chunked = Self.head(.POST, "/upload")
        chunked.framing = .chunked
        #expect(try driver.send(chunked, body: [Array("123456".utf8), Array("789012".utf8)]).status == 413)
        #expect(try driver.send(Self.head(.POST, "/upload", length: 2), body: [Array("a!".utf8)]).status == 400)
        #expect(try driver.send(Self.head(.POST, "/json", length: 9), body: [Array("123456789".utf8)]).status == 413)
        #expect(try driver.send(Self.head(.POST, "/json", length: 2), body: [Array("{}".utf8)]).body == Array("{}".utf8))
    }

    @Test func wire_encodesAsAConnectionDoes_withTheEveryResponseHeaders() throws {
        let driver = Self.driver()
        let head = Self.head(.GET, "/later/42")
        let bytes = driver.wire(try driver.send(head), for: head)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 201 Created\r\n"))
        #expect(text.contains("\r\nX-Every: 1\r\n") && text.contains("\r\nX-Filtered: yes\r\n"))
        #expect(text.hasSuffix("Content-Length: 2\r\n\r\n42"))
        var headOnly = head
        headOnly.method = .HEAD
        #expect(String(decoding: driver.wire(try driver.send(headOnly), for: headOnly), as: UTF8.self).hasSuffix("\r\n\r\n"))
    }
}
