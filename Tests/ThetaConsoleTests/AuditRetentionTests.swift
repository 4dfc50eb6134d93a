import Foundation
import Testing
import TestSupport

/// `serve --audit-retention-days N`: old audit events go, keys and the ledger stay; fewer than one
/// day is a usage error at start-up.
@Suite("Audit retention", .onOwnThreads)
struct AuditRetentionTests {
    @Test func eventsOlderThanTheRetention_arePruned_keysAndLedgerAreNot() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--audit-retention-days", "2",
                                                   "--plan", "pro"])
        let old = try server.createKey(name: "made on day one")
        #expect(try server.delete("/v1/keys/\(old.id)").status == 200)
        let ledgerBefore = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []

        // Three days on: the day-one events are past the retention; a new one is not.
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 259200}"#).status == 200)
        let recent = try server.createKey(name: "made on day four")

        // A round of the flush thread's chores, as its next tick would run it.
        server.app.housekeeping.runOnce()
        let events = try server.get("/v1/audit-events?limit=100").object["data"] as? [[String: Any]] ?? []
        let actions = events.compactMap { $0["action"] as? String }
        #expect(actions.contains("audit.pruned"), "\(actions)")
        #expect(!events.contains { $0["key_id"] as? String == old.id }, "day-one events survived")
        #expect(events.contains { $0["key_id"] as? String == recent.id && $0["action"] as? String == "key.created" })
        let pruned = events.first { $0["action"] as? String == "audit.pruned" }
        #expect((pruned?["detail"] as? String)?.hasPrefix("3 events older than 2 days deleted") == true,
                "\(pruned ?? [:])")

        // The key and the ledger are untouched.
        let key = try server.get("/v1/keys/\(old.id)")
        #expect(key.status == 200 && key.object["status"] as? String == "inactive")
        let ledgerAfter = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []
        #expect(ledgerAfter.count == ledgerBefore.count)
    }

    @Test func retentionBelowOneDay_isAUsageError() throws {
        let result = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--audit-retention-days", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--audit-retention-days must be at least 1"))
    }
}
