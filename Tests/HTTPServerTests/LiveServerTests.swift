import Dispatch
import Foundation
import Glibc
import Logging
import PosixThreads
import Synchronization
import Testing
import TestSupport
@testable import HTTPServer

/// The server with a router of its own, in process: what HTTPServer does for any app.
@Suite("HTTPServer on a live socket", .onOwnThreads)
struct LiveServerTests {
    /// Counts body bytes as they stream in, without keeping them.
    final class CountingSink: BodySink {
        var count = 0
        var largestChunk = 0
        func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
            count += bytes.count
            largestChunk = max(largestChunk, bytes.count)
            if count > 0, bytes.contains(UInt8(ascii: "!")) { throw HTTPError(400, "no shouting") }
        }
        func finish() -> Reply {
            .now(.json(200, Array(#"{"count":\#(count),"largest":\#(largestChunk)}"#.utf8)))
        }
    }

    /// Holds deferred answers until the test opens it: proves what happens while one is pending.
    final class Gate: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        func open(_ times: Int = 1) { for _ in 0..<times { semaphore.signal() } }
    }

    /// Answers later from another thread, once the gate opens, like a durable write would.
    final class LaterSink: BodySink {
        let gate: Gate
        var count = 0
        init(gate: Gate) { self.gate = gate }
        func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) { count += bytes.count }
        func finish() -> Reply {
            let (gate, count) = (gate, count)
            return .later { responder in
                DispatchQueue.global().async {
                    gate.semaphore.wait()
                    responder.respond { .json(200, Array("{\"later\":\(count)}".utf8)) }
                }
            }
        }
    }

    /// Counts what a route answered, for tests that check how far the server got.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    static func startServer(gate: Gate = Gate(), bigAnswers: Counter = Counter(), _ configure: (inout ServerConfiguration) -> Void = { _ in }) throws
        -> (HTTPServer, Int)
    {
        var router = RouterBuilder()
        router.on(.GET, "/later") { _ in
            .later { responder in
                DispatchQueue.global().async {
                    gate.semaphore.wait()
                    responder.respond { .json(200, Array(#""later""#.utf8)) }
                }
            }
        }
        router.on(.POST, "/later") { _ in .consume(LaterSink(gate: gate), limit: 1024) }
        router.on(.GET, "/dropped") { _ in .later { _ in } }
        // Decides once the gate opens, on another thread; the decision streams the body.
        router.on(.POST, "/decide-later") { _ in
            .decideLater { decider in
                DispatchQueue.global().async {
                    gate.semaphore.wait()
                    decider.decide { .consume(CountingSink(), limit: 1024 * 1024) }
                }
            }
        }
        router.on(.GET, "/undecided") { _ in .decideLater { _ in } }
        // Answers on the loop's own timer, 300 ms on.
        router.on(.GET, "/timer") { _ in
            let asked = DispatchTime.now().uptimeNanoseconds
            return .later { responder in
                responder.respond(after: 0.3) {
                    .json(200, Array("\((DispatchTime.now().uptimeNanoseconds - asked) / 1_000_000)".utf8))
                }
            }
        }
        router.on(.GET, "/on-a-loop") { _ in
            .respond(.json(200, Array(Threads.currentIsEventLoop ? "true".utf8 : "false".utf8)))
        }
        router.on(.POST, "/count") { _ in .consume(CountingSink(), limit: 10 * 1024 * 1024) }
        router.on(.POST, "/refuse") { _ in .respond(.error(HTTPError(403, "refused before the body"))) }
        router.on(.GET, "/big") { _ in bigAnswers.value.add(1, ordering: .relaxed); return .respond(Response(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                                                         body: [UInt8](repeating: 0x61, count: 1_000_000))) }
        router.on(.GET, "/items/{id}") { info in .respond(.json(200, Array("\"\(info.parameters["id"] ?? "")\"".utf8))) }
        router.on(.POST, "/echo", maxBody: 1024) { request in .json(200, request.body) }
        router.on(.GET, "/boom") { _ in .respond(Response(status: 200, headers: HTTPHeaders([("X-Bad", "a\r\nInjected: yes")]))) }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.threads = 2
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, router: router.build(), logger: Logger(label: "test"))
        let port = try server.start()
        return (server, port)
    }

    /// A head decided later (after work elsewhere): nothing of the body is read until the decision,
    /// which then streams the body that waited, in full; the next pipelined request follows in order.
    @Test func aDecisionMadeLater_streamsTheBodyThatWaited_thenTheNextRequest() throws {
        let gate = Gate()
        let (server, port) = try Self.startServer(gate: gate)
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        let body = String(repeating: "b", count: 100_000)
        try client.send("POST /decide-later HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                        + "GET /items/9 HTTP/1.1\r\nHost: x\r\n\r\n")
        // Undecided: other connections are served meanwhile.
        #expect(try RawHTTPClient.request(port: port, "GET", "/items/1").status == 200)
        gate.open()
        let decided = try client.readResponse()
        #expect(decided.status == 200 && decided.object["count"] as? Int == body.utf8.count)
        #expect(try client.readResponse().text == "\"9\"")
    }

    @Test func aDeciderDroppedUndecided_answers500_andTheConnectionGoesOn() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        #expect(try client.request("GET", "/undecided").status == 500)
        #expect(try client.request("GET", "/items/3").text == "\"3\"")
    }

    /// A delayed answer waits on the loop's own timer: the one loop serves others meanwhile, and the
    /// answer comes no sooner than asked.
    @Test func aDelayedAnswer_waitsOnTheLoopsTimer_whileTheLoopServesOthers() throws {
        let (server, port) = try Self.startServer { $0.threads = 1 }
        defer { server.shutdown(grace: 1) }
        let slow = try RawHTTPClient(port: port)
        try slow.send("GET /timer HTTP/1.1\r\nHost: x\r\n\r\n")
        for i in 0..<20 { #expect(try RawHTTPClient.request(port: port, "GET", "/items/\(i)").status == 200) }
        let answer = try slow.readResponse()
        #expect(answer.status == 200 && (Int(answer.text) ?? 0) >= 300, "\(answer.text) ms")
        // A peer that leaves before its timer fires is simply not answered.
        do {
            let gone = try RawHTTPClient(port: port)
            try gone.send("GET /timer HTTP/1.1\r\nHost: x\r\n\r\n")
        }  // closed here, before its timer fires
        // A timer set after it fires after it too; the loop is still there to answer.
        #expect(try RawHTTPClient.request(port: port, "GET", "/timer").status == 200)
        #expect(try RawHTTPClient.request(port: port, "GET", "/items/1").status == 200)
    }

    /// Handlers run on loop threads, which are marked, so a blocking write there trips an assertion.
    @Test func handlersRunOnMarkedLoopThreads() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        #expect(try RawHTTPClient.request(port: port, "GET", "/on-a-loop").text == "true")
        #expect(!Threads.currentIsEventLoop)
    }

    @Test func streamedBody_reachesTheSinkInPieces_neverWhole() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        let size = 5 * 1024 * 1024
        try client.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        let chunk = [UInt8](repeating: 0x2E, count: 256 * 1024)
        for _ in 0..<(size / chunk.count) { try client.send(chunk) }
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.object["count"] as? Int == size)
        #expect((response.object["largest"] as? Int ?? .max) <= 64 * 1024)
    }

    @Test func sinkError_answersAtOnce_andTheRestOfTheBodyIsDiscarded() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        try client.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nabc!")
        let refused = try client.readResponse()
        #expect(refused.status == 400 && refused.detail == "no shouting")
        try client.send("defghijklmnopqrs")
        // The connection is still in sync and usable.
        try client.send("GET /items/42 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "\"42\"")
    }

    @Test func earlyResponse_withSmallBody_keepsTheConnection() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        try client.send("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().status == 403)
        #expect(try client.request("GET", "/items/7").status == 200)
    }

    @Test func earlyResponse_withLargeBody_closes() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        try client.send("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 403 && response.header("Connection") == "close")
        #expect(client.waitForClose())
    }

    /// Back-pressure: a peer that pipelines 20 MB of answers and reads none makes the server stop
    /// reading at the output high-water mark (256 KiB unsent), so only a few requests are handled;
    /// once the peer reads, every answer arrives, in order, and the hold is released.
    @Test func pipelinedLargeResponses_toAPeerThatReadsLate_holdReading_thenAllArriveInOrder() throws {
        let bigAnswers = Counter()
        let (server, port) = try Self.startServer(bigAnswers: bigAnswers)
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port, receiveBuffer: 64 * 1024)
        var wire = ""
        for i in 0..<20 { wire += "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /items/\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
        try client.send(wire)
        #expect(waitUntil { server.connectionsHeldByOutput == 1 }, "the server stops reading the peer that does not read")
        let handled = bigAnswers.value.load(ordering: .relaxed)
        #expect(handled < 20, "it answered \(handled) of 20 without holding")
        for i in 0..<20 {
            #expect(try client.readResponse().body.count == 1_000_000)
            #expect(try client.readResponse().text == "\"\(i)\"")
        }
        #expect(waitUntil { server.connectionsHeldByOutput == 0 })
    }

    @Test func bufferedRoute_refusesOverItsLimit_with413() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        #expect(try RawHTTPClient.request(port: port, "POST", "/echo", body: Array(repeating: 1, count: 1024)).status == 200)
        #expect(try RawHTTPClient.request(port: port, "POST", "/echo", body: Array(repeating: 1, count: 1025)).status == 413)
    }

    @Test func headerInjectionFromAHandler_becomes500() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let response = try RawHTTPClient.request(port: port, "GET", "/boom")
        #expect(response.status == 500)
        #expect(response.header("Injected") == nil)
    }

    @Test func percentEncodedParameters_areDecoded() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        #expect(try RawHTTPClient.request(port: port, "GET", "/items/a%20b").text == "\"a b\"")
        #expect(try RawHTTPClient.request(port: port, "GET", "/items/%zz").status == 404)
    }

    @Test func deferredReply_otherConnectionsAreServedMeanwhile_onTheSameLoop() throws {
        let gate = Gate()
        let (server, port) = try Self.startServer(gate: gate) { $0.threads = 1 }
        defer { server.shutdown(grace: 1) }
        let waiting = try RawHTTPClient(port: port)
        try waiting.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        // The one loop is not blocked: another connection is answered while the first waits.
        for i in 0..<20 {
            #expect(try RawHTTPClient.request(port: port, "GET", "/items/\(i)").status == 200)
        }
        gate.open()
        let answer = try waiting.readResponse()
        #expect(answer.status == 200 && answer.text == "\"later\"")
        #expect(try waiting.request("GET", "/items/x").status == 200)
    }

    @Test func deferredReply_pipelinedRequestsAfterIt_areAnsweredInOrder() throws {
        let gate = Gate()
        let (server, port) = try Self.startServer(gate: gate) { $0.threads = 1 }
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        try client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /items/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        gate.open(2)
        #expect(try client.readResponse().text == "\"later\"")
        #expect(try client.readResponse().text == "\"2\"")
        #expect(try client.readResponse().object["later"] as? Int == 5)
        #expect(try client.readResponse().text == "\"3\"")
    }

    /// The peer leaves while its answer is pending: the loop must not spin on the hang-up (the
    /// events are level-triggered and nothing is read meanwhile), the late answer is dropped, the
    /// connection goes, and the server carries on.
    @Test func deferredReply_whosePeerLeft_isDroppedQuietly_withoutSpinning() throws {
        let gate = Gate()
        let (server, port) = try Self.startServer(gate: gate) { $0.threads = 1 }
        defer { server.shutdown(grace: 1) }
        do {
            let leaving = try RawHTTPClient(port: port)
            try leaving.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try RawHTTPClient.request(port: port, "GET", "/items/0").status == 200)  // the request is parked
        }
        // A spinning loop wakes hundreds of thousands of times in a moment; an idle one a few
        // times (its 250 ms sweep, the client above).
        let before = server.loopWakeUps
        let spun = waitUntil(timeout: 0.5) { server.loopWakeUps - before > 1_000 }
        #expect(!spun, "the loop woke \(server.loopWakeUps - before) times while the answer was pending")
        gate.open()
        #expect(waitUntil { server.connectionCount == 0 }, "the connection goes once its answer is dropped")
        #expect(try RawHTTPClient.request(port: port, "GET", "/items/1").status == 200)
    }

    @Test func aResponderDroppedWithoutAnswering_answers500() throws {
        let (server, port) = try Self.startServer()
        defer { server.shutdown(grace: 1) }
        let client = try RawHTTPClient(port: port)
        #expect(try client.request("GET", "/dropped").status == 500)
        #expect(try client.request("GET", "/items/1").status == 200)
    }

    @Test func shutdown_closesIdleConnections_andStopsAccepting() throws {
        let (server, port) = try Self.startServer()
        let idle = try RawHTTPClient(port: port)
        #expect(try idle.request("GET", "/items/1").status == 200)
        server.shutdown(grace: 2)
        #expect(idle.waitForClose())
        #expect((try? RawHTTPClient(port: port)) == nil)
        #expect(server.connectionCount == 0)
    }
}
