import Foundation
import Testing
import TestSupport

/// `expires_in_seconds` and `GET /v1/keys?expiring_within=…` in process, on a clock
/// that moves only through `POST /v1/clock`.
@Suite("Expiry warnings: expires_in_seconds and expiring_within, to the second", .onOwnThreads)
struct ExpiryWarningTests {
    /// 2030-01-01T00:00:00Z.
    static let start = "2030-01-01T00:00:00Z"

    static func fakeTimeServer() throws -> InProcessServer {
        try InProcessServer(arguments: ["--fake-time", start, "--plan", "pro"])
    }

    @Test func expiresInSeconds_countsDownToZero_andIsNullWithoutExpiryOrWhenInactive() throws {
        let server = try Self.fakeTimeServer()
        let created = try server.post("/v1/keys", json: #"{"name": "trial", "expires_at": "2030-01-01T00:01:40Z"}"#)
        #expect(created.status == 201)
        #expect(created.object["expires_in_seconds"] as? Int == 100)
        let id = try #require(created.object["id"] as? String)
        let forever = try server.createKey(name: "forever")
        let record = { (id: String) in try server.get("/v1/keys/\(id)").object }
        #expect(try record(forever.id)["expires_in_seconds"] is NSNull, "present, and null")

        // Half a second before expires_at the key works, with a whole second left; at expires_at, 0.
        try advance(server, "99.5")
        #expect(try record(id)["status"] as? String == "active")
        #expect(try record(id)["expires_in_seconds"] as? Int == 1)
        try advance(server, "0.5")
        #expect(try record(id)["status"] as? String == "expired")
        #expect(try record(id)["expires_in_seconds"] as? Int == 0)
        try advance(server, "86400")
        #expect(try record(id)["expires_in_seconds"] as? Int == 0, "never negative")

        // Deactivated: null, though its expiry is still ahead.
        let gone = try server.createKey(name: "gone", extra: #", "expires_at": "2030-01-05T00:00:00Z""#)
        #expect(try record(gone.id)["expires_in_seconds"] as? Int == 3 * 86_400 - 100)
        let deleted = try server.delete("/v1/keys/\(gone.id)")
        #expect(deleted.object["expires_in_seconds"] is NSNull)
        #expect(try record(gone.id)["expires_in_seconds"] is NSNull)
        let listed = try #require(try server.get("/v1/keys").object["data"] as? [[String: Any]])
        #expect(listed.allSatisfy { $0.keys.contains("expires_in_seconds") })
    }

    @Test func expiringWithin_includesAKeyExpiringExactlyAtTheBoundary_toTheSecond() throws {
        let server = try Self.fakeTimeServer()
        _ = try server.createKey(name: "at", extra: #", "expires_at": "2030-01-08T00:00:00Z""#)    // exactly 7 days
        _ = try server.createKey(name: "past", extra: #", "expires_at": "2030-01-08T00:00:01Z""#)  // 7 days and 1 s
        _ = try server.createKey(name: "forever")

        #expect(try names(server, "expiring_within=7d") == ["at"])
        for same in ["168h", "10080m", "604800s", "7d&status=active", "7d&status="] {
            #expect(try names(server, "expiring_within=\(same)") == ["at"], "\(same)")
        }
        #expect(try names(server, "expiring_within=604799s") == [])
        let at = try #require(try server.get("/v1/keys?expiring_within=7d").object["data"] as? [[String: Any]]).first
        #expect(at?["expires_in_seconds"] as? Int == 604_800)

        try advance(server, "1")
        #expect(try names(server, "expiring_within=7d") == ["past", "at"])
        try advance(server, "604798")  // "at" has 1 s left, "past" 2 s
        #expect(try names(server, "expiring_within=1s") == ["at"])
        #expect(try names(server, "expiring_within=2s") == ["past", "at"])
        try advance(server, "1")       // "at" has expired
        #expect(try names(server, "expiring_within=1s") == ["past"])
        #expect(try names(server, "status=expired") == ["at"])
    }

    @Test func expiringWithin_leavesOutExpiredInactiveAndNeverExpiringKeys() throws {
        let server = try Self.fakeTimeServer()
        _ = try server.createKey(name: "expired", extra: #", "expires_at": "2030-01-01T00:00:10Z""#)
        let gone = try server.createKey(name: "deactivated", extra: #", "expires_at": "2030-01-02T00:00:00Z""#)
        #expect(try server.delete("/v1/keys/\(gone.id)").status == 200)
        _ = try server.createKey(name: "forever")
        _ = try server.createKey(name: "soon", extra: #", "expires_at": "2030-01-03T00:00:00Z""#)
        try advance(server, "10")
        #expect(try names(server, "expiring_within=3650d") == ["soon"])
        #expect(try names(server, "") == ["soon", "forever", "deactivated", "expired"])
    }

    @Test func expiringWithin_countsARolledKeyOnce_throughItsSuccessor() throws {
        let server = try Self.fakeTimeServer()
        let old = try server.createKey(name: "rolled", extra: #", "expires_at": "2030-01-04T00:00:00Z""#)
        let rolled = try server.post("/v1/keys/\(old.id)/roll", json: #"{"grace_seconds": 3600}"#)
        #expect(rolled.status == 201, "\(rolled.text)")
        let successor = try #require(rolled.object["id"] as? String)
        #expect(rolled.object["expires_in_seconds"] as? Int == 3 * 86_400, "the successor has the same expiry")
        let listed = { try (server.get("/v1/keys?expiring_within=7d").object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }

        // In the grace the old key still works and shows its time left; the warning lists the successor only.
        #expect(try server.get("/v1/keys/\(old.id)").object["expires_in_seconds"] as? Int == 3 * 86_400)
        #expect(try listed() == [successor])
        try advance(server, "3600")
        let ended = try server.get("/v1/keys/\(old.id)").object
        #expect(ended["status"] as? String == "inactive" && ended["expires_in_seconds"] is NSNull)
        #expect(try listed() == [successor])
    }

    @Test func expiringWithin_pagesWithAfterAndLimit_newestFirst() throws {
        let server = try Self.fakeTimeServer()
        var expiring: [String] = []
        for number in 1...5 {
            expiring.append(try server.createKey(name: "soon \(number)", extra: #", "expires_at": "2030-01-02T00:00:00Z""#).id)
            _ = try server.createKey(name: "forever \(number)")
        }
        var seen: [String] = []
        var path = "/v1/keys?expiring_within=7d&limit=2"
        for _ in 0..<5 {
            let page = try server.get(path)
            #expect(page.status == 200)
            let ids = (page.object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.count <= 2)
            seen += ids
            guard page.object["has_more"] as? Bool == true, let cursor = page.object["next_cursor"] as? String else { break }
            path = "/v1/keys?expiring_within=7d&limit=2&after=\(cursor)"
        }
        #expect(seen == expiring.reversed())
    }

    @Test func expiringWithin_badValueOrAnotherStatus_gets422NamingTheParameter() throws {
        let server = try Self.fakeTimeServer()
        _ = try server.createKey(name: "forever")
        let rule = "expiring_within must be a whole number followed by s, m, h or d (e.g. 7d), from 1s to 3650d"
        for bad in ["7", "d", "0d", "3651d", "87601h", "7w", "7D", "1.5d", "-1d", "%2B7d", "7%20d", "99999999999999999999d"] {
            let response = try server.get("/v1/keys?expiring_within=\(bad)")
            #expect(response.status == 422, "\(bad)")
            #expect(response.detail == rule, "\(bad)")
        }
        for status in ["inactive", "expired"] {
            let response = try server.get("/v1/keys?status=\(status)&expiring_within=7d")
            #expect(response.status == 422)
            #expect(response.detail == "expiring_within lists active keys only: leave out status, or use status=active")
        }
        #expect(try server.get("/v1/keys?expiring_within=3650d").status == 200)
        #expect(try names(server, "expiring_within=") == ["forever"], "empty means no filter, as for status")
    }

    // MARK: - Helpers

    private func advance(_ server: InProcessServer, _ seconds: String) throws {
        let moved = try server.post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#)
        #expect(moved.status == 200, "moving the clock: \(moved.status) \(moved.text)")
    }

    private func names(_ server: InProcessServer, _ query: String) throws -> [String] {
        let response = try server.get("/v1/keys?\(query)")
        #expect(response.status == 200, "\(query): \(response.status) \(response.text)")
        return (response.object["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }
}
