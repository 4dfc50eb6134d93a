import Foundation
import Testing
import TestSupport

/// A full key may appear in exactly one place: the response (or CLI output) that created it.
@Suite("Secrets never leak", .keepsEvidence)
struct SecretAbsenceTests {
    @Test func fullKey_isAbsentFromDatabaseLogsListingsAuditAndErrors() throws {
        let server = try ServerProcess(arguments: ["--log-level", "trace", "--plan", "pro", "--allow-key-import",
                                                   "--record-requests", "100"])
        var secrets: [String] = []
        for i in 0..<3 { secrets.append(try server.createKey(name: "api \(i)").secret) }
        let cli = try runCLI(["keys", "create", "--name", "from cli", "--db", server.databasePath])
        #expect(cli.status == 0)
        let cliSecret = try #require(cli.stdout.range(of: #"sk-theta-[A-Za-z0-9]{38}"#, options: .regularExpression).map { String(cli.stdout[$0]) })
        secrets.append(cliSecret)
        #expect(!cli.stderr.contains(cliSecret))

        // Imported keys: through the API and through the CLI's stdin. Their secrets were never the
        // server's to show, so they may appear nowhere at all (not even in the import's answer).
        let apiImport = try runCLI(["keys", "generate"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let imported = try server.post("/v1/keys", json: #"{"name": "imported", "key": "\#(apiImport)"}"#)
        #expect(imported.status == 201)
        let cliImport = try runCLI(["keys", "generate"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let cliImported = try runCLI(["keys", "import", "--name", "cli import", "--key-stdin", "--db", server.databasePath],
                                     input: Array((cliImport + "\n").utf8))
        #expect(cliImported.status == 0)
        secrets += [apiImport, cliImport]
        var haystacks: [(String, [UInt8])] = [("import answer", imported.body), ("cli import", Array(cliImported.stdout.utf8)),
                                               ("cli import stderr", Array(cliImported.stderr.utf8))]
        // A roll: the new secret is in its own answer only; the old key's secret nowhere new.
        let rolledID = try #require(imported.object["id"] as? String)
        let rolled = try server.post("/v1/keys/\(rolledID)/roll", json: #"{"grace_seconds": 60}"#)
        #expect(rolled.status == 201)
        secrets.append(try #require(rolled.object["key"] as? String))
        for secret in secrets { _ = try server.upload("/transcribe", key: secret) }
        // The leak scanner's answer names keys by hint only.
        haystacks.append(("leaks", try server.post("/v1/leaks", json: #"{"text": "\#(secrets.joined(separator: " "))"}"#).body))

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

        haystacks.append(("list", try server.get("/v1/keys?limit=100").body))
        haystacks.append(("recorded requests", try server.get("/v1/requests").body))
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
