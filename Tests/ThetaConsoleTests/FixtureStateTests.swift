import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// `POST /v1/reset` and `GET /v1/requests`: state between tests, and what a client sent.
@Suite("Fixture: reset and recorded requests", .onOwnThreads)
struct FixtureStateTests {
    @Test func resetIsOnlyThereWhenAllowed() throws {
        let server = try InProcessServer()
        let reset = try server.post("/v1/reset", json: "{}")
        #expect(reset.status == 404 && reset.detail == "not found: POST /v1/reset needs the server started with --allow-reset")
        #expect(try server.get("/v1/requests").status == 404)
        // The paths exist: a wrong method is told which one is right.
        #expect(try server.get("/v1/reset").header("Allow") == "POST, OPTIONS")
    }

    @Test func recordedRequests_sayWhatTheClientSent_neverTheSecretOrTheAudio() throws {
        let server = try InProcessServer(arguments: ["--record-requests", "3", "--plan", "pro"])
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 1),
                                  fields: [("transcribe_options", "{}")]).status == 200)
        #expect(try server.upload("/transcribe", key: "sk-theta-" + String(repeating: "B", count: 38)).status == 401)
        #expect(try server.upload("/pronunciation-simple", key: key.secret).status == 400)
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "*", "times": 1, "action": {"status": 503}}"#).status == 201)
        #expect(try server.upload("/analyze-native", key: key.secret).status == 503)

        let response = try server.get("/v1/requests")
        let entries = response.object["data"] as? [[String: Any]] ?? []
        #expect(entries.count == 3, "a ring of 3: the oldest went")
        #expect(entries.map { $0["endpoint"] as? String } == ["/analyze-native", "/pronunciation-simple", "/transcribe"])
        #expect(entries.map { $0["status"] as? Int } == [503, 400, 401])
        #expect(entries[0]["key_id"] as? String == key.id && entries[2]["key_id"] is NSNull)
        #expect(entries[1]["detail"] as? String == "gold_text is required")
        let parts = entries[1]["parts"] as? [[String: Any]] ?? []
        #expect(parts.first?["name"] as? String == "file" && parts.first?["filename"] as? String == "audio.wav")
        #expect((parts.first?["size"] as? Int ?? 0) > 32_000)
        #expect(!response.text.contains(key.secret) && !response.text.contains("RIFF"))
        #expect((try server.get("/v1/requests?limit=1").object["data"] as? [Any])?.count == 1)
        #expect(try server.get("/v1/requests?limit=0").status == 422)
    }

    @Test func reset_clearsKeysAccountLedgerAuditFaultsAndUsage_andKeepsTheAdminToken() throws {
        let server = try InProcessServer(arguments: ["--allow-reset", "--plan", "starter", "--credits", "5", "--record-requests", "10"])
        func lotIDs() throws -> Set<String> {
            Set((try server.get("/v1/account/lots").object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        }
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.patch("/v1/account", json: #"{"plan": "pro", "balance": 99}"#).status == 200)
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "*", "action": {"status": 500}}"#).status == 201)
        let lotsBefore = try lotIDs()
        #expect(!lotsBefore.isEmpty)

        let reset = try server.request("POST", "/v1/reset", headers: server.authorization)
        #expect(reset.status == 204)

        #expect((try server.get("/v1/keys").object["data"] as? [Any])?.isEmpty == true)
        #expect(try server.upload("/transcribe", key: key.secret).status == 401, "the old key is gone")
        let account = try server.get("/v1/account")
        #expect(account.object["plan"] as? String == "starter" && account.text.contains(#""balance":5,"#))
        let ledger = try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? []
        #expect(ledger.count == 1 && ledger.first?["kind"] as? String == "grant")
        let lotsAfter = try lotIDs()
        #expect(!lotsAfter.isEmpty && lotsAfter.isDisjoint(with: lotsBefore), "no lot from before the reset is left")
        let audit = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(audit.map { $0["action"] as? String } == ["fixture.reset"])
        #expect((try server.get("/v1/faults").object["data"] as? [Any])?.isEmpty == true)
        let recorded = try server.get("/v1/requests").object["data"] as? [[String: Any]] ?? []
        #expect(recorded.count == 1, "only the request after the reset: \(recorded)")

        // A new key works at once, on a clean rate-limit window and a clean ledger.
        let fresh = try server.createKey()
        #expect(try server.upload("/transcribe", key: fresh.secret).status == 200)
        let charges = (try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? [])
            .filter { $0["kind"] as? String == "charge" }
        #expect(charges.count == 1 && charges.first?["key_id"] as? String == fresh.id)
        #expect(server.stop() == 0)
        #expect(try runCLIInProcess(["db", "check", "--db", server.databasePath]).stdout == "ok\n")
    }
}
