import Foundation
import Glibc
import KeyStore
import Testing
import TestSupport

/// Importing a key with a known secret through the API (refused unless the server allows it; never
/// echoed, logged or stored), and seeding a server from a file, in process (the CLI's import from
/// standard input is tested on the binary: EndToEndTests/KeyImportTests).
@Suite("Keys: import and seed", .onOwnThreads)
struct KeyImportTests {
    /// A well-formed secret, as `keys generate` prints one.
    private func generate() throws -> String {
        try APIKeyFormat.generate()
    }

    @Test func importIsRefused_unlessTheServerAllowsIt() throws {
        let server = try InProcessServer()
        let secret = try generate()
        let refused = try server.post("/v1/keys", json: #"{"name": "fixture", "key": "\#(secret)"}"#)
        #expect(refused.status == 422)
        #expect(refused.detail == "key: importing a key's secret is not enabled (start the server with --allow-key-import)")
        #expect(!refused.text.contains(secret))
    }

    @Test func anImportedKey_works_isNeverEchoed_andADuplicateIs409() throws {
        let server = try InProcessServer(arguments: ["--allow-key-import", "--plan", "pro"])
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
        let open = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", seed])
        #expect(open.status == 64 && open.stderr.contains("readable by others"))
        #expect(!open.stderr.contains(a))

        chmod(seed, 0o600)
        let db = directory.file("seeded.sqlite3")
        let first = try InProcessServer(arguments: ["--seed-keys", seed, "--plan", "pro"], databasePath: db)
        #expect(try first.upload("/transcribe", key: a).status == 200)
        #expect(try first.upload("/transcribe", key: b).status == 200)
        let keys = try first.get("/v1/keys").object["data"] as? [[String: Any]] ?? []
        #expect(keys.count == 2)
        #expect(keys.first { $0["name"] as? String == "local" }?["allowed_cidrs"] as? [String] == ["127.0.0.0/8"])
        #expect(first.stop() == 0)

        // The same file again adds nothing.
        let second = try InProcessServer(arguments: ["--seed-keys", seed], databasePath: db)
        #expect((try second.get("/v1/keys").object["data"] as? [Any])?.count == 2)

        // A bad entry stops start-up with the entry and field named, and nothing of the secret.
        try #"[{"name": "x", "key": "sk-theta-short"}]"#.write(toFile: seed, atomically: true, encoding: .utf8)
        chmod(seed, 0o600)
        let bad = try runServeInProcess(["serve", "--port", "0", "--db", ":memory:", "--seed-keys", seed])
        #expect(bad.status != 0 && bad.stderr.contains("--seed-keys: entry 0: key must be a well-formed"))
        #expect(!bad.stderr.contains("sk-theta-short"))
    }
}
