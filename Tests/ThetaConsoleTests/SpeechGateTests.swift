import Foundation
import Testing
import TestSupport

/// The emulated API's gatekeeping, status by status, in process, with a key the CLI deactivates on
/// the server's file refused on the next request. Through the binary, a key the CLI changes beside
/// the running server is refused in EndToEndTests/LeakScanTests (`scan --deactivate`).
@Suite("Emulated API: 401, 402, 429, 400 and 413", .onOwnThreads)
struct SpeechGateTests {
    static let gold = [("options", #"{"gold_text": "Wow, check out this castle."}"#)]

    @Test func missingMalformedOrUnknownKey_gets401() throws {
        let server = try InProcessServer()
        let missing = try server.upload("/transcribe", key: nil)
        #expect(missing.status == 401)
        #expect(missing.detail == "Missing API key. Send it in the x-api-key header.")
        #expect(missing.header("X-RateLimit-Limit") == nil)
        for key in ["sk-theta-short", "Bearer something", "sk-theta-" + String(repeating: "A", count: 38)] {
            let response = try server.upload("/transcribe", key: key)
            #expect(response.status == 401)
            #expect(response.detail == "Invalid API key.")
        }
        // Well-formed (valid checksum) but never issued.
        let other = try InProcessServer()
        let foreign = try other.createKey().secret
        #expect(try server.upload("/transcribe", key: foreign).detail == "Invalid API key.")
    }

    @Test func expiry_crossingBetweenTwoRequests_gets401() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z"])
        let key = try server.createKey(extra: #", "expires_at": "2030-01-01T00:01:00Z""#)
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 59.5}"#).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 0.5}"#).status == 200)
        let expired = try server.upload("/transcribe", key: key.secret)
        #expect(expired.status == 401)
        #expect(expired.detail == "API key has expired.")
        #expect(try server.get("/v1/keys/\(key.id)").object["status"] as? String == "expired")
    }

    @Test(arguments: ["/analyze-native", "/pronunciation", "/pronunciation-simple"])
    func freePlan_gets402_forPronunciation(path: String) throws {
        let server = try InProcessServer()
        let key = try server.createKey()
        let response = try server.upload(path, key: key.secret, fields: Self.gold)
        #expect(response.status == 402)
        #expect(response.detail == "Your plan (Free) does not include \(path). Upgrade to Starter or higher.")
        #expect(response.header("X-RateLimit-Limit") == "30")
    }

    @Test func freeThen402ThenUpgradeThen200() throws {
        let server = try InProcessServer()
        let key = try server.createKey()
        #expect(try server.upload("/pronunciation-simple", key: key.secret, fields: Self.gold).status == 402)
        let upgraded = try server.patch("/v1/account", json: #"{"plan": "starter"}"#)
        #expect(upgraded.status == 200)
        #expect(upgraded.object["plan"] as? String == "starter")
        #expect(try server.upload("/pronunciation-simple", key: key.secret, fields: Self.gold).status == 200)
        let audit = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(audit.contains { $0["action"] as? String == "account.updated" })
    }

    @Test func rateLimit_isMinOfKeyAndPlan_withRetryAfter_andExactWindowEdges() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--credits", "100"])
        let key = try server.createKey(extra: #", "rate_limit_rpm": 3"#)
        for remaining in [2, 1, 0] {
            let ok = try server.upload("/transcribe", key: key.secret)
            #expect(ok.status == 200)
            #expect(ok.header("X-RateLimit-Limit") == "3")
            #expect(ok.header("X-RateLimit-Remaining") == "\(remaining)")
            #expect(ok.header("X-RateLimit-Reset") == "60")
        }
        _ = try server.post("/v1/clock", json: #"{"advance_seconds": 59.9}"#)
        let limited = try server.upload("/transcribe", key: key.secret)
        #expect(limited.status == 429)
        #expect(limited.detail == "Rate limit exceeded: at most 3 requests per minute for this API key.")
        #expect(limited.header("Retry-After") == "1")
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        // Exactly 60 s after the first three, their slots free (refusals did not count).
        _ = try server.post("/v1/clock", json: #"{"advance_seconds": 0.1}"#)
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
    }

    @Test func freePlanCap_limitsAKeyAllowed100_to30() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--credits", "100"])
        let key = try server.createKey()
        for _ in 0..<30 { #expect(try server.upload("/transcribe", key: key.secret).status == 200) }
        let limited = try server.upload("/transcribe", key: key.secret)
        #expect(limited.status == 429)
        #expect(limited.header("X-RateLimit-Limit") == "30")
        #expect(limited.header("Retry-After") == "60")
    }

    @Test func documentedBadRequestDetails_areExact() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro", "--credits", "100"])
        let key = try server.createKey().secret
        let cases: [(String, [(String, String)], String)] = [
            ("/transcribe", [("transcribe_options", "{not json")], "Invalid options format. Must be a valid JSON string."),
            ("/pronunciation-simple", [("options", "{not json")], "Invalid options format. Must be a valid JSON string."),
            ("/analyze-native", [("options", #"{}"#)], "gold_text is required"),
            ("/pronunciation-simple", [("options", #"{"language": "en"}"#)], "gold_text is required"),
            ("/pronunciation", [("options", #"{"gold_text": "Hello there"}"#), ("native_speech_components_json", "[oops")],
             "Invalid native_speech_components_json format. Must be a valid JSON string."),
            ("/pronunciation", [("options", #"{"gold_text": "Hello there"}"#), ("native_speech_components_json", #"{"a": 1}"#)],
             "Invalid native_speech_components format"),
        ]
        for (path, fields, detail) in cases {
            let response = try server.upload(path, key: key, fields: fields)
            #expect(response.status == 400, "\(path) \(fields)")
            #expect(response.detail == detail, "\(path) \(fields)")
        }
        let unknown = try server.upload("/transcribe", key: key, fields: [("transcribe_options", #"{"colour": 1}"#)])
        #expect(unknown.status == 400 && unknown.detail?.hasPrefix("Invalid options: ") == true)
        let notAll = try server.upload("/analyze-native", key: key, audio: AudioFiles.wav(seconds: 0.3),
                                       fields: [("options", #"{"gold_text": "one two three four five six"}"#)])
        #expect(notAll.status == 400 && notAll.detail == "Not all words are spoken.")
    }

    @Test func missingFileOrBadAudio_gets400() throws {
        let server = try InProcessServer()
        let key = try server.createKey().secret
        var noFile = MultipartBody()
        noFile.addText("transcribe_options", "{}")
        let missing = try server.request("POST", "/transcribe",
                                                headers: ["x-api-key": key, "Content-Type": noFile.contentType], body: noFile.finished())
        #expect(missing.status == 400 && missing.detail == "file is required")
        let garbage = try server.upload("/transcribe", key: key, audio: Array("this is not audio at all".utf8))
        #expect(garbage.status == 400)
        #expect(garbage.detail?.hasPrefix("Invalid audio file: ") == true)
        #expect(garbage.header("X-RateLimit-Limit") == "30")
    }

    @Test func malformedMultipart_gets400() throws {
        let server = try InProcessServer()
        let key = try server.createKey().secret
        let audio = AudioFiles.wav(seconds: 1)
        var unclosed = MultipartBody.upload(audio)
        let cases: [(String, [UInt8])] = [
            ("multipart/form-data", MultipartBody.upload(audio).finished()),             // no boundary
            ("application/json", Array("{}".utf8)),                                      // not multipart
            (unclosed.contentType, unclosed.bytes),                                      // no closing delimiter
            (unclosed.contentType, Array("garbage".utf8)),                               // no delimiter at all
        ]
        unclosed.addText("x", "y")
        for (type, body) in cases {
            let response = try server.request("POST", "/transcribe",
                                                     headers: ["x-api-key": key, "Content-Type": type], body: body)
            #expect(response.status == 400, "\(type)")
            #expect(response.detail != nil)
        }
    }

    @Test func fakeClock_movesOnlyForward_andStopsBeforeYear10000() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z"])
        #expect(try server.get("/v1/clock").object["now"] as? String == "2030-01-01T00:00:00Z")
        #expect(try server.post("/v1/clock", json: #"{"now": "2029-01-01T00:00:00Z"}"#).status == 422)
        #expect(try server.post("/v1/clock", json: #"{"now": "9999-12-31T23:59:59Z"}"#).status == 200)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 1}"#).status == 422)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 1, "now": "9999-12-31T23:59:59Z"}"#).status == 422)
        // Without --fake-time there is no clock to move.
        let real = try InProcessServer()
        #expect(try real.get("/v1/clock").status == 404)
    }

    @Test func usage_appearsInTheKeyRecord() throws {
        let server = try InProcessServer()
        let key = try server.createKey()
        _ = try server.upload("/transcribe", key: key.secret)
        _ = try server.upload("/transcribe", key: key.secret)
        _ = try server.upload("/pronunciation", key: key.secret, fields: Self.gold)
        // The very next read sees all three: admin reads are read-your-writes (no waiting for the
        // once-a-second flush).
        let record = try server.get("/v1/keys/\(key.id)").object
        #expect(record["requests_2xx"] as? Int == 2)
        #expect(record["requests_4xx"] as? Int == 1)
        #expect(record["last_used_at"] is String)
    }

    @Test func declaredUploadOverTheLimit_gets413_beforeTheBody() throws {
        let server = try InProcessServer(arguments: ["--max-upload-mb", "1"])
        let key = try server.createKey().secret
        let client = try server.connect()
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: \(2 * 1024 * 1024)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.detail == "Upload too large: the limit is 1 MiB.")
    }

    @Test func chunkedUploadOverTheLimit_getsTheSame413_withRateLimitHeaders() throws {
        let server = try InProcessServer(arguments: ["--max-upload-mb", "1"])
        let key = try server.createKey()
        let client = try server.connect()
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key.secret)\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n")
        let partHead = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
        try client.send(String(partHead.utf8.count, radix: 16) + "\r\n" + partHead + "\r\n")
        let chunk = "10000\r\n" + String(repeating: "z", count: 65536) + "\r\n"
        for _ in 0..<20 { try? client.send(chunk) }
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.detail == "Upload too large: the limit is 1 MiB.")
        #expect(response.header("X-RateLimit-Limit") == "30")
    }

    @Test func inactiveKey_gets401_onTheVeryNextRequest_evenWhenTheCLIDeactivatesIt() throws {
        let server = try InProcessServer()
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try runCLIInProcess(["keys", "deactivate", key.id, "--db", server.databasePath]).status == 0)
        let refused = try server.upload("/transcribe", key: key.secret)
        #expect(refused.status == 401)
        #expect(refused.detail == "API key is inactive.")
    }
}
