import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Admin API: Bearer authentication (the binary)", .keepsEvidence)
struct AdminAuthTests {
    @Test func generatedToken_isPrintedOnce_andWorks() throws {
        let directory = TemporaryDirectory()
        let first = try ServerProcess(adminToken: nil, directory: directory)
        let token = try #require(first.adminToken)
        #expect(token.hasPrefix("theta-admin-"))
        #expect(try first.get("/v1/keys").status == 200)
        #expect(first.stop() == 0)

        // A restart on the same database prints no token, and the old one still works.
        let second = try ServerProcess(databasePath: first.databasePath, adminToken: nil, directory: directory)
        #expect(!second.stdout.contains("theta-admin-"))
        let response = try RawHTTPClient.request(port: second.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer \(token)"])
        #expect(response.status == 200)
    }

    @Test func environmentToken_isUsed() throws {
        let server = try ServerProcess(adminToken: nil, environment: ["THETA_CONSOLE_ADMIN_TOKEN": "from-the-environment-123"])
        #expect(!server.stdout.contains("theta-admin-"))
        let ok = try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer from-the-environment-123"])
        #expect(ok.status == 200)
    }

    @Test func tokenFile_withOwnerOnlyMode_isUsed_andNeverInArgv() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("admin-token")
        try "from-a-file-0123456789\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let server = try ServerProcess(arguments: ["--admin-token-file", file], adminToken: nil, directory: directory)
        #expect(!server.stdout.contains("theta-admin-"))
        let ok = try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer from-a-file-0123456789"])
        #expect(ok.status == 200)
        let commandLine = (try? String(contentsOfFile: "/proc/\(server.pid)/cmdline", encoding: .utf8)) ?? ""
        #expect(!commandLine.contains("from-a-file"))
    }

    @Test func tokenFile_readableByOthers_orGivenWithAToken_refusesToStart() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("admin-token")
        try "from-a-file-0123456789\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let open = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file])
        #expect(open.status == 64)
        #expect(open.stderr.contains("readable by others (mode 644); chmod 600 it"))
        #expect(!open.stderr.contains("from-a-file"))
        chmod(file, 0o600)
        let both = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file,
                               "--admin-token", "another-token-0123456789"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("give --admin-token or --admin-token-file, not both"))
        let missing = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", directory.file("none")])
        #expect(missing.status == 64)
    }

    /// The file is opened without following a link, and judged by that descriptor (owner and mode):
    /// a link to a good file, or a good file someone else owns, is refused, and the secret is not shown.
    @Test func tokenFile_thatIsALink_orBelongsToAnotherUser_refusesToStart() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("admin-token")
        try "from-a-file-0123456789\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let link = directory.file("link-to-token")
        #expect(symlink(file, link) == 0)
        let linked = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", link])
        #expect(linked.status == 64)
        #expect(linked.stderr.contains("is a symbolic link; give the path of the file itself"), "\(linked.stderr)")
        #expect(!linked.stderr.contains("from-a-file"))
        let seeded = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", link])
        #expect(seeded.status == 64 && seeded.stderr.contains("--seed-keys: \(link) is a symbolic link"), "\(seeded.stderr)")

        // Another owner: only root can give a file away, and CI runs as root.
        if geteuid() == 0 {
            #expect(chown(file, 65534, 65534) == 0)
            let foreign = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--admin-token-file", file])
            #expect(foreign.status == 64)
            #expect(foreign.stderr.contains("belongs to user 65534, not to the user running theta-console (0); chown it"),
                    "\(foreign.stderr)")
            #expect(!foreign.stderr.contains("from-a-file"))
        }
    }

    @Test func rotatedToken_takesEffectInTheRunningServer() throws {
        let server = try ServerProcess(adminToken: nil)
        let old = try #require(server.adminToken)
        let rotated = try runCLI(["admin-token", "rotate", "--db", server.databasePath])
        #expect(rotated.status == 0)
        let new = try #require(rotated.stdout.range(of: #"theta-admin-[A-Za-z0-9]+"#, options: .regularExpression).map { String(rotated.stdout[$0]) })
        #expect(new != old)
        #expect(try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer \(old)"]).status == 401)
        #expect(try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer \(new)"]).status == 200)
    }

    /// A server with a fixed token (flag, file or environment) would never see a rotation: the CLI
    /// refuses it, says what to do, writes no audit event, and the fixed token keeps working. A
    /// later start without a fixed token lets rotation work again.
    @Test func rotation_whileTheServerUsesAFixedToken_isRefused_andNotAudited() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(directory: directory, environment: [:])
        let token = try #require(server.adminToken)
        let refused = try runCLI(["admin-token", "rotate", "--db", server.databasePath])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not rotated: the server on this database takes its admin token from --admin-token"),
                "\(refused.stderr)")
        #expect(!refused.stdout.contains("theta-admin-"))
        #expect(try server.get("/v1/keys").status == 200, "the fixed token still works")
        let audit = try server.get("/v1/audit-events?limit=100").text
        #expect(!audit.contains("admin.token_rotated"))
        #expect(server.stop() == 0)

        // The same database served with the stored token: rotation works again.
        let next = try ServerProcess(databasePath: server.databasePath, adminToken: nil, directory: directory)
        #expect(next.adminToken != token)
        let rotated = try runCLI(["admin-token", "rotate", "--db", server.databasePath])
        #expect(rotated.status == 0, "\(rotated.stderr)")
    }
}
