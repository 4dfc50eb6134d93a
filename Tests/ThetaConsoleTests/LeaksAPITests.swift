import Foundation
import KeyStore
import Testing
import TestSupport

/// `POST /v1/leaks`, the leak scanner's twin on the server: findings by status, deactivation once
/// per live key, and its own body cap. In process; `theta-console scan` is tested on the binary.
@Suite("Leak scanner: POST /v1/leaks", .onOwnThreads)
struct LeaksAPITests {
    /// One character changed: a key's look-alike, which fails its checksum.
    static func lookalike(of key: String) -> String {
        String(key.dropLast()) + (key.hasSuffix("A") ? "B" : "A")
    }

    /// A well-formed key made in another database, so unknown to the server's.
    static func keyFromAnotherDatabase(_ path: String) throws -> String {
        let store = try KeyStore(path: path)
        defer { try? store.close() }
        let spec = try KeySpec.validate(name: "elsewhere", expiresAt: nil, rateLimitRPM: nil, now: Date())
        return try store.createKey(spec, actor: "cli", remoteAddress: nil).secret
    }

    @Test func postLeaks_returnsTheFindings_withoutDeactivating() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let live = try server.createKey(name: "live")
        let gone = try server.createKey(name: "gone")
        #expect(try server.delete("/v1/keys/\(gone.id)").status == 200)
        let text = "a \(live.secret)\nb \(Self.lookalike(of: live.secret))\n\(gone.secret)"
        let response = try server.post("/v1/leaks", json: #"{"text": "\#(text.replacingOccurrences(of: "\n", with: "\\n"))"}"#)
        #expect(response.status == 200, "\(response.detail ?? "")")
        let findings = try #require(response.object["findings"] as? [[String: Any]])
        #expect(findings.count == 2)
        #expect(Set(findings[0].keys) == ["line", "column", "key_id", "status", "hint"])
        #expect(findings[0]["line"] as? Int == 1 && findings[0]["column"] as? Int == 3)
        #expect(findings[0]["key_id"] as? String == live.id && findings[0]["status"] as? String == "active")
        #expect(findings[1]["line"] as? Int == 3 && findings[1]["status"] as? String == "inactive")
        #expect(response.object["lookalikes"] as? Int == 1)
        #expect((response.object["deactivated"] as? [String]) == [])
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(!body.contains(live.secret) && !body.contains(gone.secret))
        #expect(try server.upload("/transcribe", key: live.secret).status == 200)
    }

    @Test func postLeaks_deactivate_deactivatesEachLiveKeyOnce_andAuditsIt() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let first = try server.createKey(name: "first")
        let second = try server.createKey(name: "second")
        let foreign = try Self.keyFromAnotherDatabase(server.directory.file("other.sqlite3"))
        let text = "\(first.secret) \(second.secret) \(first.secret) \(foreign)"
        let response = try server.post("/v1/leaks", json: #"{"text": "\#(text)", "deactivate": true}"#)
        #expect(response.status == 200, "\(response.detail ?? "")")
        let findings = try #require(response.object["findings"] as? [[String: Any]])
        #expect(findings.map { $0["status"] as? String } == ["active", "active", "active", "unknown"])
        #expect(response.object["deactivated"] as? [String] == [first.id, second.id])
        for key in [first, second] {
            #expect(try server.upload("/transcribe", key: key.secret).status == 401)
            #expect(try server.get("/v1/keys/\(key.id)").object["status"] as? String == "inactive")
        }
        let events = (try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? [])
            .filter { $0["action"] as? String == "key.deactivated" }
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0["detail"] as? String == "leak_scan: POST /v1/leaks" && $0["actor"] as? String == "api" })
    }

    @Test func postLeaks_refusesBadRequests() throws {
        let server = try InProcessServer()
        #expect(try server.request("POST", "/v1/leaks", json: #"{"text": ""}"#).status == 401)
        let unknown = try server.post("/v1/leaks", json: #"{"text": "", "scan": true}"#)
        #expect(unknown.status == 422 && unknown.detail == #"unknown field "scan""#)
        #expect(try server.post("/v1/leaks", json: "{}").detail == "text is required")
        #expect(try server.post("/v1/leaks", json: #"{"text": 1}"#).detail == "text must be a string")
        #expect(try server.post("/v1/leaks", json: #"{"text": "", "deactivate": "yes"}"#).detail == "deactivate must be a boolean")
        #expect(try server.post("/v1/leaks", json: #"{"text": "#).status == 400)
        // Its own cap: 1 MiB, where the other admin routes stop at 64 KiB.
        let big = String(repeating: "lorem ipsum ", count: 20_000)
        #expect(try server.post("/v1/leaks", json: #"{"text": "\#(big)"}"#).status == 200)
        for (path, length, status) in [("/v1/keys", 64 * 1024 + 1, 413), ("/v1/leaks", 1024 * 1024 + 1, 413)] {
            // A declared length over the cap is answered from the head, before any of the body.
            let client = try server.connect()
            try client.send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\n"
                            + "Content-Type: application/json\r\nContent-Length: \(length)\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == status, "\(path)")
            #expect(response.detail == "request body too large (limit \(length - 1) bytes)")
        }
    }
}
