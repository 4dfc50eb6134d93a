import Foundation
import Glibc
import Testing
import TestSupport

/// Usage over time (`GET /v1/keys/{id}/usage`, `GET /v1/account/usage`, `keys usage`), through the
/// real binary on a fake clock: buckets by status, the ledger's money to the micro-credit, the
/// pruning of old minutes and hours, and the limits of a request.
@Suite("Usage over time (the binary)", .keepsEvidence)
struct UsageOverTimeTests {
    static let statuses = UsageOverTime.statuses
    typealias Totals = UsageOverTime.Totals
    typealias Answer = UsageOverTime.Answer

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
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") {
            #expect(try Self.bucketRows(server).contains { !$0.hasPrefix("86400|") }, "minute and hour rows before the move")
        }
        try UsageOverTime.advance(server, seconds: 100 * 86_400)
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
        try Self.waitForRows(server, ["3600|2", "86400|2"])  // the key's and the account's
        let refused = try server.get("/v1/keys/\(key.id)/usage?granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T00:10:00Z")
        #expect(refused.status == 422)
        #expect(refused.detail == "minute buckets are kept for 48 hours, then rolled up: from must be 2030-01-01T01:00:00Z "
                    + "or later for granularity=minute (granularity=hour reaches further back)")
        #expect(try UsageOverTime.usage(server, hourPath).response.text == hours.response.text)

        // 91 days after the first: its day ended more than 90 days ago.
        #expect(try server.post("/v1/clock", json: #"{"now": "2030-04-02T00:00:00Z"}"#).status == 200)
        try Self.waitForRows(server, ["86400|2"])
        #expect(try server.get(hourPath).status == 422)
        let day = try UsageOverTime.usage(server, "/v1/keys/\(key.id)/usage?granularity=day&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z")
        #expect(day.totals == hours.totals && day.buckets.count == 1)
    }

    /// 200, 400, 401 after the key lookup, 402, 413 and 429 are counted under the key; a key the
    /// server does not know, and an injected fault, are counted nowhere.
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
