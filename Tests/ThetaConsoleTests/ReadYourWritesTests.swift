import Foundation
import Testing
import TestSupport

/// Every admin answer reflects every request the server has already answered: a test suite that
/// makes a request and then reads the ledger, the account, a key or the audit log never sees a
/// stale answer, though usage is still written in batches.
@Suite("Read-your-writes on every admin read", .onOwnThreads)
struct ReadYourWritesTests {
    /// What the server must report, kept by the test as it goes.
    struct Model {
        var balanceMicro: Int64 = 100_000_000
        var succeeded: [String: Int] = [:]
        var refused: [String: Int] = [:]
        var lastCharge: (key: String, seconds: Int, micro: Int64)?
        var lastEvent: (action: String, key: String)?
    }

    @Test func twoHundredRandomRequests_eachReadBackAtOnce_withNoMismatch() throws {
        let server = try InProcessServer(arguments: ["--plan", "enterprise", "--credits", "100", "--max-key-rpm", "5000"])
        let live = [try server.createKey(name: "a", extra: #", "rate_limit_rpm": 5000"#),
                    try server.createKey(name: "b", extra: #", "rate_limit_rpm": 5000"#)]
        let dead = try server.createKey(name: "dead")
        #expect(try server.delete("/v1/keys/\(dead.id)").status == 200)

        var model = Model()
        var random = SeededRandom(seed: 0x7E7A_C0DE)
        var mismatches: [String] = []
        func check(_ condition: Bool, _ what: @autoclosure () -> String) {
            if !condition { mismatches.append(what()) }
        }

        for step in 0..<200 {
            // One request of a random kind…
            let kind = Int.random(in: 0..<10, using: &random)
            var touched: String?
            switch kind {
            case 0..<5:  // accepted, billed
                let key = live[Int.random(in: 0..<2, using: &random)]
                let seconds = Int.random(in: 1...4, using: &random)
                let response = try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: Double(seconds)))
                check(response.status == 200, "step \(step): accepted upload got \(response.status)")
                let cost = Int64(seconds) * 400
                model.balanceMicro -= cost
                model.succeeded[key.id, default: 0] += 1
                model.lastCharge = (key.id, seconds, cost)
                touched = key.id
            case 5, 6:  // refused after the key lookup: counted, not billed
                let key = live[Int.random(in: 0..<2, using: &random)]
                let response = try server.upload("/transcribe", key: key.secret, audio: Array("not audio".utf8))
                check(response.status == 400, "step \(step): junk audio got \(response.status)")
                model.refused[key.id, default: 0] += 1
                touched = key.id
            case 7:  // an inactive key
                let response = try server.upload("/transcribe", key: dead.secret)
                check(response.status == 401, "step \(step): inactive key got \(response.status)")
                model.refused[dead.id, default: 0] += 1
                touched = dead.id
            case 8:  // a create
                let created = try server.createKey(name: "made at \(step)")
                model.lastEvent = ("key.created", created.id)
            default:  // a deactivation
                let created = try server.createKey(name: "short-lived \(step)")
                #expect(try server.delete("/v1/keys/\(created.id)").status == 200)
                model.lastEvent = ("key.deactivated", created.id)
            }

            // …then, at once, the admin read that must show it.
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                let balance = try Self.micro(server.get("/v1/account").object["balance"])
                check(balance == model.balanceMicro, "step \(step): account balance \(balance ?? -1) ≠ \(model.balanceMicro)")
            case 1:
                let entries = try server.get("/v1/account/ledger?limit=1").object["data"] as? [[String: Any]] ?? []
                let newest = entries.first ?? [:]
                check(Self.micro(newest["balance_after"]) == model.balanceMicro,
                      "step \(step): ledger balance_after \(newest["balance_after"] ?? "nil") ≠ \(model.balanceMicro)")
                if let charge = model.lastCharge {
                    check(newest["key_id"] as? String == charge.key && newest["audio_seconds"] as? Int == charge.seconds
                          && Self.micro(newest["amount"]) == -charge.micro,
                          "step \(step): newest ledger entry \(newest) is not the last charge")
                }
            case 2:
                let id = touched ?? live[0].id
                let key = try server.get("/v1/keys/\(id)").object
                check(key["requests_2xx"] as? Int == model.succeeded[id, default: 0],
                      "step \(step): \(id) requests_2xx \(key["requests_2xx"] ?? "nil") ≠ \(model.succeeded[id, default: 0])")
                check(key["requests_4xx"] as? Int == model.refused[id, default: 0],
                      "step \(step): \(id) requests_4xx \(key["requests_4xx"] ?? "nil") ≠ \(model.refused[id, default: 0])")
                if touched != nil { check(key["last_used_at"] is String, "step \(step): \(id) has no last_used_at") }
            default:
                let events = try server.get("/v1/audit-events?limit=1").object["data"] as? [[String: Any]] ?? []
                if let event = model.lastEvent {
                    check(events.first?["action"] as? String == event.action && events.first?["key_id"] as? String == event.key,
                          "step \(step): newest audit event \(events.first ?? [:]) is not \(event)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    }

    /// Usage buckets are written by the same once-a-second flush, and their routes are read routes:
    /// a read right after each request, with no sleep, counts it.
    @Test func usageBuckets_readAtOnceAfterEachRequest_countIt() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "enterprise",
                                                   "--credits", "100", "--max-key-rpm", "5000"])
        let key = try server.createKey(name: "charted", extra: #", "rate_limit_rpm": 5000"#)
        let query = "granularity=minute&from=2030-01-01T00:00:00Z&to=2030-01-01T01:00:00Z"
        var random = SeededRandom(seed: 0xC4A7)
        var (succeeded, refused, micro) = (0, 0, Int64(0))
        for step in 0..<40 {
            if Bool.random(using: &random) {
                let seconds = Int.random(in: 1...4, using: &random)
                #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: Double(seconds))).status == 200)
                succeeded += 1
                micro += Int64(seconds) * 400
            } else {
                #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
                refused += 1
            }
            if step % 3 == 0 { _ = try server.post("/v1/clock", json: #"{"advance_seconds": 17}"#) }
            let path = Bool.random(using: &random) ? "/v1/keys/\(key.id)/usage?\(query)" : "/v1/account/usage?\(query)"
            let answer = try server.get(path)
            let buckets = answer.object["buckets"] as? [[String: Any]] ?? []
            let counts = buckets.compactMap { $0["requests"] as? [String: Int] }
            let credits = buckets.compactMap { Self.micro($0["credits"]) }.reduce(0, +)
            #expect(counts.reduce(0) { $0 + ($1["200"] ?? 0) } == succeeded, "step \(step): \(path)")
            #expect(counts.reduce(0) { $0 + ($1["400"] ?? 0) } == refused, "step \(step): \(path)")
            #expect(credits == micro, "step \(step): \(path)")
        }
    }

    @Test func aRefusedAdminToken_isInTheAuditLog_byTheTimeThe401Arrives() throws {
        let server = try InProcessServer()
        let refused = try server.request("GET", "/v1/keys", headers: ["Authorization": "Bearer wrong"])
        #expect(refused.status == 401)
        let events = try server.get("/v1/audit-events?limit=1").object["data"] as? [[String: Any]] ?? []
        #expect(events.first?["action"] as? String == "admin.auth_failed")
    }

    /// Credits as the API writes them (exact decimals) in micro-credits.
    static func micro(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber else { return nil }
        return Int64((number.doubleValue * 1_000_000).rounded())
    }
}
