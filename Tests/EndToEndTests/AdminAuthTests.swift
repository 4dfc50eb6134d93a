import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Admin API: Bearer authentication", .keepsEvidence)
struct AdminAuthTests {
    @Test(arguments: [nil, "Bearer wrong-token-0123456789", "Basic dGVzdDp0ZXN0", "Bearer", "bearer "])
    func missingOrWrongToken_gets401WithChallenge(authorization: String?) throws {
        let server = try ServerProcess()
        let headers = authorization.map { ["Authorization": $0] } ?? [:]
        for (method, path) in [("GET", "/v1/keys"), ("GET", "/v1/audit-events"), ("DELETE", "/v1/keys/key_x")] {
            let response = try RawHTTPClient.request(port: server.port, method, path, headers: headers)
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == "Bearer")
            #expect(response.detail == "missing or invalid admin token")
        }
        let post = try RawHTTPClient.request(port: server.port, "POST", "/v1/keys", headers: headers, json: #"{"name":"x"}"#)
        #expect(post.status == 401)
        #expect(try server.get("/v1/keys").object["data"] as? [Any] != nil)
        #expect((try server.get("/v1/keys").object["data"] as? [Any])?.isEmpty == true)
    }

    @Test func authFailures_areAudited_withRemoteAddress() throws {
        let server = try ServerProcess()
        _ = try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer nope-nope-nope-nope"])
        let events = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(events.first?["action"] as? String == "admin.auth_failed")
        #expect(events.first?["remote_addr"] as? String == "127.0.0.1")
        // The presented token is not recorded.
        #expect(!(try server.get("/v1/audit-events").text.contains("nope-nope")))
    }

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
}
