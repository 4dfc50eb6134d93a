import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// `POST /v1/reset` and `GET /v1/requests`: state between tests, and what a client sent.
@Suite("Fixture: reset and recorded requests (the binary)", .keepsEvidence)
struct FixtureStateTests {
    @Test func reset_clearsKeysAccountLedgerAuditFaultsAndUsage_andKeepsTheAdminToken() throws {
        let server = try ServerProcess(arguments: ["--allow-reset", "--plan", "starter", "--credits", "5", "--record-requests", "10"])
        func lotIDs() throws -> Set<String> {
            Set((try server.get("/v1/account/lots").object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        }
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.patch("/v1/account", json: #"{"plan": "pro", "balance": 99}"#).status == 200)
        #expect(try server.post("/v1/faults", json: #"{"endpoint": "*", "action": {"status": 500}}"#).status == 201)
        let lotsBefore = try lotIDs()
        #expect(!lotsBefore.isEmpty)

        let reset = try RawHTTPClient.request(port: server.port, "POST", "/v1/reset", headers: server.authorization)
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
        #expect(try runCLI(["db", "check", "--db", server.databasePath]).stdout == "ok\n")
    }

    @Test func resetUnderConcurrentRequests_neverShowsHalfAResetState() throws {
        let server = try ServerProcess(arguments: ["--allow-reset", "--plan", "enterprise", "--credits", "100",
                                                   "--max-key-rpm", "100000"])
        let key = try server.createKey(extra: #", "rate_limit_rpm": 100000"#)
        let statuses = Mutex<[Int]>([])
        let stop = Atomic<Bool>(false)
        let clients = ThreadGroup(4) { _ in
            while !stop.load(ordering: .relaxed) {
                let status = (try? server.upload("/transcribe", key: key.secret).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        // Reset while uploads are running: after some have been answered 200, and until some 401.
        func waitFor(_ status: Int) {
            waitUntil { statuses.withLock { $0.contains(status) } }
        }
        waitFor(200)
        let reset = try RawHTTPClient.request(port: server.port, "POST", "/v1/reset", headers: server.authorization)
        waitFor(401)
        stop.store(true, ordering: .relaxed)
        clients.wait()
        #expect(reset.status == 204)
        let seen = statuses.withLock { $0 }
        // Before the reset 200, after it 401; nothing else (no 402 from a half-reset balance, no 5xx).
        #expect(Set(seen).isSubset(of: [200, 401]), "\(Set(seen))")
        #expect(seen.contains(200) && seen.contains(401))
        // No charge from before the reset lands after it: the ledger is the new account's grant.
        let ledger = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []
        #expect(ledger.map { $0["kind"] as? String } == ["grant"], "\(ledger.count) entries")
        #expect(try server.get("/v1/account").text.contains(#""balance":100,"#), "the start balance (--credits)")
    }
}
