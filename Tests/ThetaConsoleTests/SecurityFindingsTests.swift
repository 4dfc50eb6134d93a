import Foundation
import Glibc
import Testing
import TestSupport

/// The security review's findings, in process: file modes whatever the path's form, no creation
/// through a link, the Host allowlist, cross-site requests and the security headers (names with
/// invisible characters run through the binary and its CLI: EndToEndTests/SecurityFindingsTests).
@Suite("Security: files, hosts, origins, names and headers", .onOwnThreads)
struct SecurityFindingsTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    /// Every response carries the security headers, whatever its type: an SVG from --public-dir,
    /// JSON, a 404, a speech answer.
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

    /// A page on another site can make a browser send requests with no-cors: to /v1/ they get 403
    /// before any token check, so they can neither guess the token nor write audit rows.
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

    /// The database, its -wal and its -shm are 0600 for a plain path and for a `file:` URI, with the
    /// umask the test runner has (usually 022): in process, `main`'s umask 077 is not there to help.
    @Test(arguments: [false, true])
    func databaseFiles_areOwnerOnly_whateverThePathsForm(uri: Bool) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("theta db.sqlite3")
        let location = uri ? "file:" + path.replacingOccurrences(of: " ", with: "%20") + "?cache=private" : path
        let server = try InProcessServer(databasePath: location)
        _ = try server.createKey()
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(Self.mode(file) == 0o600, "\(file): mode \(Self.mode(file).map { String($0, radix: 8) } ?? "missing")")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file(location)), "no file named after the URI")
    }

    /// A --db that is a link to nothing is refused: theta-console never creates its database
    /// through a link. The link's target is not created.
    @Test func databasePath_thatIsALinkToNothing_isRefused_andNothingIsCreated() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("elsewhere.sqlite3")
        let link = directory.file("theta.sqlite3")
        #expect(symlink(target, link) == 0)
        for location in [link, "file:" + link] {
            let refused = try runServeInProcess(["serve", "--port", "0", "--db", location, "--admin-token", "test-admin-token-0123456789"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("\(link) is a symbolic link to a file that does not exist"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: target))
            let cli = try runCLIInProcess(["keys", "list", "--db", location])
            #expect(cli.status == 1 && !FileManager.default.fileExists(atPath: target))
        }
    }

    /// DNS rebinding: on a loopback address, a Host the user did not give is refused on every
    /// route (the console, the document, the admin API even with the token, the speech API).
    @Test func hostsOtherThanLocalNames_get403_onEveryRoute_unlessAllowed() throws {
        let server = try InProcessServer(arguments: ["--allowed-host", "theta.test", "--allowed-host", ".corp.test"])
        let key = try server.createKey()
        for path in ["/", "/openapi.yaml", "/v1/keys", "/healthz"] {
            let refused = try server.request(path, host: "evil.example:\(server.port)", headers: server.authorization)
            #expect(refused.status == 403, "\(path)")
            #expect(refused.detail == "Host \"evil.example\" is not allowed: on a loopback address theta-console answers only "
                        + "localhost, *.localhost, IP addresses and its --host; to serve this name, start it with --allowed-host evil.example")
        }
        let upload = try server.request("/transcribe", method: "POST", host: "rebound.example", headers: ["x-api-key": key.secret], body: "{}")
        #expect(upload.status == 403)
        for host in ["localhost", "localhost:\(server.port)", "app.localhost", "127.0.0.1:\(server.port)", "[::1]:\(server.port)",
                     "10.1.2.3", "THETA.test", "theta.test:\(server.port)", "a.corp.test", "corp.test"] {
            #expect(try server.request("/v1/keys", host: host, headers: server.authorization).status == 200, "\(host)")
        }
        #expect(try server.request("/v1/keys", host: "corp.test.evil", headers: server.authorization).status == 403)
        let bad = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--allowed-host", "a.test:8080"])
        #expect(bad.status == 64 && bad.stderr.contains("--allowed-host must be a host name"))
    }
}
