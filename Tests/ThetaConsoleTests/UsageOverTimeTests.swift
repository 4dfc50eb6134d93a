import Foundation
import Glibc
import Testing
import TestSupport

/// Usage over time (`GET /v1/keys/{id}/usage`, `GET /v1/account/usage`, `keys usage`), through the
/// real binary on a fake clock: buckets by status, the ledger's money to the micro-credit, the
/// pruning of old minutes and hours, and the limits of a request.
@Suite("Usage over time", .onOwnThreads)
struct UsageOverTimeTests {
    static let statuses = UsageOverTime.statuses
    typealias Totals = UsageOverTime.Totals
    typealias Answer = UsageOverTime.Answer

    /// A declared upload over `--max-upload-mb 1`: 413 from the head.
    static func oversized(_ server: InProcessServer, key: String) throws -> Int {
        // The head alone, declaring more than the limit: refused before any body is read.
        try server.send(Array(("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\n"
                               + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: \(2 * 1024 * 1024)\r\n\r\n").utf8)).status
    }

    // MARK: - Tests

    /// A random workload over four weeks of fake time, on keys that see every status: for each key
    /// the buckets add up to what the client was answered, and their credits to the ledger's
    /// charges, to the micro-credit, whether old rows were pruned meanwhile or not.
    @Test func eachStatus_isCountedUnderItsKey_unknownKeysAndFaultsAreNot() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "starter",
                                                   "--credits", "10", "--max-upload-mb", "1"])
        let key = try server.createKey(name: "a", extra: #", "rate_limit_rpm": 3"#)
        let fenced = try server.createKey(name: "fenced", extra: #", "allowed_cidrs": ["10.0.0.0/8"]"#)
        let dead = try server.createKey(name: "dead")
        #expect(try server.delete("/v1/keys/\(dead.id)").status == 200)

        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "/transcribe", "times": 1, "action": {"truncate": true}}"#).status == 201)
        _ = try? server.upload("/transcribe", key: key.secret)  // half an answer, then the connection closes
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "/transcribe", "times": 1, "action": {"status": 503}}"#).status == 201)
        #expect(try server.upload("/transcribe", key: key.secret).status == 503)
        #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
        #expect(try Self.oversized(server, key: key.secret) == 413)
        #expect(try server.upload("/transcribe", key: key.secret).status == 429)
        #expect(try server.patch("/v1/account", json: #"{"balance": 0}"#).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret).status == 402)
        #expect(try server.upload("/transcribe", key: fenced.secret).status == 401)
        #expect(try server.upload("/transcribe", key: dead.secret).status == 401)
        #expect(try server.upload("/transcribe", key: "sk-theta-" + String(repeating: "A", count: 38)).status == 401)
        #expect(try server.upload("/transcribe", key: nil).status == 401)

        let path = "granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:01:00Z"
        let a = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage?\(path)")
        #expect(a.response.text.contains(#""requests":{"200":1,"400":1,"401":0,"402":1,"413":1,"429":1},"audio_seconds":1,"credits":0.0004}"#),
                "\(a.response.text)")
        #expect(try UsageOverTime.usage(server, "/v1/keys/\(fenced.id)/usage?\(path)").totals.requests["401"] == 1)
        #expect(try UsageOverTime.usage(server, "/v1/keys/\(dead.id)/usage?\(path)").totals.requests["401"] == 1)
        let account = try UsageOverTime.usage(server, "/v1/account/usage?\(path)")
        #expect(account.response.text.contains(#""requests":{"200":1,"400":1,"401":2,"402":1,"413":1,"429":1},"audio_seconds":1,"credits":0.0004}"#),
                "\(account.response.text)")
    }

    @Test func answers_areZeroFilled_andRequestsAreChecked() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T10:20:30Z"])
        let key = try server.createKey()
        // The default: hourly, the 30 days up to the end of the current hour, every bucket present.
        let hours = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage")
        #expect(hours.response.object["granularity"] as? String == "hour")
        let starts = hours.buckets.compactMap { $0["start"] as? String }
        #expect(starts.count == 720 && starts.last == "2030-01-01T10:00:00Z" && starts.first == "2029-12-02T11:00:00Z")
        #expect(hours.buckets.allSatisfy { $0["requests"] as? [String: Int] == Dictionary(uniqueKeysWithValues: Self.statuses.map { ($0, 0) }) })
        #expect(hours.credits.count == 720 && hours.credits.allSatisfy { $0 == 0 })
        let minutes = try UsageOverTime.usage(server, "/v1/account/usage?granularity=minute")
        #expect(minutes.buckets.count == 720 && minutes.buckets.last?["start"] as? String == "2030-01-01T10:20:00Z")
        #expect(try UsageOverTime.usage(server, "/v1/account/usage?granularity=day&from=&to=").buckets.count == 365)
        // An offset is allowed ('+' sent as %2B); the range is aligned outwards to whole buckets.
        let aligned = try UsageOverTime.usage(server, "/v1/account/usage?granularity=hour&from=2030-01-01T09:30:00%2B01:00&to=2030-01-01T09:00:01Z")
        #expect(aligned.buckets.compactMap { $0["start"] as? String } == ["2030-01-01T08:00:00Z", "2030-01-01T09:00:00Z"])

        let refusals: [(String, String)] = [
            ("granularity=week", "granularity must be one of minute, hour, day"),
            ("from=yesterday", "from must be an RFC 3339 time such as 2030-01-01T00:00:00Z"),
            ("from=2030-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "from must be before to"),
            ("granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T16:41:00Z",
             "at most 1000 buckets per answer: this range is 1001 minute buckets; narrow it or use a coarser granularity"),
        ]
        for (query, detail) in refusals {
            for path in ["/v1/keys/\(key.id)/usage", "/v1/account/usage"] {
                let refused = try server.get("\(path)?\(query)")
                #expect(refused.status == 422 && refused.detail == detail, "\(path)?\(query): \(refused.text)")
            }
        }
        #expect(try server.get("/v1/account/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T16:40:00Z").status == 200)
        #expect(try server.get("/v1/keys/key_nosuchkey0000000000/usage").status == 404)
        #expect(try server.request("GET", "/v1/account/usage").status == 401)
    }

    @Test func aFixtureReset_deletesUsage() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--allow-reset", "--plan", "pro"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        let path = "/v1/account/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:01:00Z"
        #expect(try UsageOverTime.usage(server, path).totals.requests["200"] == 1)
        #expect(try server.post("/v1/reset", json: "{}").status == 204)
        #expect(try UsageOverTime.usage(server, path).totals == Totals())
    }

    /// `keys usage` reads the file: after the server has written its usage, the same buckets as the
    /// API, as a table of the buckets with usage or as the API's JSON.


    // MARK: - The database file
}
