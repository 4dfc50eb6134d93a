import Foundation
import Glibc
import Testing
import TestSupport

/// The security review's findings, each driven through the binary: file modes whatever the path's
/// form, no creation through a link.
@Suite("Security: files, hosts, origins, names and headers", .onOwnThreads)
struct SecurityFindingsTests {
    /// The database, its -wal and its -shm are 0600 for a plain path and for a `file:` URI, with the
    /// umask the test runner has (usually 022).
    @Test func securityHeaders_areOnEveryResponse_whateverItsType() throws {
        let directory = TemporaryDirectory()
        let root = directory.file("public")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try #"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.write(toFile: root + "/logo.svg", atomically: true, encoding: .utf8)
        let server = try InProcessServer(arguments: ["--public-dir", root])
        let key = try server.createKey()
        let responses = [
            try server.request("GET", "/logo.svg"),
            try server.request("GET", "/healthz"),
            try server.request("GET", "/openapi.yaml"),
            try server.request("GET", "/nothing-here"),
            try server.get("/v1/keys"),
            try server.upload("/transcribe", key: key.secret),
        ]
        // A request the parser refuses (no Host on HTTP/1.1) is answered with them too.
        let unparsable = try server.connect()
        try unparsable.send("GET / HTTP/1.1\r\n\r\n")
        let refused = try unparsable.readResponse()
        #expect(refused.status == 400)
        #expect(responses[0].header("Content-Type")?.hasPrefix("image/svg+xml") == true)
        for response in responses + [refused] {
            #expect(response.header("Content-Security-Policy") == "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                    "\(response.status) \(response.header("Content-Type") ?? "")")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("X-Frame-Options") == "DENY")
            #expect(response.header("Referrer-Policy") == "no-referrer")
        }
    }

    /// DNS rebinding: on a loopback address, a Host the user did not give is refused on every
    /// route (the console, the document, the admin API even with the token, the speech API).
    @Test func crossSiteRequests_toTheAdminAPI_get403_beforeTheToken_andAreNotAudited() throws {
        let server = try InProcessServer()
        let own = "localhost:\(server.port)"
        let body = #"{"name": "from a page"}"#
        let attempts: [[String: String]] = [
            ["Origin": "http://evil.example", "Authorization": "Bearer wrong-token-0123456789"],
            ["Origin": "null", "Authorization": "Bearer wrong-token-0123456789"],
            ["Sec-Fetch-Site": "cross-site", "Authorization": "Bearer wrong-token-0123456789"],
            ["Origin": "http://localhost:1", "Authorization": "Bearer \(server.adminToken!)"],  // another port: another origin
        ]
        for headers in attempts {
            let refused = try server.request("/v1/keys", method: "POST", host: own, headers: headers, body: body)
            #expect(refused.status == 403, "\(headers)")
        }
        #expect(try server.request("/v1/keys", method: "OPTIONS", host: own, headers: ["Origin": "http://evil.example"]).status == 403)
        // The console's own origin, and clients that send no Origin, are served.
        let same = try server.request("/v1/keys", method: "POST", host: own,
                                    headers: ["Origin": "http://\(own)", "Sec-Fetch-Site": "same-origin",
                                              "Authorization": "Bearer \(server.adminToken!)"], body: body)
        #expect(same.status == 201)
        let audit = try server.get("/v1/audit-events?limit=100")
        #expect(audit.status == 200)
        #expect(!audit.text.contains("admin.auth_failed"), "no refused request reached the token check")
        #expect((audit.object["data"] as? [[String: Any]])?.filter { $0["action"] as? String == "key.created" }.count == 1)
    }
}
