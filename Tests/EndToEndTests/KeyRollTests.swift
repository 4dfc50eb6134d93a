import Foundation
import Glibc
import Testing
import TestSupport

/// A roll made by the CLI on the running server's database (the roll's other cases run in process:
/// ThetaConsoleTests/KeyRollTests).
@Suite("Keys: roll with overlap (the binary)", .keepsEvidence)
struct KeyRollTests {
    @Test func aRollFromTheCLI_isSeenByTheRunningServer_onItsNextRequest() throws {
        let server = try ServerProcess(arguments: ["--plan", "pro"])
        let old = try server.createKey()
        #expect(try server.upload("/transcribe", key: old.secret).status == 200)
        let result = try runCLI(["keys", "roll", old.id, "--db", server.databasePath])
        #expect(result.status == 0, "\(result.stderr)")
        let secret = try #require(result.stdout.range(of: #"sk-theta-[0-9A-Za-z]{38}"#, options: .regularExpression)
            .map { String(result.stdout[$0]) })
        #expect(try server.upload("/transcribe", key: old.secret).status == 401)
        #expect(try server.upload("/transcribe", key: secret).status == 200)

        let bad = try runCLI(["keys", "roll", "key_nope", "--db", server.databasePath])
        #expect(bad.status == 1)
        #expect(try runCLI(["keys", "roll", old.id, "--grace", "2d", "--db", server.databasePath]).status == 64)
    }
}

/// Importing a key with a known secret, and seeding a fixture server from a file.
@Suite("Keys: import and seed (the binary)", .keepsEvidence)
struct KeyImportTests {
    private func generate() throws -> String {
        let result = try runCLI(["keys", "generate"])
        #expect(result.status == 0)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anImportedKey_works_isNeverEchoed_andADuplicateIs409() throws {
        let server = try ServerProcess(arguments: ["--allow-key-import", "--plan", "pro"])
        let secret = try generate()
        #expect(secret.hasPrefix("sk-theta-") && secret.count == 47)
        let imported = try server.post("/v1/keys", json: #"{"name": "fixture", "key": "\#(secret)", "rate_limit_rpm": 50}"#)
        #expect(imported.status == 201)
        #expect(imported.object["key"] == nil, "the import's answer is the record alone")
        #expect(!imported.text.contains(secret))
        #expect(imported.object["hint"] as? String == "\(secret.prefix(13))…\(secret.suffix(4))")
        #expect(try server.upload("/transcribe", key: secret).status == 200)

        let duplicate = try server.post("/v1/keys", json: #"{"name": "again", "key": "\#(secret)"}"#)
        #expect(duplicate.status == 409 && duplicate.detail == "a key with this secret already exists")

        // A look-alike whose checksum fails is refused without being stored.
        var broken = Array(secret)
        broken[20] = broken[20] == "A" ? "B" : "A"
        let malformed = try server.post("/v1/keys", json: #"{"name": "broken", "key": "\#(String(broken))"}"#)
        #expect(malformed.status == 422 && malformed.detail?.hasPrefix("key must be a well-formed sk-theta- key") == true)
        #expect(!malformed.text.contains(String(broken)))

        // The secret is in no listing, audit record or log.
        for path in ["/v1/keys", "/v1/audit-events", "/v1/keys/\(imported.object["id"] as? String ?? "")"] {
            #expect(!(try server.get(path).text.contains(secret)))
        }
        let audit = try server.get("/v1/audit-events?limit=5").object["data"] as? [[String: Any]] ?? []
        #expect(audit.contains { $0["action"] as? String == "key.imported" })
        #expect(server.stop() == 0)
        #expect(!server.stdout.contains(secret) && !server.stderr.contains(secret))
        let database = try Data(contentsOf: URL(fileURLWithPath: server.databasePath))
        #expect(database.range(of: Data(secret.utf8)) == nil)
    }

    @Test func cliImport_readsTheSecretFromStdin_only() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("cli.sqlite3")
        let secret = try generate()
        let imported = try runCLI(["keys", "import", "--name", "from stdin", "--key-stdin", "--db", db], input: Array((secret + "\n").utf8))
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("Imported key_") && !imported.stdout.contains(secret))
        let again = try runCLI(["keys", "import", "--name", "twice", "--key-stdin", "--db", db], input: Array((secret + "\n").utf8))
        #expect(again.status == 1 && again.stderr.contains("a key with this secret already exists"))
        #expect(try runCLI(["keys", "import", "--name", "no flag", "--db", db], input: Array(secret.utf8)).status == 64)
        let junk = try runCLI(["keys", "import", "--name", "junk", "--key-stdin", "--db", db], input: Array("sk-theta-nope\n".utf8))
        #expect(junk.status == 64 && !junk.stderr.contains("sk-theta-nope"))

        let server = try ServerProcess(databasePath: db, directory: directory)
        #expect(try server.upload("/transcribe", key: secret).status == 200)
    }

    @Test func seedKeys_loadsAFixture_idempotently_andRefusesAFileOthersCanRead() throws {
        let directory = TemporaryDirectory()
        let seed = directory.file("seed.json")
        let (a, b) = (try generate(), try generate())
        let json = """
            [{"name": "ci", "key": "\(a)", "rate_limit_rpm": 30},
             {"name": "local", "key": "\(b)", "expires_at": "2099-01-01", "allowed_cidrs": ["127.0.0.0/8"]}]
            """
        try json.write(toFile: seed, atomically: true, encoding: .utf8)
        chmod(seed, 0o644)
        let open = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", seed])
        #expect(open.status == 64 && open.stderr.contains("readable by others"))
        #expect(!open.stderr.contains(a))

        chmod(seed, 0o600)
        let db = directory.file("seeded.sqlite3")
        let first = try ServerProcess(arguments: ["--seed-keys", seed, "--plan", "pro"], databasePath: db, directory: directory)
        #expect(try first.upload("/transcribe", key: a).status == 200)
        #expect(try first.upload("/transcribe", key: b).status == 200)
        let keys = try first.get("/v1/keys").object["data"] as? [[String: Any]] ?? []
        #expect(keys.count == 2)
        #expect(keys.first { $0["name"] as? String == "local" }?["allowed_cidrs"] as? [String] == ["127.0.0.0/8"])
        #expect(first.stop() == 0)

        // The same file again adds nothing.
        let second = try ServerProcess(arguments: ["--seed-keys", seed], databasePath: db, directory: directory)
        #expect((try second.get("/v1/keys").object["data"] as? [Any])?.count == 2)

        // A bad entry stops start-up with the entry and field named, and nothing of the secret.
        try #"[{"name": "x", "key": "sk-theta-short"}]"#.write(toFile: seed, atomically: true, encoding: .utf8)
        chmod(seed, 0o600)
        let bad = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", seed])
        #expect(bad.status != 0 && bad.stderr.contains("--seed-keys: entry 0: key must be a well-formed"))
        #expect(!bad.stderr.contains("sk-theta-short"))
    }
}

/// A key restricted to address ranges: refused with 401 from anywhere else.
@Suite("Keys: IP allowlist (the binary: addresses as TCP gives them)", .keepsEvidence)
struct KeyAllowlistTests {
    private func upload(port: Int, host: String = "127.0.0.1", from source: String?, key: String) throws -> WireResponse {
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        let client = try RawHTTPClient(port: port, host: host, source: source)
        return try client.request("POST", "/transcribe", headers: ["Content-Type": body.contentType, "x-api-key": key],
                                  body: body.finished())
    }

    @Test func ipv6Peers_andIPv4MappedPeers_matchTheirEntries() throws {
        // Dual stack: an IPv4 client arrives as ::ffff:127.0.0.2 and matches an IPv4 entry.
        let server = try ServerProcess(arguments: ["--host", "::", "--plan", "pro"])
        let v4 = try server.createKey(name: "v4", extra: #", "allowed_cidrs": ["127.0.0.2/32"]"#)
        let v6 = try server.createKey(name: "v6", extra: #", "allowed_cidrs": ["::1/128"]"#)
        #expect(try upload(port: server.port, from: "127.0.0.2", key: v4.secret).status == 200)
        #expect(try upload(port: server.port, from: "127.0.0.1", key: v4.secret).status == 401)
        #expect(try upload(port: server.port, host: "::1", from: nil, key: v6.secret).status == 200)
        #expect(try upload(port: server.port, host: "::1", from: nil, key: v4.secret).status == 401)
        #expect(try upload(port: server.port, from: "127.0.0.1", key: v6.secret).status == 401)
    }
}
