import Foundation
import Glibc
import Testing
import TestSupport

/// The admin token through the binary: a generated one printed once on stdout, one from the
/// environment, one from a file and never in argv, and a rotation by the CLI that the running
/// server takes at once (refusals run in process: ThetaConsoleTests/AdminAuthTests).
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
        let file = try directory.adminTokenFile(mode: 0o600)
        let server = try ServerProcess(arguments: ["--admin-token-file", file], adminToken: nil, directory: directory)
        #expect(!server.stdout.contains("theta-admin-"))
        let ok = try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer from-a-file-0123456789"])
        #expect(ok.status == 200)
        let commandLine = (try? String(contentsOfFile: "/proc/\(server.pid)/cmdline", encoding: .utf8)) ?? ""
        #expect(!commandLine.contains("from-a-file"))
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
