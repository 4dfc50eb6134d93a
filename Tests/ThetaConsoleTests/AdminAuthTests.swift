import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Admin API: Bearer authentication", .onOwnThreads)
struct AdminAuthTests {
    @Test(arguments: [nil, "Bearer wrong-token-0123456789", "Basic dGVzdDp0ZXN0", "Bearer", "bearer "])
    func missingOrWrongToken_gets401WithChallenge(authorization: String?) throws {
        let server = try InProcessServer()
        let headers = authorization.map { ["Authorization": $0] } ?? [:]
        for (method, path) in [("GET", "/v1/keys"), ("GET", "/v1/audit-events"), ("DELETE", "/v1/keys/key_x")] {
            let response = try server.request(method, path, headers: headers)
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == "Bearer")
            #expect(response.detail == "missing or invalid admin token")
        }
        let post = try server.request("POST", "/v1/keys", headers: headers, json: #"{"name":"x"}"#)
        #expect(post.status == 401)
        #expect(try server.get("/v1/keys").object["data"] as? [Any] != nil)
        #expect((try server.get("/v1/keys").object["data"] as? [Any])?.isEmpty == true)
    }

    @Test func authFailures_areAudited_withRemoteAddress() throws {
        let server = try InProcessServer()
        _ = try server.request("GET", "/v1/keys", headers: ["Authorization": "Bearer nope-nope-nope-nope"])
        let events = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(events.first?["action"] as? String == "admin.auth_failed")
        #expect(events.first?["remote_addr"] as? String == "127.0.0.1")
        // The presented token is not recorded.
        #expect(!(try server.get("/v1/audit-events").text.contains("nope-nope")))
    }
}
