import Foundation
import Glibc
import KeyStore
import Testing
import TestSupport

/// Usage over time (`GET /v1/keys/{id}/usage`, `GET /v1/account/usage`) in process, on a fake
/// clock: buckets by status, the ledger's money to the micro-credit, the pruning of old minutes and
/// hours by a round of the flush thread's chores, and the limits of a request (`keys usage`, which
/// reads what the binary wrote at shutdown, is tested on the binary).
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

    /// 200, 400, 401 after the key lookup, 402, 413 and 429 are counted under the key; a key the
    /// server does not know, and an injected fault, are counted nowhere.
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

    /// A random workload over four weeks of fake time, on keys that see every status: for each key
    /// the buckets add up to what the client was answered, and their credits to the ledger's
    /// charges, to the micro-credit, whether old rows were pruned meanwhile or not.
    @Test func bucketsAgreeWithTheLedger_toTheMicroCredit_overARandomWorkload() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "enterprise",
                                                     "--credits", "1000", "--max-key-rpm", "5000", "--max-upload-mb", "1"])
        let busy = try server.createKey(name: "busy", extra: #", "rate_limit_rpm": 5000"#)
        let slow = try server.createKey(name: "slow", extra: #", "rate_limit_rpm": 2"#)
        let fenced = try server.createKey(name: "fenced", extra: #", "allowed_cidrs": ["10.0.0.0/8"]"#)
        let dead = try server.createKey(name: "dead")
        #expect(try server.delete("/v1/keys/\(dead.id)").status == 200)
        let keys = [busy, slow, fenced, dead]

        var model: [String: Totals] = [:]
        var random = SeededRandom(seed: 0x0B5E_55ED)
        let durations = [0.5, 1, 1.5, 2, 2.5, 3.7, 5]
        for _ in 0..<220 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<60: break
            case 60..<85: try UsageOverTime.advance(server, seconds: Int.random(in: 1...600, using: &random))
            case 85..<95: try UsageOverTime.advance(server, seconds: Int.random(in: 3_600...14_400, using: &random))
            default: try UsageOverTime.advance(server, seconds: Int.random(in: 72_000...108_000, using: &random))
            }
            let key = [busy, busy, busy, slow, slow, fenced, dead][Int.random(in: 0..<7, using: &random)]
            let status: Int
            var billed = (seconds: 0, micro: Int64(0))
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<11:
                let seconds = durations.randomElement(using: &random)!
                let pronunciation = Bool.random(using: &random)
                let response = pronunciation
                    ? try server.upload("/pronunciation-simple", key: key.secret, audio: AudioFiles.wav(seconds: seconds),
                                        fields: [("options", #"{"gold_text": "Hello"}"#)])
                    : try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: seconds))
                status = response.status
                if status == 200 {
                    let whole = Int(seconds.rounded(.up))
                    billed = (whole, Int64(whole) * (pronunciation ? 600 : 400))
                }
            case 11..<15:
                status = try server.upload("/transcribe", key: key.secret, audio: Array("not audio".utf8)).status
            case 15, 16:
                status = try Self.oversized(server, key: key.secret)
            case 17:
                #expect(try server.patch("/v1/account", json: #"{"balance": 0}"#).status == 200)
                status = try server.upload("/transcribe", key: key.secret).status
                #expect(try server.patch("/v1/account", json: #"{"balance": 1000}"#).status == 200)
            default:
                // No key the server knows: a 401 counted nowhere.
                let unknown = try server.upload("/transcribe", key: "sk-theta-" + String(repeating: "A", count: 38))
                #expect(unknown.status == 401)
                continue
            }
            model[key.id, default: Totals()].count(status)
            model[key.id, default: Totals()].audioSeconds += billed.seconds
            model[key.id, default: Totals()].creditsMicro += billed.micro
        }
        let seen = Set(model.values.flatMap { $0.requests.filter { $0.value > 0 }.keys })
        #expect(seen == Set(Self.statuses), "the workload should see every status: \(seen)")

        func check(_ when: String) throws {
            let charged = try UsageOverTime.ledgerCharges(server)
            let days = "granularity=day&from=2030-01-01T00:00:00Z"
            var all = Totals()
            for key in keys {
                let buckets = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage?\(days)").totals
                let expected = model[key.id] ?? Totals()
                #expect(buckets == expected, "\(when), \(key.id): buckets \(buckets), answered \(expected)")
                #expect(buckets.creditsMicro == charged[key.id] ?? 0, "\(when), \(key.id): ledger \(charged[key.id] ?? 0)")
                let record = try server.get("/v1/keys/\(key.id)").object
                #expect(record["requests_2xx"] as? Int == buckets.requests["200"] ?? 0)
                #expect(record["requests_4xx"] as? Int == buckets.requests.filter { $0.key != "200" }.values.reduce(0, +))
                all.add(buckets)
            }
            #expect(try UsageOverTime.usage(server, "/v1/account/usage?\(days)").totals == all, "\(when): account")
            #expect(all.creditsMicro == charged.values.reduce(0, +))
        }
        try check("at once")
        // A hundred days on, only day rows are left: nothing may change.
        #expect(try Self.bucketRows(server).contains { !$0.hasPrefix("86400|") }, "minute and hour rows before the move")
        try UsageOverTime.advance(server, seconds: 100 * 86_400)
        // A round of the flush thread's chores prunes: only day rows are left, then check again.
        try Self.pruneAndExpectRows(server, where: { rows in !rows.isEmpty && rows.allSatisfy { $0.hasPrefix("86400|") } },
                                    "only day rows")
        try check("after the pruning")
    }

    /// Minute rows go once their hour ended 48 hours ago, and hour rows once their day ended 90
    /// days ago, deleted by the flush thread without a request; the wider rows keep their usage,
    /// the answers stay the same, and a width finer than what is kept is refused with the reason.
    @Test func oldMinutesAndHours_arePrunedOnTheFlushThread_andTheWiderRowsKeepTheirUsage() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro", "--credits", "10"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
        try UsageOverTime.advance(server, seconds: 300)
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2)).status == 200)

        let minutes = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:10:00Z")
        #expect(minutes.buckets.count == 10)
        #expect(minutes.credits == [400, 0, 0, 0, 0, 800, 0, 0, 0, 0])
        #expect(minutes.buckets[0]["requests"] as? [String: Int] == ["200": 1, "400": 1, "401": 0, "402": 0, "413": 0, "429": 0])
        let hourPath = "/v1/keys/\(key.id)/usage?granularity=hour&from=2030-01-01T00:00:00Z&to=2030-01-01T02:00:00Z"
        let hours = try UsageOverTime.usage(server, hourPath)
        #expect(hours.response.text.contains(#""requests":{"200":2,"400":1,"401":0,"402":0,"413":0,"429":0},"audio_seconds":3,"credits":0.0012}"#))

        // 49 hours on: the first hour ended more than 48 hours ago.
        try UsageOverTime.advance(server, seconds: 49 * 3_600 - 300)
        try Self.pruneAndExpectRows(server, ["3600|2", "86400|2"])  // the key's and the account's
        let refused = try server.get("/v1/keys/\(key.id)/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:10:00Z")
        #expect(refused.status == 422)
        #expect(refused.detail == "minute buckets are kept for 48 hours, then rolled up: from must be 2030-01-01T01:00:00Z "
                    + "or later for granularity=minute (granularity=hour reaches further back)")
        #expect(try UsageOverTime.usage(server, hourPath).response.text == hours.response.text)

        // 91 days after the first: its day ended more than 90 days ago.
        #expect(try server.post("/v1/clock", json: #"{"now": "2030-04-02T00:00:00Z"}"#).status == 200)
        try Self.pruneAndExpectRows(server, ["86400|2"])
        #expect(try server.get(hourPath).status == 422)
        let day = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage?granularity=day&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z")
        #expect(day.totals == hours.totals && day.buckets.count == 1)
    }

    // MARK: - The database file

    /// Runs a round of the flush thread's chores (usage written, then old rows pruned), then
    /// expects `usage_buckets` to hold exactly `rows` ("granularity|count").
    static func pruneAndExpectRows(_ server: InProcessServer, _ rows: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try pruneAndExpectRows(server, where: { $0 == rows }, "\(rows)", sourceLocation: sourceLocation)
    }

    /// Runs a round of the flush thread's chores, then expects the rows of `usage_buckets` by
    /// granularity to satisfy `condition`.
    static func pruneAndExpectRows(_ server: InProcessServer, where condition: ([String]) -> Bool, _ expected: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        server.app.housekeeping.runOnce()
        let rows = try bucketRows(server)
        if !condition(rows) { Issue.record("usage_buckets holds \(rows), expected \(expected)", sourceLocation: sourceLocation) }
    }

    /// `usage_buckets`' rows counted by granularity, narrowest first ("granularity|count", as the
    /// sqlite3 shell prints a GROUP BY), read through the server's store.
    static func bucketRows(_ server: InProcessServer) throws -> [String] {
        try server.store.usageRowCounts().filter { $0.value > 0 }.sorted { $0.key.seconds < $1.key.seconds }
            .map { "\($0.key.seconds)|\($0.value)" }
    }
}
