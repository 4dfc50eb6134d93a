import Foundation
import Testing
import TestSupport

/// A full key may appear in exactly one place: the response (or CLI output) that created it.
@Suite("Secrets never leak")
struct SecretAbsenceTests {
    @Test func fullKey_isAbsentFromDatabaseLogsListingsAuditAndErrors() throws {
        let server = try ServerProcess(arguments: ["--log-level", "trace", "--plan", "pro"])
        var secrets: [String] = []
        for i in 0..<3 { secrets.append(try server.createKey(name: "api \(i)").secret) }
        let cli = try runCLI(["keys", "create", "--name", "from cli", "--db", server.databasePath])
        #expect(cli.status == 0)
        let cliSecret = try #require(cli.stdout.range(of: #"sk-theta-[A-Za-z0-9]{38}"#, options: .regularExpression).map { String(cli.stdout[$0]) })
        secrets.append(cliSecret)
        #expect(!cli.stderr.contains(cliSecret))

        // Use each secret where it does not belong, so error paths see it too.
        for secret in secrets {
            _ = try RawHTTPClient.request(port: server.port, "GET", "/v1/keys", headers: ["Authorization": "Bearer \(secret)"])
            _ = try server.get("/v1/keys/\(secret)")
            _ = try server.post("/v1/keys", json: #"{"name": 1, "expires_at": "\#(secret)"}"#)
            _ = try server.get("/v1/keys?after=\(secret)")
            _ = try server.get("/\(secret)")
        }
        let id = (try server.get("/v1/keys").object["data"] as? [[String: Any]])?.first?["id"] as? String ?? ""
        _ = try server.delete("/v1/keys/\(id)")

        var haystacks: [(String, [UInt8])] = []
        haystacks.append(("list", try server.get("/v1/keys?limit=100").body))
        haystacks.append(("audit", try server.get("/v1/audit-events?limit=100").body))
        haystacks.append(("get", try server.get("/v1/keys/\(id)").body))
        haystacks.append(("list cli", Array(try runCLI(["keys", "list", "--db", server.databasePath, "--json"]).stdout.utf8)))
        haystacks.append(("show cli", Array(try runCLI(["keys", "show", id, "--db", server.databasePath]).stdout.utf8)))
        for error in [try server.get("/v1/keys/\(secrets[0])"), try server.post("/v1/keys", json: #"{"name": "\#(secrets[0])", "x": 1}"#)] {
            haystacks.append(("error", error.body))
        }
        #expect(server.stop() == 0)
        haystacks.append(("stderr log", Array(server.stderr.utf8)))
        haystacks.append(("stdout", Array(server.stdout.utf8)))
        for suffix in ["", "-wal", "-shm"] {
            let path = server.databasePath + suffix
            if let data = FileManager.default.contents(atPath: path) { haystacks.append((path, Array(data))) }
        }
        #expect(haystacks.contains { $0.0 == server.databasePath })

        for secret in secrets {
            let random = Array(secret.utf8.dropFirst(9).prefix(32))
            for (name, bytes) in haystacks {
                #expect(!contains(bytes, Array(secret.utf8)), "a full key appears in \(name)")
                #expect(!contains(bytes, random), "a key's random part appears in \(name)")
            }
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
