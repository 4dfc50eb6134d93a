import Foundation
import Testing
import TestSupport
@testable import ThetaConsole

/// The request journal (`--record-requests`) as tests verify against it: a `reason` for every
/// answer, the filters and the count of `GET /v1/requests`, marks, and resets.
@Suite("Fixture: the request journal, for verification", .onOwnThreads)
struct RequestJournalTests {
    private static func entries(_ server: InProcessServer, _ query: String = "") throws -> [[String: Any]] {
        try server.get("/v1/requests\(query)").object["data"] as? [[String: Any]] ?? []
    }

    /// Each request, answered for each documented reason, in turn; the journal says which.
    @Test func everyAnswerCarriesItsReason_andTheWireAnswerIsTheDocumentedOne() throws {
        let server = try InProcessServer(arguments: ["--record-requests", "100", "--plan", "pro", "--credits", "10",
                                                     "--fake-time", "2030-01-01T00:00:00Z", "--max-upload-mb", "1"])
        let key = try server.createKey()
        var expected: [String] = []
        func expect(_ response: WireResponse, _ status: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(response.status == status, "\(reason): \(response.status) \(response.text)", sourceLocation: sourceLocation)
            expected.append(reason)
        }
        expect(try server.upload("/transcribe", key: key.secret), 200, "ok")
        expect(try server.upload("/transcribe", key: nil), 401, "key_missing")
        let twoKeys = "POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key.secret)\r\nx-api-key: \(key.secret)\r\nContent-Length: 0\r\n\r\n"
        expect(try server.send(Array(twoKeys.utf8)), 401, "key_duplicate")
        expect(try server.upload("/transcribe", key: "sk-theta-" + String(repeating: "C", count: 38)), 401, "key_unknown")
        expect(try server.upload("/transcribe", key: "not-a-key"), 401, "key_unknown")
        expect(try server.upload("/transcribe", key: key.secret, fields: [("transcribe_options", "{")]), 400, "invalid_request")
        expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 40)), 413, "too_large")

        #expect(try server.post("/v1/stubs", json: #"{"endpoint": "/transcribe", "match": {"filename": "stubbed.wav"}, "response": {"text": "hi", "text_type": "en", "metadata": {}, "response_time_in_sec": 0.1}}"#).status == 201)
        var stubbed = MultipartBody()
        stubbed.addFile(AudioFiles.wav(seconds: 1), filename: "stubbed.wav")
        expect(try server.request("POST", "/transcribe", headers: ["x-api-key": key.secret, "Content-Type": stubbed.contentType],
                                  body: stubbed.finished()), 200, "stub")
        for action in [#"{"status": 503}"#, #"{"reset": true}"#, #"{"truncate": true}"#] {
            #expect(try server.post("/v1/faults", json: #"{"endpoint": "*", "times": 1, "action": \#(action)}"#).status == 201)
            let response = try? server.upload("/transcribe", key: key.secret)
            expected.append("fault")
            _ = response
        }
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "*", "times": 1, "action": {"delay_ms": 1}}"#).status == 201)
        expect(try server.upload("/transcribe", key: key.secret), 200, "ok")  // a delay keeps the answer's own reason

        let elsewhere = try server.createKey(name: "elsewhere", extra: #", "allowed_cidrs": ["10.0.0.0/8"]"#)
        expect(try server.upload("/transcribe", key: elsewhere.secret), 401, "address_not_allowed")
        let slow = try server.createKey(name: "slow", extra: #", "rate_limit_rpm": 1"#)
        expect(try server.upload("/transcribe", key: slow.secret), 200, "ok")
        expect(try server.upload("/transcribe", key: slow.secret), 429, "rate_limited")
        let brief = try server.createKey(name: "brief", extra: #", "expires_at": "2030-01-01T00:10:00Z""#)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 3600}"#).status == 200)
        expect(try server.upload("/transcribe", key: brief.secret), 401, "key_expired")
        #expect(try server.request("DELETE", "/v1/keys/\(slow.id)", headers: server.authorization).status == 200)
        expect(try server.upload("/transcribe", key: slow.secret), 401, "key_inactive")
        #expect(try server.patch("/v1/account", json: #"{"plan": "free"}"#).status == 200)
        expect(try server.upload("/pronunciation", key: key.secret, fields: [("options", #"{"gold_text": "hi"}"#)]), 402,
               "plan_excludes_endpoint")
        #expect(try server.patch("/v1/account", json: #"{"balance": 0}"#).status == 200)
        expect(try server.upload("/transcribe", key: key.secret), 402, "out_of_credits")

        let journal = try Self.entries(server)
        #expect(journal.map { $0["reason"] as? String }.reversed() == expected)
        let seqs = journal.compactMap { $0["seq"] as? Int }
        #expect(seqs == Array((1...expected.count).reversed()), "one seq per entry, newest first, none skipped")
        let faults = journal.filter { $0["reason"] as? String == "fault" }
        #expect(faults.map { $0["status"] as? Int } == [200, 0, 503], "truncated 200, reset, 503")
        #expect(journal.first { $0["reason"] as? String == "key_duplicate" }?["detail"] as? String == "Send exactly one x-api-key header.")
        #expect(try Self.entries(server, "?reason=key_unknown").allSatisfy { $0["key_id"] is NSNull })
    }

    @Test func filtersAndTheCount_selectTheSameEntries_andTheMarkIsTheNewestSeq() throws {
        let server = try InProcessServer(arguments: ["--record-requests", "100", "--plan", "pro",
                                                     "--fake-time", "2030-01-01T00:00:00Z"])
        let first = try server.createKey(name: "first")
        let second = try server.createKey(name: "second")
        #expect(try server.get("/v1/requests/count").object["mark"] as? Int == 0)
        #expect(try server.upload("/transcribe", key: first.secret).status == 200)
        #expect(try server.upload("/pronunciation", key: second.secret).status == 400)
        let mark = try #require(try server.get("/v1/requests/count").object["mark"] as? Int)
        #expect(mark == 2)
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 60}"#).status == 200)
        #expect(try server.upload("/transcribe", key: second.secret).status == 200)
        #expect(try server.upload("/transcribe", key: nil).status == 401)

        func selected(_ query: String) throws -> (seqs: [Int], count: Int?) {
            let listed = try Self.entries(server, "?" + query).compactMap { $0["seq"] as? Int }
            let counted = try server.get("/v1/requests/count?" + query).object
            #expect(counted["mark"] as? Int == 4)
            return (listed, counted["count"] as? Int)
        }
        let cases: [(String, [Int])] = [
            ("endpoint=/transcribe", [4, 3, 1]),
            ("endpoint=/transcribe&status=200", [3, 1]),
            ("key_id=\(second.id)", [3, 2]),
            ("reason=invalid_request", [2]),
            ("status=401&reason=key_missing", [4]),
            ("after=\(mark)", [4, 3]),
            ("since=2030-01-01T00:01:00Z", [4, 3]),
            ("until=2030-01-01T00:01:00Z", [2, 1]),
            ("since=2030-01-01T00:00:00Z&until=2030-01-01T00:00:01Z", [2, 1]),
            ("key_id=\(first.id)&endpoint=/pronunciation", []),
            ("", [4, 3, 2, 1]),
        ]
        for (query, seqs) in cases {
            let found = try selected(query)
            #expect(found.seqs == seqs, "\(query)")
            #expect(found.count == seqs.count, "\(query)")
        }
        #expect(try Self.entries(server, "?endpoint=/transcribe&limit=2").compactMap { $0["seq"] as? Int } == [4, 3])

        let refusals: [(String, String)] = [
            ("endpoint=/v1/keys", "endpoint must be one of /transcribe, /analyze-native, /pronunciation, /pronunciation-simple"),
            ("status=600", "status must be an integer from 0 to 599"),
            ("status=ok", "status must be an integer from 0 to 599"),
            ("reason=fine", "reason must be one of " + AnswerReason.allCases.map(\.rawValue).joined(separator: ", ")),
            ("since=yesterday", "since must be an RFC 3339 time, like 2026-12-07T10:00:00Z"),
            ("until=2030-13-01T00:00:00Z", "until must be an RFC 3339 time, like 2026-12-07T10:00:00Z"),
            ("after=-1", "after must be a non-negative integer (a mark)"),
        ]
        for (query, detail) in refusals {
            for path in ["/v1/requests?", "/v1/requests/count?"] {
                let response = try server.get(path + query)
                #expect(response.status == 422 && response.detail == detail, "\(path)\(query): \(response.status) \(response.text)")
            }
        }
        let disabled = try InProcessServer()
        let count = try disabled.get("/v1/requests/count")
        #expect(count.status == 404 && count.detail == "not found: GET /v1/requests/count needs the server started with --record-requests N")
    }

    @Test func aFullJournal_saysWhichSeqItLastDropped() throws {
        let server = try InProcessServer(arguments: ["--record-requests", "2"])
        #expect(try server.get("/v1/requests/count").object["overflowed"] as? Int == 0)
        for _ in 0..<5 { #expect(try server.upload("/transcribe", key: nil).status == 401) }
        let listed = try server.get("/v1/requests").object
        #expect(listed["overflowed"] as? Int == 3 && listed["mark"] as? Int == 5, "seqs 1–3 went; 4 and 5 are kept")
        #expect(try server.get("/v1/requests/count?after=3").object["overflowed"] as? Int == 3)
    }

    @Test func aResetEmptiesTheJournal_keepsTheMark_andSeqsGoOn() throws {
        let server = try InProcessServer(arguments: ["--record-requests", "10", "--allow-reset"])
        for _ in 0..<3 { #expect(try server.upload("/transcribe", key: nil).status == 401) }
        #expect(try server.request("POST", "/v1/reset", headers: server.authorization).status == 204)
        let after = try server.get("/v1/requests").object
        #expect((after["data"] as? [Any])?.isEmpty == true && after["mark"] as? Int == 3)
        #expect(try server.upload("/transcribe", key: nil).status == 401)
        #expect(try Self.entries(server).compactMap { $0["seq"] as? Int } == [4])
    }

    /// A request gated before a reset is never journaled after it; one gated after is kept even if
    /// the reset's clean-up runs after it is added.
    @Test func theJournal_dropsEntriesOfAnOlderEpoch_nowAndLater() {
        let log = RequestLog(capacity: 3)
        func entry(_ epoch: UInt64, _ status: Int) -> RequestLog.Entry {
            RequestLog.Entry(time: Date(timeIntervalSince1970: 1_900_000_000), endpoint: "/transcribe", keyID: nil,
                             status: status, reason: .keyMissing, parts: [], detail: nil, epoch: epoch)
        }
        for status in [1, 2, 3, 4] { log.append(entry(1, status)) }
        #expect(log.newest(10).entries.map(\.status) == [4, 3, 2], "a ring of 3")
        log.append(entry(3, 5))  // gated after the reset, added before its clean-up
        log.removeAll(before: 3)
        log.append(entry(2, 6))  // gated during the reset, added after it
        log.append(entry(1, 7))  // gated before it
        log.append(entry(3, 8))
        let (entries, state) = log.newest(10)
        #expect(entries.map(\.status) == [8, 5])
        #expect(entries.map(\.seq) == [6, 5] && state.mark == 6, "dropped entries take no seq")
        #expect(state.overflowed == 0, "a reset forgets what overflowed before it")
        for status in [9, 10] { log.append(entry(3, status)) }
        #expect(log.newest(10).entries.map(\.status) == [10, 9, 8], "the ring goes on from the kept entries")
        #expect(log.count(matching: RequestLog.Filter()).state.overflowed == 5, "seq 5 went for lack of room")
        #expect(log.count(matching: RequestLog.Filter(after: 6)).count == 2, "seqs 7 and 8")
    }
}
