import Foundation
import Glibc
import Testing
import TestSupport

/// Usage over time (`GET /v1/keys/{id}/usage`, `GET /v1/account/usage`, `keys usage`), through the
/// real binary on a fake clock: buckets by status, the ledger's money to the micro-credit, the
/// pruning of old minutes and hours, and the limits of a request.
@Suite("Usage over time", .keepsEvidence)
struct UsageOverTimeTests {
    static let statuses = ["200", "400", "401", "402", "413", "429"]

    /// What a series of buckets adds up to.
    struct Totals: Equatable, CustomStringConvertible {
        var requests: [String: Int] = [:]
        var audioSeconds = 0
        var creditsMicro: Int64 = 0

        mutating func count(_ status: Int) { requests[String(status), default: 0] += 1 }

        mutating func add(_ other: Totals) {
            for (status, n) in other.requests { requests[status, default: 0] += n }
            audioSeconds += other.audioSeconds
            creditsMicro += other.creditsMicro
        }

        /// Zero counts and absent ones are the same.
        static func == (a: Totals, b: Totals) -> Bool {
            a.requests.filter { $0.value != 0 } == b.requests.filter { $0.value != 0 }
                && a.audioSeconds == b.audioSeconds && a.creditsMicro == b.creditsMicro
        }

        var description: String {
            "\(requests.filter { $0.value != 0 }.sorted { $0.key < $1.key }) audio \(audioSeconds) s, \(creditsMicro) µcredits"
        }
    }

    /// An answer's buckets, and each bucket's credits read from the text as the exact decimal sent.
    struct Answer {
        let response: WireResponse
        var buckets: [[String: Any]] { response.object["buckets"] as? [[String: Any]] ?? [] }

        var credits: [Int64] {
            let text = response.text
            return text.matches(of: /"credits":(-?[0-9]+(\.[0-9]{1,6})?)[,}]/).map { UsageOverTimeTests.micro(String($0.output.1)) }
        }

        var totals: Totals {
            var totals = Totals()
            for bucket in buckets {
                let requests = bucket["requests"] as? [String: Int] ?? [:]
                for (status, n) in requests { totals.requests[status, default: 0] += n }
                totals.audioSeconds += bucket["audio_seconds"] as? Int ?? 0
            }
            totals.creditsMicro = credits.reduce(0, +)
            return totals
        }
    }

    static func usage(_ server: ServerProcess, _ path: String) throws -> Answer {
        let response = try server.get(path)
        #expect(response.status == 200, "\(path): \(response.status) \(response.text.prefix(300))")
        return Answer(response: response)
    }

    /// "0.0012" → 1200, exactly.
    static func micro(_ decimal: String) -> Int64 {
        let negative = decimal.hasPrefix("-")
        let parts = decimal.drop { $0 == "-" }.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let value = Int64(parts[0])! * 1_000_000 + Int64((fraction + String(repeating: "0", count: 6 - fraction.count)))!
        return negative ? -value : value
    }

    /// Every `charge` in the ledger, per key, in micro-credits (positive).
    static func ledgerCharges(_ server: ServerProcess) throws -> [String: Int64] {
        var charged: [String: Int64] = [:]
        var cursor = ""
        while true {
            let page = try server.get("/v1/account/ledger?limit=100&after=\(cursor)").object
            for entry in page["data"] as? [[String: Any]] ?? [] where entry["kind"] as? String == "charge" {
                let amount = try #require(entry["amount"] as? NSNumber)
                charged[entry["key_id"] as? String ?? "", default: 0] -= Int64((amount.doubleValue * 1_000_000).rounded())
            }
            guard page["has_more"] as? Bool == true, let next = page["next_cursor"] as? String else { return charged }
            cursor = next
        }
    }

    static func advance(_ server: ServerProcess, seconds: Int) throws {
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#).status == 200)
    }

    /// A declared upload over `--max-upload-mb 1`: 413 from the head.
    static func oversized(_ server: ServerProcess, key: String) throws -> Int {
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\n"
                        + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: \(2 * 1024 * 1024)\r\n\r\n")
        return try client.readResponse().status
    }

    // MARK: - Tests

    /// A random workload over four weeks of fake time, on keys that see every status: for each key
    /// the buckets add up to what the client was answered, and their credits to the ledger's
    /// charges, to the micro-credit, whether old rows were pruned meanwhile or not.
    @Test func bucketsAgreeWithTheLedger_toTheMicroCredit_overARandomWorkload() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "enterprise",
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
            case 60..<85: try Self.advance(server, seconds: Int.random(in: 1...600, using: &random))
            case 85..<95: try Self.advance(server, seconds: Int.random(in: 3_600...14_400, using: &random))
            default: try Self.advance(server, seconds: Int.random(in: 72_000...108_000, using: &random))
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
            let charged = try Self.ledgerCharges(server)
            let days = "granularity=day&from=2030-01-01T00:00:00Z"
            var all = Totals()
            for key in keys {
                let buckets = try Self.usage(server, "/v1/keys/\(key.id)/usage?\(days)").totals
                let expected = model[key.id] ?? Totals()
                #expect(buckets == expected, "\(when), \(key.id): buckets \(buckets), answered \(expected)")
                #expect(buckets.creditsMicro == charged[key.id] ?? 0, "\(when), \(key.id): ledger \(charged[key.id] ?? 0)")
                let record = try server.get("/v1/keys/\(key.id)").object
                #expect(record["requests_2xx"] as? Int == buckets.requests["200"] ?? 0)
                #expect(record["requests_4xx"] as? Int == buckets.requests.filter { $0.key != "200" }.values.reduce(0, +))
                all.add(buckets)
            }
            #expect(try Self.usage(server, "/v1/account/usage?\(days)").totals == all, "\(when): account")
            #expect(all.creditsMicro == charged.values.reduce(0, +))
        }
        try check("at once")
        // A hundred days on, only day rows are left: nothing may change.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") {
            #expect(try Self.bucketRows(server).contains { !$0.hasPrefix("86400|") }, "minute and hour rows before the move")
        }
        try Self.advance(server, seconds: 100 * 86_400)
        // The flush thread prunes on its next tick: wait until only day rows are left, then check again.
        try Self.waitForRows(server, where: { rows in !rows.isEmpty && rows.allSatisfy { $0.hasPrefix("86400|") } },
                             "only day rows")
        try check("after the pruning")
    }

    /// Minute rows go once their hour ended 48 hours ago, and hour rows once their day ended 90
    /// days ago, deleted by the flush thread without a request; the wider rows keep their usage,
    /// the answers stay the same, and a width finer than what is kept is refused with the reason.
    @Test func oldMinutesAndHours_arePrunedOnTheFlushThread_andTheWiderRowsKeepTheirUsage() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro", "--credits", "10"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
        try Self.advance(server, seconds: 300)
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2)).status == 200)

        let minutes = try Self.usage(server, "/v1/keys/\(key.id)/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:10:00Z")
        #expect(minutes.buckets.count == 10)
        #expect(minutes.credits == [400, 0, 0, 0, 0, 800, 0, 0, 0, 0])
        #expect(minutes.buckets[0]["requests"] as? [String: Int] == ["200": 1, "400": 1, "401": 0, "402": 0, "413": 0, "429": 0])
        let hourPath = "/v1/keys/\(key.id)/usage?granularity=hour&from=2030-01-01T00:00:00Z&to=2030-01-01T02:00:00Z"
        let hours = try Self.usage(server, hourPath)
        #expect(hours.response.text.contains(#""requests":{"200":2,"400":1,"401":0,"402":0,"413":0,"429":0},"audio_seconds":3,"credits":0.0012}"#))

        // 49 hours on: the first hour ended more than 48 hours ago.
        try Self.advance(server, seconds: 49 * 3_600 - 300)
        try Self.waitForRows(server, ["3600|2", "86400|2"])  // the key's and the account's
        let refused = try server.get("/v1/keys/\(key.id)/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:10:00Z")
        #expect(refused.status == 422)
        #expect(refused.detail == "minute buckets are kept for 48 hours, then rolled up: from must be 2030-01-01T01:00:00Z "
                    + "or later for granularity=minute (granularity=hour reaches further back)")
        #expect(try Self.usage(server, hourPath).response.text == hours.response.text)

        // 91 days after the first: its day ended more than 90 days ago.
        #expect(try server.post("/v1/clock", json: #"{"now": "2030-04-02T00:00:00Z"}"#).status == 200)
        try Self.waitForRows(server, ["86400|2"])
        #expect(try server.get(hourPath).status == 422)
        let day = try Self.usage(server, "/v1/keys/\(key.id)/usage?granularity=day&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z")
        #expect(day.totals == hours.totals && day.buckets.count == 1)
    }

    /// 200, 400, 401 after the key lookup, 402, 413 and 429 are counted under the key; a key the
    /// server does not know, and an injected fault, are counted nowhere.
    @Test func eachStatus_isCountedUnderItsKey_unknownKeysAndFaultsAreNot() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "starter",
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
        let a = try Self.usage(server, "/v1/keys/\(key.id)/usage?\(path)")
        #expect(a.response.text.contains(#""requests":{"200":1,"400":1,"401":0,"402":1,"413":1,"429":1},"audio_seconds":1,"credits":0.0004}"#),
                "\(a.response.text)")
        #expect(try Self.usage(server, "/v1/keys/\(fenced.id)/usage?\(path)").totals.requests["401"] == 1)
        #expect(try Self.usage(server, "/v1/keys/\(dead.id)/usage?\(path)").totals.requests["401"] == 1)
        let account = try Self.usage(server, "/v1/account/usage?\(path)")
        #expect(account.response.text.contains(#""requests":{"200":1,"400":1,"401":2,"402":1,"413":1,"429":1},"audio_seconds":1,"credits":0.0004}"#),
                "\(account.response.text)")
    }

    @Test func answers_areZeroFilled_andRequestsAreChecked() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T10:20:30Z"])
        let key = try server.createKey()
        // The default: hourly, the 30 days up to the end of the current hour, every bucket present.
        let hours = try Self.usage(server, "/v1/keys/\(key.id)/usage")
        #expect(hours.response.object["granularity"] as? String == "hour")
        let starts = hours.buckets.compactMap { $0["start"] as? String }
        #expect(starts.count == 720 && starts.last == "2030-01-01T10:00:00Z" && starts.first == "2029-12-02T11:00:00Z")
        #expect(hours.buckets.allSatisfy { $0["requests"] as? [String: Int] == Dictionary(uniqueKeysWithValues: Self.statuses.map { ($0, 0) }) })
        #expect(hours.credits.count == 720 && hours.credits.allSatisfy { $0 == 0 })
        let minutes = try Self.usage(server, "/v1/account/usage?granularity=minute")
        #expect(minutes.buckets.count == 720 && minutes.buckets.last?["start"] as? String == "2030-01-01T10:20:00Z")
        #expect(try Self.usage(server, "/v1/account/usage?granularity=day&from=&to=").buckets.count == 365)
        // An offset is allowed ('+' sent as %2B); the range is aligned outwards to whole buckets.
        let aligned = try Self.usage(server, "/v1/account/usage?granularity=hour&from=2030-01-01T09:30:00%2B01:00&to=2030-01-01T09:00:01Z")
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
        #expect(try RawHTTPClient.request(port: server.port, "GET", "/v1/account/usage").status == 401)
    }

    @Test func aFixtureReset_deletesUsage() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--allow-reset", "--plan", "pro"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        let path = "/v1/account/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:01:00Z"
        #expect(try Self.usage(server, path).totals.requests["200"] == 1)
        #expect(try server.post("/v1/reset", json: "{}").status == 204)
        #expect(try Self.usage(server, path).totals == Totals())
    }

    /// `keys usage` reads the file: after the server has written its usage, the same buckets as the
    /// API, as a table of the buckets with usage or as the API's JSON.
    @Test func keysUsage_printsATable_orTheAPIJSON() throws {
        let server = try ServerProcess(arguments: ["--plan", "pro"])
        let key = try server.createKey(name: "charted")
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2)).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
        #expect(server.stop() == 0)  // the last batch is written at shutdown

        let table = try runCLI(["keys", "usage", key.id, "--since", "2h", "--db", server.databasePath])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("Usage of \(key.id) (charted) per minute"), "\(table.stdout)")
        let total = table.stdout.split(separator: "\n").first { $0.hasPrefix("TOTAL") }.map(String.init) ?? ""
        #expect(total.split(separator: " ") == ["TOTAL", "1", "1", "0", "0", "0", "0", "2", "0.0008"], "\(table.stdout)")
        #expect(table.stdout.contains("buckets, 1 with usage (empty ones not shown)")
                    || table.stdout.contains("buckets, 2 with usage (empty ones not shown)"), "\(table.stdout)")

        let json = try runCLI(["keys", "usage", key.id, "--since", "30d", "--json", "--db", server.databasePath])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["granularity"] as? String == "hour" && (object["buckets"] as? [Any])?.count == 721)
        #expect(try runCLI(["keys", "usage", key.id, "--since", "400d", "--json", "--db", server.databasePath]).stdout
                    .contains(#""granularity":"day""#))

        let tooLong = try runCLI(["keys", "usage", key.id, "--since", "1001d", "--db", server.databasePath])
        #expect(tooLong.status == 64 && tooLong.stderr.contains("at most 1000 buckets per answer"), "\(tooLong.stderr)")
        let tooFine = try runCLI(["keys", "usage", key.id, "--since", "3d", "--granularity", "minute", "--db", server.databasePath])
        #expect(tooFine.status == 64 && tooFine.stderr.contains("--since must be"), "\(tooFine.stderr)")
        #expect(try runCLI(["keys", "usage", key.id, "--since", "soon", "--db", server.databasePath]).status == 64)
        #expect(try runCLI(["keys", "usage", "key_nosuchkey0000000000", "--db", server.databasePath]).status == 1)
    }

    // MARK: - The database file

    /// Waits (up to 10 s) until `usage_buckets` holds exactly `rows` ("granularity|count"), read
    /// with the sqlite3 shell.
    static func waitForRows(_ server: ServerProcess, _ rows: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try waitForRows(server, where: { $0 == rows }, "\(rows)", sourceLocation: sourceLocation)
    }

    /// Waits (up to 10 s) until the rows of `usage_buckets` by granularity satisfy `condition`.
    /// Without the sqlite3 shell it is skipped (and fails under CI).
    static func waitForRows(_ server: ServerProcess, where condition: ([String]) -> Bool, _ expected: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            if !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty {
                Issue.record("CI is set but /usr/bin/sqlite3 is missing (apt-get install sqlite3)", sourceLocation: sourceLocation)
            }
            return
        }
        var seen: [String] = []
        // The flush thread prunes once a second.
        let held = try waitUntil(interval: 0.1) {
            seen = try bucketRows(server)
            return condition(seen)
        }
        if !held { Issue.record("usage_buckets holds \(seen), expected \(expected)", sourceLocation: sourceLocation) }
    }

    /// `usage_buckets`' rows counted by granularity ("granularity|count"), read by another process.
    static func bucketRows(_ server: ServerProcess) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-readonly", server.databasePath,
                             "SELECT granularity, count(*) FROM usage_buckets GROUP BY granularity ORDER BY granularity"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").map(String.init)
    }
}
