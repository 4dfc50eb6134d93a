import Foundation
import Testing
import TestSupport

/// The account, credits and billing in process, and the `account` CLI on a database file.
@Suite("Emulated API: account, credits and billing", .onOwnThreads)
struct BillingTests {
    @Test func newAccount_isFreeWith20Cents() throws {
        let server = try InProcessServer()
        let account = try server.get("/v1/account")
        #expect(account.status == 200)
        #expect(account.object["plan"] as? String == "free")
        #expect(account.text.contains(#""balance":0.2,"#))
        #expect(account.object["rpm_cap"] as? Int == 30)
        #expect(account.object["key_limit"] as? Int == 1)
        #expect(account.object["active_keys"] as? Int == 0)
        #expect(account.object["max_key_rate_limit_rpm"] as? Int == 100)
        let contract = try InProcessServer(arguments: ["--max-key-rpm", "5000"])
        #expect(try contract.get("/v1/account").object["max_key_rate_limit_rpm"] as? Int == 5000)
        let ledger = try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? []
        #expect(ledger.count == 1 && ledger[0]["kind"] as? String == "grant")
    }

    @Test func charges_areCeilSecondsTimesTheRate_andListedInTheLedger() throws {
        let server = try InProcessServer(arguments: ["--plan", "starter"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2.5)).status == 200)
        #expect(try server.upload("/pronunciation-simple", key: key.secret, audio: AudioFiles.wav(seconds: 1),
                                  fields: [("options", #"{"gold_text": "Hello"}"#)]).status == 200)
        #expect(try server.upload("/analyze-native", key: key.secret, audio: AudioFiles.wav(seconds: 10),
                                  fields: [("options", #"{"gold_text": "Hello"}"#)]).status == 200)
        // Starter's 5 monthly credits (serve --plan starter starts a Starter cycle), less
        // 3 s × 0.0004 + 1 s × 0.0006 + 10 s × 0.0006 = 4.9922, before and after the flush.
        #expect(try server.get("/v1/account").text.contains(#""balance":4.9922,"#))
        // The ledger is read-your-writes: the next read lists all three charges, no waiting.
        let charges = (try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "charge" }
        #expect(charges.count == 3)
        #expect(charges.map { $0["endpoint"] as? String } == ["/analyze-native", "/pronunciation-simple", "/transcribe"])
        #expect(charges.map { $0["audio_seconds"] as? Int } == [10, 1, 3])
        #expect(charges.allSatisfy { $0["key_id"] as? String == key.id })
        let ledgerText = try server.get("/v1/account/ledger").text
        #expect(ledgerText.contains(#""amount":-0.0012,"#) && ledgerText.contains(#""amount":-0.006,"#))
        #expect(try server.get("/v1/account").text.contains(#""balance":4.9922,"#))
    }

    @Test func aDowngradePastTheKeyLimit_reportsOverKeyLimit_andKeepsTheKeys() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let keys = try (0..<3).map { try server.createKey(name: "k\($0)") }
        #expect(try server.get("/v1/account").object["over_key_limit"] as? Int == 0)
        let changed = try server.patch("/v1/account", json: #"{"plan": "free"}"#)
        #expect(changed.status == 200)
        #expect(changed.object["active_keys"] as? Int == 3)
        #expect(changed.object["key_limit"] as? Int == 1)
        #expect(changed.object["over_key_limit"] as? Int == 2)
        // The keys keep working; a fourth cannot be made until enough are deactivated.
        #expect(try server.upload("/transcribe", key: keys[0].secret).status == 200)
        #expect(try server.post("/v1/keys", json: #"{"name": "fourth"}"#).status == 403)
        #expect(try server.delete("/v1/keys/\(keys[1].id)").status == 200)
        #expect(try server.get("/v1/account").object["over_key_limit"] as? Int == 1)
    }

    @Test func refusedRequests_areNotBilled() throws {
        let server = try InProcessServer()
        let key = try server.createKey()
        _ = try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8))
        _ = try server.upload("/pronunciation", key: key.secret)
        #expect(try server.get("/v1/account").text.contains(#""balance":0.2,"#))
    }

    @Test func runningOutMidStream_goesNegativeOnce_thenGets402() throws {
        let server = try InProcessServer(arguments: ["--credits", "0.001"])
        let key = try server.createKey()
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try server.upload("/transcribe", key: key.secret).status) }
        // 0.001 → 0.0006 → 0.0002 → -0.0002 (the third may cross zero), then refused.
        #expect(statuses == [200, 200, 200, 402, 402])
        let refused = try server.upload("/transcribe", key: key.secret)
        #expect(refused.detail == "Out of credits: the balance is -0.0002 credits.")
        #expect(try server.get("/v1/account").text.contains(#""balance":-0.0002,"#))
        // Topping up works at once.
        #expect(try server.patch("/v1/account", json: #"{"balance": 1}"#).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
    }

    @Test func patchAccount_validates_andIsAudited() throws {
        let server = try InProcessServer()
        #expect(try server.patch("/v1/account", json: #"{"plan": "platinum"}"#).status == 422)
        #expect(try server.patch("/v1/account", json: #"{"balance": "10"}"#).status == 422)
        #expect(try server.patch("/v1/account", json: #"{"balance": 0.0000001}"#).status == 422)
        #expect(try server.patch("/v1/account", json: #"{"credits": 1}"#).status == 422)
        #expect(try server.patch("/v1/account", json: #"{"balance": 9999999999999}"#).status == 422)
        #expect(try server.patch("/v1/account", json: #"{"balance": 1e999}"#).status == 422)
        #expect(try server.request("PATCH", "/v1/account", json: #"{"plan": "pro"}"#).status == 401)
        let exponent = try server.patch("/v1/account", json: #"{"balance": 1e-05}"#)
        #expect(exponent.status == 200 && exponent.text.contains(#""balance":0.00001,"#))
        let ok = try server.patch("/v1/account", json: #"{"plan": "pro_plus", "balance": 360}"#)
        #expect(ok.status == 200)
        #expect(ok.object["plan"] as? String == "pro_plus" && ok.object["rpm_cap"] as? Int == 500)
        #expect(ok.text.contains(#""balance":360,"#))
        let kinds = (try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        // 1e-05 replaces the monthly 0.20 (an adjustment lot); Pro+ starts a cycle with its 360
        // (nothing monthly was left to expire); then 360 is set: one small adjustment.
        #expect(kinds == ["adjustment", "grant", "plan_change", "adjustment", "grant"])
        let audit = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(audit.first?["action"] as? String == "account.updated")
    }

    @Test func servePlanAndCredits_startTheAccountDifferently() throws {
        let server = try InProcessServer(arguments: ["--plan", "enterprise", "--credits", "1000.5"])
        let account = try server.get("/v1/account")
        #expect(account.object["plan"] as? String == "enterprise")
        #expect(account.object["rpm_cap"] is NSNull && account.object["key_limit"] is NSNull)
        #expect(account.text.contains(#""balance":1000.5,"#))
    }

    @Test func accountCLI_showsAndSets() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("account.sqlite3")
        let shown = try runCLIInProcess(["account", "show", "--db", db])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("plan: Free (free)") && shown.stdout.contains("balance: 0.2 credits"))
        // It reads the file, so it says how far behind a running server it can be.
        #expect(shown.stdout.contains("a running server's usage may be up to 1 s newer"))
        let set = try runCLIInProcess(["account", "set", "--plan", "pro", "--balance", "24", "--db", db])
        #expect(set.status == 0 && set.stdout.contains("plan: Pro; balance: 24 credits"))
        #expect(try runCLIInProcess(["account", "set", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["account", "set", "--plan", "gold", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["account", "set", "--balance", "abc", "--db", db]).status == 64)
        let json = try runCLIInProcess(["account", "show", "--json", "--db", db])
        #expect(json.stdout.contains(#""plan":"pro""#) && json.stdout.contains(#""balance":24"#))
        #expect(json.stdout.contains(#""may_lag_seconds":1"#) && json.stdout.contains(#""written_at":""#))
    }
}
