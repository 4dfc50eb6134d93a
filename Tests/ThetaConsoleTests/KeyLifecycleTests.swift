import Foundation
import Testing
import TestSupport

@Suite("Admin API: key lifecycle in process", .onOwnThreads)
struct KeyLifecycleTests {
    @Test func createListGetDeactivate_andListAgain() throws {
        let server = try InProcessServer()
        let created = try server.post("/v1/keys", json: #"{"name": "ci bot", "rate_limit_rpm": 42, "expires_at": "2099-12-31"}"#)
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? String)
        let secret = try #require(created.object["key"] as? String)
        #expect(id.hasPrefix("key_"))
        #expect(secret.hasPrefix("sk-theta-") && secret.count == 47)
        #expect(created.object["status"] as? String == "active")
        #expect(created.object["rate_limit_rpm"] as? Int == 42)
        #expect(created.object["expires_at"] as? String == "2100-01-01T00:00:00Z")
        #expect(created.header("Location") == "/v1/keys/\(id)")
        #expect(created.header("Cache-Control") == "no-store")
        let hint = try #require(created.object["hint"] as? String)
        #expect(hint == "sk-theta-" + secret.dropFirst(9).prefix(4) + "…" + secret.suffix(4))

        let list = try server.get("/v1/keys")
        #expect(list.status == 200)
        let data = try #require(list.object["data"] as? [[String: Any]])
        #expect(data.count == 1)
        #expect(data[0]["id"] as? String == id)
        #expect(data[0]["key"] == nil)
        #expect(list.object["has_more"] as? Bool == false)

        let one = try server.get("/v1/keys/\(id)")
        #expect(one.status == 200 && one.object["name"] as? String == "ci bot")

        let deleted = try server.delete("/v1/keys/\(id)")
        #expect(deleted.status == 200)
        #expect(deleted.object["status"] as? String == "inactive")
        #expect(deleted.object["deactivated_at"] is String)

        // Idempotent: a second delete answers the same record.
        let again = try server.delete("/v1/keys/\(id)")
        #expect(again.status == 200 && again.object["status"] as? String == "inactive")
        #expect(again.object["deactivated_at"] as? String == deleted.object["deactivated_at"] as? String)

        let after = try server.get("/v1/keys?status=inactive")
        #expect((after.object["data"] as? [[String: Any]])?.first?["id"] as? String == id)
        let active = try server.get("/v1/keys?status=active")
        #expect((active.object["data"] as? [[String: Any]])?.isEmpty == true)

        let events = try server.get("/v1/audit-events")
        let actions = (events.object["data"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions == ["key.deactivated", "key.created"])
        let first = (events.object["data"] as? [[String: Any]])?.first
        #expect(first?["key_id"] as? String == id)
        #expect(first?["remote_addr"] as? String == "127.0.0.1")
    }

    @Test func unknownKey_gets404() throws {
        let server = try InProcessServer()
        #expect(try server.get("/v1/keys/key_doesnotexist0000000").status == 404)
        #expect(try server.delete("/v1/keys/key_doesnotexist0000000").status == 404)
    }

    @Test func listing_pagesNewestFirst_withCursor() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        var ids: [String] = []
        for i in 0..<5 { ids.append(try server.createKey(name: "k\(i)").id) }
        var seen: [String] = []
        var path = "/v1/keys?limit=2"
        for _ in 0..<5 {
            let page = try server.get(path)
            #expect(page.status == 200)
            seen += (page.object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            guard page.object["has_more"] as? Bool == true, let cursor = page.object["next_cursor"] as? String else { break }
            path = "/v1/keys?limit=2&after=\(cursor)"
        }
        #expect(seen == ids.reversed())
    }

    @Test func listQuery_isValidated() throws {
        let server = try InProcessServer()
        #expect(try server.get("/v1/keys?limit=0").status == 422)
        #expect(try server.get("/v1/keys?limit=101").status == 422)
        #expect(try server.get("/v1/keys?limit=abc").status == 422)
        #expect(try server.get("/v1/keys?status=deleted").status == 422)
        #expect(try server.get("/v1/keys?after=key_nope").status == 422)
        #expect(try server.get("/v1/keys?limit=100").status == 200)
    }

    @Test func healthz_needsNoAuth_andOpenAPIIsServed() throws {
        let server = try InProcessServer()
        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200 && health.object["status"] as? String == "ok")
        let spec = try server.request("GET", "/openapi.yaml")
        #expect(spec.status == 200)
        #expect(spec.text.hasPrefix("openapi: 3.1"))
        #expect(spec.header("Content-Type") == "application/yaml; charset=utf-8")
    }
}
