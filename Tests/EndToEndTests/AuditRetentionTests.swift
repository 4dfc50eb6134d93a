import Foundation
import Glibc
import Testing
import TestSupport

/// `serve --audit-retention-days N`: old audit events go, keys and the ledger stay.
@Suite("Audit retention", .keepsEvidence)
struct AuditRetentionTests {
    @Test func eventsOlderThanTheRetention_arePruned_keysAndLedgerAreNot() throws {
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--audit-retention-days", "2",
                                                   "--plan", "pro"])
        let old = try server.createKey(name: "made on day one")
        #expect(try server.delete("/v1/keys/\(old.id)").status == 200)
        let ledgerBefore = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []

        // Three days on: the day-one events are past the retention; a new one is not.
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": 259200}"#).status == 200)
        let recent = try server.createKey(name: "made on day four")

        var actions: [String] = []
        // The flush thread prunes on its next tick (once a second).
        try waitUntil(interval: 0.1) {
            let events = try server.get("/v1/audit-events?limit=100").object["data"] as? [[String: Any]] ?? []
            actions = events.compactMap { $0["action"] as? String }
            return actions.contains("audit.pruned")
        }
        let events = try server.get("/v1/audit-events?limit=100").object["data"] as? [[String: Any]] ?? []
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
        let result = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--audit-retention-days", "0"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--audit-retention-days must be at least 1"))
    }
}
