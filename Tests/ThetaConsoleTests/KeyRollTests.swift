import Foundation
import Glibc
import Testing
import TestSupport

/// Rolling a key with a grace period, in process: the old key works to the second, then never
/// again; the pair shares one rate-limit window and counts once against the plan; a roll the CLI
/// makes on the server's file is seen on the server's next request. Through the binary, a roll runs
/// in the browser's console scenario, and a key the CLI changes beside the running server is
/// refused on its next request in EndToEndTests/LeakScanTests (`scan --deactivate`).
@Suite("Keys: roll with overlap", .onOwnThreads)
struct KeyRollTests {
    static let start = "2030-01-01T00:00:00Z"

    private func roll(_ server: InProcessServer, _ id: String, grace: Int?) throws -> WireResponse {
        try server.post("/v1/keys/\(id)/roll", json: grace.map { #"{"grace_seconds": \#($0)}"# } ?? "{}")
    }

    private func advance(_ server: InProcessServer, _ seconds: Int) throws {
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#).status == 200)
    }

    @Test func theOldKeyWorksUntilTheGraceEnds_toTheSecond_thenNeverAgain() throws {
        let server = try InProcessServer(arguments: ["--fake-time", Self.start, "--plan", "pro", "--credits", "10"])
        let old = try server.createKey(name: "nightly", extra: #", "expires_at": "2031-01-01", "rate_limit_rpm": 40"#)
        let rolled = try roll(server, old.id, grace: 3600)
        #expect(rolled.status == 201)
        let new = try #require(rolled.object["key"] as? String)
        let newID = try #require(rolled.object["id"] as? String)
        #expect(rolled.header("Location") == "/v1/keys/\(newID)")
        // The new key copies the old one's name, expiry and rate limit.
        #expect(rolled.object["name"] as? String == "nightly")
        #expect(rolled.object["expires_at"] as? String == "2031-01-02T00:00:00Z")
        #expect(rolled.object["rate_limit_rpm"] as? Int == 40)
        #expect(rolled.object["rolled_from"] as? String == old.id)

        let before = try server.get("/v1/keys/\(old.id)").object
        #expect(before["status"] as? String == "active")
        #expect(before["rolled_to"] as? String == newID)
        #expect(before["grace_until"] as? String == "2030-01-01T01:00:00Z")

        try advance(server, 3599)
        #expect(try server.upload("/transcribe", key: old.secret).status == 200)
        #expect(try server.upload("/transcribe", key: new).status == 200)
        try advance(server, 1)
        let refused = try server.upload("/transcribe", key: old.secret)
        #expect(refused.status == 401 && refused.detail == "API key is inactive.")
        #expect(try server.upload("/transcribe", key: new).status == 200)
        let after = try server.get("/v1/keys/\(old.id)").object
        #expect(after["status"] as? String == "inactive")
        #expect(after["deactivated_at"] as? String == "2030-01-01T01:00:00Z")

        // It can never come back: not by rolling it, nor by anything else the API offers.
        #expect(try roll(server, old.id, grace: 0).status == 409)
        func ids(_ status: String) throws -> [String] {
            (try server.get("/v1/keys?status=\(status)").object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
        #expect(try ids("inactive") == [old.id])
        #expect(try ids("active") == [newID])

        // One audit event names both keys.
        let events = try server.get("/v1/audit-events?limit=5").object["data"] as? [[String: Any]] ?? []
        let event = try #require(events.first { $0["action"] as? String == "key.rolled" })
        #expect(event["key_id"] as? String == old.id)
        #expect((event["detail"] as? String)?.contains(newID) == true)
    }

    @Test func graceZero_endsTheOldKeyAtOnce() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let old = try server.createKey()
        let rolled = try roll(server, old.id, grace: nil)
        #expect(rolled.status == 201)
        #expect(try server.upload("/transcribe", key: old.secret).status == 401)
        #expect(try server.upload("/transcribe", key: try #require(rolled.object["key"] as? String)).status == 200)
        #expect(try server.get("/v1/keys/\(old.id)").object["status"] as? String == "inactive")
    }

    @Test func onlyAnActiveKeyNotAlreadyRolled_canBeRolled() throws {
        let server = try InProcessServer(arguments: ["--fake-time", Self.start, "--plan", "pro"])
        let rolledOnce = try server.createKey(name: "in grace")
        #expect(try roll(server, rolledOnce.id, grace: 600).status == 201)
        let again = try roll(server, rolledOnce.id, grace: 600)
        #expect(again.status == 409)
        #expect(again.detail?.contains("was already rolled to key_") == true)

        let inactive = try server.createKey(name: "gone")
        #expect(try server.delete("/v1/keys/\(inactive.id)").status == 200)
        let refused = try roll(server, inactive.id, grace: 0)
        #expect(refused.status == 409 && refused.detail == "\(inactive.id) is inactive; only an active key can be rolled")

        let expiring = try server.createKey(name: "short", extra: #", "expires_at": "2030-01-01T00:10:00Z""#)
        try advance(server, 600)
        #expect(try roll(server, expiring.id, grace: 0).detail == "\(expiring.id) is expired; only an active key can be rolled")

        #expect(try roll(server, "key_doesnotexist0000000", grace: 0).status == 404)
        #expect(try roll(server, rolledOnce.id, grace: 86_401).status == 422)
        #expect(try roll(server, rolledOnce.id, grace: -1).status == 422)
        // No body at all means grace 0 (no Content-Type needed).
        let other = try server.createKey(name: "bodyless")
        let bodyless = try server.request("POST", "/v1/keys/\(other.id)/roll", headers: server.authorization)
        #expect(bodyless.status == 201)
    }

    @Test func thePairSharesOneRateLimitWindow_andCountsOnceAgainstThePlan() throws {
        // Starter: 3 keys. Three exist; a roll in grace must not be refused as a fourth.
        let server = try InProcessServer(arguments: ["--fake-time", Self.start, "--plan", "starter"])
        let limited = try server.createKey(name: "limited", extra: #", "rate_limit_rpm": 2"#)
        _ = try server.createKey(name: "two")
        _ = try server.createKey(name: "three")
        #expect(try server.upload("/transcribe", key: limited.secret).status == 200)
        #expect(try server.upload("/transcribe", key: limited.secret).status == 200)

        let rolled = try roll(server, limited.id, grace: 3600)
        #expect(rolled.status == 201, "\(rolled.detail ?? "")")
        let successor = try #require(rolled.object["key"] as? String)
        // The window is the chain's: the new key's first request is the third in this minute.
        let third = try server.upload("/transcribe", key: successor)
        #expect(third.status == 429)
        #expect(try server.upload("/transcribe", key: limited.secret).status == 429)
        try advance(server, 61)
        #expect(try server.upload("/transcribe", key: successor).status == 200)

        let account = try server.get("/v1/account").object
        #expect(account["active_keys"] as? Int == 3)
        #expect(account["over_key_limit"] as? Int == 0)
        #expect(try server.post("/v1/keys", json: #"{"name": "fourth"}"#).status == 403)
    }

    @Test func aRollFromTheCLI_isSeenByTheRunningServer_onItsNextRequest() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let old = try server.createKey()
        #expect(try server.upload("/transcribe", key: old.secret).status == 200)
        let result = try runCLIInProcess(["keys", "roll", old.id, "--db", server.databasePath])
        #expect(result.status == 0, "\(result.stderr)")
        let secret = try #require(result.stdout.range(of: #"sk-theta-[0-9A-Za-z]{38}"#, options: .regularExpression)
            .map { String(result.stdout[$0]) })
        #expect(try server.upload("/transcribe", key: old.secret).status == 401)
        #expect(try server.upload("/transcribe", key: secret).status == 200)

        let bad = try runCLIInProcess(["keys", "roll", "key_nope", "--db", server.databasePath])
        #expect(bad.status == 1)
        #expect(try runCLIInProcess(["keys", "roll", old.id, "--grace", "2d", "--db", server.databasePath]).status == 64)
    }
}
