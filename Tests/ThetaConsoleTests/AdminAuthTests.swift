import Foundation
import Glibc
import Testing
import TestSupport

/// The admin API's Bearer token in process: refusals and their audit, a token file refused at
/// start-up (`serve`'s start-up in process), and a rotation refused while the server has a fixed
/// token. A generated token printed once, the environment's token, a token file kept out of argv,
/// and a rotation seen by a running server are tested on the binary (EndToEndTests/AdminAuthTests).
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

    @Test func tokenFile_readableByOthers_orGivenWithAToken_refusesToStart() throws {
        let directory = TemporaryDirectory()
        let file = try directory.adminTokenFile(mode: 0o644)
        let open = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file])
        #expect(open.status == 64)
        #expect(open.stderr.contains("readable by others (mode 644); chmod 600 it"))
        #expect(!open.stderr.contains("from-a-file"))
        chmod(file, 0o600)
        let both = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file,
                                          "--admin-token", "another-token-0123456789"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give --admin-token or --admin-token-file, not both"))
        let missing = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", directory.file("none")])
        #expect(missing.status == 64)
    }

    /// The file is opened without following a link, and judged by that descriptor (owner and mode):
    /// a link to a good file, or a good file someone else owns, is refused, and the secret is not shown.
    @Test func tokenFile_thatIsALink_orBelongsToAnotherUser_refusesToStart() throws {
        let directory = TemporaryDirectory()
        let file = try directory.adminTokenFile(mode: 0o600)
        let link = directory.file("link-to-token")
        #expect(symlink(file, link) == 0)
        let linked = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", link])
        #expect(linked.status == 64)
        #expect(linked.stderr.contains("is a symbolic link; give the path of the file itself"), "\(linked.stderr)")
        #expect(!linked.stderr.contains("from-a-file"))
        let seeded = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", link])
        #expect(seeded.status == 64 && seeded.stderr.contains("--seed-keys: \(link) is a symbolic link"), "\(seeded.stderr)")

        // Another owner: only root can give a file away, and CI runs as root.
        if geteuid() == 0 {
            #expect(chown(file, 65534, 65534) == 0)
            let foreign = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file])
            #expect(foreign.status == 64)
            #expect(foreign.stderr.contains("belongs to user 65534, not to the user running theta-console (0); chown it"),
                    "\(foreign.stderr)")
            #expect(!foreign.stderr.contains("from-a-file"))
        }
    }

    /// A server with a fixed token (flag, file or environment) would never see a rotation: the CLI
    /// refuses it, says what to do, writes no audit event, and the fixed token keeps working. A
    /// later start without a fixed token lets rotation work again.
    @Test func rotation_whileTheServerUsesAFixedToken_isRefused_andNotAudited() throws {
        let server = try InProcessServer()
        let token = try #require(server.adminToken)
        let refused = try runCLIInProcess(["admin-token", "rotate", "--db", server.databasePath])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not rotated: the server on this database takes its admin token from --admin-token"),
                "\(refused.stderr)")
        #expect(!refused.stdout.contains("theta-admin-"))
        #expect(try server.get("/v1/keys").status == 200, "the fixed token still works")
        let audit = try server.get("/v1/audit-events?limit=100").text
        #expect(!audit.contains("admin.token_rotated"))
        #expect(server.stop() == 0)

        // The same database served with the stored token: rotation works again.
        let next = try InProcessServer(databasePath: server.databasePath, adminToken: nil)
        #expect(next.adminToken != token)
        let rotated = try runCLIInProcess(["admin-token", "rotate", "--db", server.databasePath])
        #expect(rotated.status == 0, "\(rotated.stderr)")
    }
}
