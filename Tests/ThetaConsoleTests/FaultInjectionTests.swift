import Foundation
import Glibc
import Testing
import TestSupport

/// `/v1/faults`: a test suite makes the emulated API fail on demand,
/// in process (the wire-level and CLI cases run against the binary in EndToEndTests).
@Suite("Fixture: fault injection", .onOwnThreads)
struct FaultInjectionTests {
    @Test func aStatusFault_answersItsTimes_thenGoes_andIsNeverBilledOrCounted() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro", "--credits", "10"])
        let key = try server.createKey()
        let made = try server.addFault(#"{"endpoint": "/transcribe", "times": 2, "action": {"status": 503}}"#)
        #expect(made.status == 201)
        let id = try #require(made.object["id"] as? String)
        #expect(id.hasPrefix("flt_") && made.header("Location") == "/v1/faults/\(id)")
        let before = try server.balanceText()

        for _ in 0..<2 {
            let refused = try server.upload("/transcribe", key: key.secret)
            #expect(refused.status == 503)
            #expect(refused.detail == "The service is temporarily unavailable. Retry shortly.")
            #expect(refused.header("Retry-After") == "1")
        }
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect((try server.get("/v1/faults").object["data"] as? [Any])?.isEmpty == true, "used up, so removed")

        // Only the one real answer is billed and counted.
        let record = try server.get("/v1/keys/\(key.id)").object
        #expect(record["requests_2xx"] as? Int == 1 && record["requests_4xx"] as? Int == 0)
        #expect(try server.balanceText() != before)
        let charges = (try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? [])
            .filter { $0["kind"] as? String == "charge" }
        #expect(charges.count == 1)
    }

    @Test func aBadKeyStillGets401_andAKeyRuleTouchesOnlyItsKey() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let (a, b) = (try server.createKey(name: "a"), try server.createKey(name: "b"))
        #expect(try server.addFault(#"{"endpoint": "*", "key_id": "\#(a.id)", "action": {"status": 500, "detail": "boom"}}"#).status == 201)
        let unknown = try server.upload("/transcribe", key: "sk-theta-" + String(repeating: "A", count: 38))
        #expect(unknown.status == 401)
        let faulted = try server.upload("/transcribe", key: a.secret)
        #expect(faulted.status == 500 && faulted.detail == "boom" && faulted.header("Retry-After") == nil)
        #expect(try server.upload("/transcribe", key: b.secret).status == 200)
        let rules = try server.get("/v1/faults").object["data"] as? [[String: Any]] ?? []
        #expect(rules.first?["hits"] as? Int == 1 && rules.first?["times"] is NSNull)
        #expect(try server.delete("/v1/faults/\(rules.first?["id"] as? String ?? "")").status == 204)
        #expect(try server.upload("/transcribe", key: a.secret).status == 200)
        #expect(try server.delete("/v1/faults/flt_nope").status == 404)
    }

    @Test func aProbability_withASeed_givesTheSamePatternEveryRun() throws {
        let server = try InProcessServer(arguments: ["--plan", "enterprise", "--credits", "100", "--max-key-rpm", "1000"])
        let key = try server.createKey(extra: #", "rate_limit_rpm": 1000"#)
        func pattern() throws -> [Int] {
            #expect(try server.addFault(#"{"endpoint": "/transcribe", "probability": 0.5, "seed": 42, "action": {"status": 502}}"#).status == 201)
            let statuses = try (0..<24).map { _ in try server.upload("/transcribe", key: key.secret).status }
            #expect(try server.delete("/v1/faults").status == 204)
            return statuses
        }
        let first = try pattern()
        #expect(first.contains(502) && first.contains(200), "\(first)")
        #expect(try pattern() == first)
    }

    @Test func rulesAreValidated() throws {
        let server = try InProcessServer()
        let cases: [(String, String)] = [
            (#"{"endpoint": "/nope", "action": {"status": 503}}"#, "endpoint must be one of"),
            (#"{"endpoint": "*", "action": {"status": 418}}"#, "action.status must be one of 429, 500, 502, 503, 504"),
            (#"{"endpoint": "*", "action": {"status": 503, "delay_ms": 5}}"#, "action must have exactly one of"),
            (#"{"endpoint": "*", "action": {"delay_ms": 120001}}"#, "action.delay_ms must be an integer from 0 to 120000"),
            (#"{"endpoint": "*", "action": {"reset": false}}"#, "action.reset must be true"),
            (#"{"endpoint": "*", "action": {"delay_ms": 5, "detail": "x"}}"#, "action: detail and retry_after go with status"),
            (#"{"endpoint": "*", "times": 0, "action": {"reset": true}}"#, "times must be a positive integer or null"),
            (#"{"endpoint": "*", "probability": 1.5, "action": {"reset": true}}"#, "probability must be a number from 0 to 1"),
            (#"{"endpoint": "*", "action": {"reset": true}, "color": "red"}"#, "unknown field"),
            (#"{"endpoint": "*"}"#, "action must be an object"),
        ]
        for (json, detail) in cases {
            let response = try server.addFault(json)
            #expect(response.status == 422 && response.detail?.contains(detail) == true, "\(json): \(response.detail ?? "")")
        }
        #expect(try server.request("GET", "/v1/faults").status == 401)
    }

    @Test func aDelay_answersLater_whileOtherConnectionsAreServed() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro", "--threads", "1"])
        let key = try server.createKey()
        #expect(try server.addFault(#"{"endpoint": "/transcribe", "times": 1, "action": {"delay_ms": 4000}}"#).status == 201)
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        let slow = try server.connect()
        try slow.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key.secret)\r\nContent-Type: \(body.contentType)\r\n"
                      + "Content-Length: \(body.finished().count)\r\n\r\n")
        try slow.send(body.finished())
        // The one loop serves 100 other connections while the delayed answer waits on its timer.
        for _ in 0..<100 { #expect(try server.connect().request("GET", "/healthz").status == 200) }
        slow.setTimeout(0.05)
        #expect(throws: ClientError.self) { try slow.readResponse() }
        slow.setTimeout(10)
        let answer = try slow.readResponse()
        #expect(answer.status == 200 && answer.object["text"] as? String == "Welcome to Theta One AI!")
        #expect(try server.get("/v1/keys/\(key.id)").object["requests_2xx"] as? Int == 1, "a delayed answer is a real one")
    }

    @Test func aTimeout_holdsTheRequest_thenAnswers504() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro", "--processing-timeout", "1"])
        let key = try server.createKey()
        #expect(try server.addFault(#"{"endpoint": "/transcribe", "times": 1, "action": {"timeout": true}}"#).status == 201)
        let started = Date()
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        // Over a connection, so the answer waits on the loop's own timer.
        let answer = try server.connect().request("POST", "/transcribe", headers: ["Content-Type": body.contentType,
                                                                                  "x-api-key": key.secret],
                                                  body: body.finished())
        #expect(answer.status == 504 && answer.detail == "Processing took too long: the request timed out.")
        #expect(Date().timeIntervalSince(started) >= 0.9)
    }
}
