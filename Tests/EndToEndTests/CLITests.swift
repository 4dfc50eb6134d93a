import Foundation
import Testing
import TestSupport

@Suite("CLI: keys and admin-token, alone and beside a running server", .keepsEvidence)
struct CLITests {
    @Test func version_isTheOneTheOpenAPIDocumentStates() throws {
        let version = try runCLI(["--version"])
        #expect(version.status == 0)
        let text = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.split(separator: ".").count == 3, "\(text)")
        let server = try ServerProcess()
        #expect(try server.get("/openapi.yaml").text.contains("\n  version: \(text)\n"))
    }

    @Test func version_isThePythonClientsVersion() throws {
        let version = try runCLI(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("clients/python/src/theta_console/_version.py"), encoding: .utf8)
        #expect(source.contains("__version__ = \"\(version)\"\n"), "bump clients/python/src/theta_console/_version.py with the binary")
    }

    @Test func keysCommands_workOnADatabase_withoutAServer() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("cli.sqlite3")
        let created = try runCLI(["keys", "create", "--name", "nightly", "--rpm", "7", "--expires-at", "2099-01-01", "--json", "--db", db])
        #expect(created.status == 0, "\(created.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let id = try #require(record["id"] as? String)
        #expect((record["key"] as? String)?.hasPrefix("sk-theta-") == true)
        #expect(record["rate_limit_rpm"] as? Int == 7)

        let list = try runCLI(["keys", "list", "--db", db])
        #expect(list.status == 0)
        #expect(list.stdout.contains(id) && list.stdout.contains("nightly") && list.stdout.contains("active"))
        #expect(!list.stdout.contains(record["key"] as! String))

        let shown = try runCLI(["keys", "show", id, "--json", "--db", db])
        #expect(shown.status == 0 && shown.stdout.contains(#""status":"active""#))

        let deactivated = try runCLI(["keys", "deactivate", id, "--db", db])
        #expect(deactivated.status == 0)
        #expect(try runCLI(["keys", "list", "--status", "inactive", "--json", "--db", db]).stdout.contains(id))
        #expect(try runCLI(["keys", "list", "--status", "active", "--json", "--db", db]).stdout == "[]\n")
    }

    @Test func exitCodes_are64ForUsage_and1ForFailure() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("codes.sqlite3")
        #expect(try runCLI(["keys", "create", "--db", db]).status == 64)
        #expect(try runCLI(["keys", "create", "--name", "x", "--rpm", "500", "--db", db]).status == 64)
        #expect(try runCLI(["keys", "create", "--name", "x", "--expires-at", "yesterday", "--db", db]).status == 64)
        #expect(try runCLI(["keys", "list", "--status", "gone", "--db", db]).status == 64)
        #expect(try runCLI(["nonsense"]).status == 64)
        let missing = try runCLI(["keys", "show", "key_nothing", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no key with id key_nothing"))
        #expect(try runCLI(["keys", "deactivate", "key_nothing", "--db", db]).status == 1)
        #expect(try runCLI(["keys", "list", "--db", "/nonexistent-folder/x.sqlite3"]).status == 1)
        #expect(try runCLI(["--help"]).status == 0)
    }

    @Test func keysListExpiringWithin_exits3WhenItListsAKey_else0() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("expiring.sqlite3")
        #expect(try runCLI(["account", "set", "--plan", "pro", "--db", db]).status == 0)
        let inThreeDays = Self.rfc3339(Date().addingTimeInterval(3 * 86_400))
        let inThirtyDays = Self.rfc3339(Date().addingTimeInterval(30 * 86_400))
        for (name, expiry) in [("rotate me", inThreeDays), ("later", inThirtyDays)] {
            #expect(try runCLI(["keys", "create", "--name", name, "--expires-at", expiry, "--db", db]).status == 0)
        }
        #expect(try runCLI(["keys", "create", "--name", "forever", "--db", db]).status == 0)

        let found = try runCLI(["keys", "list", "--expiring-within", "7d", "--db", db])
        #expect(found.status == 3, "\(found.stderr)")
        #expect(found.stdout.contains("rotate me") && !found.stdout.contains("later") && !found.stdout.contains("forever"))
        #expect(found.stderr.isEmpty)
        let json = try runCLI(["keys", "list", "--expiring-within", "7d", "--status", "active", "--json", "--db", db])
        #expect(json.status == 3)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(records.map { $0["name"] as? String } == ["rotate me"])
        let left = try #require(records.first?["expires_in_seconds"] as? Int)
        #expect((3 * 86_400 - 120)...(3 * 86_400) ~= left)
        #expect(try runCLI(["keys", "list", "--expiring-within", "3650d", "--db", db]).status == 3)

        let none = try runCLI(["keys", "list", "--expiring-within", "1d", "--db", db])
        #expect(none.status == 0)
        #expect(none.stdout == "No keys.\n")
        #expect(try runCLI(["keys", "list", "--db", db]).status == 0, "without the option, keys found are no alarm")

        let bad = try runCLI(["keys", "list", "--expiring-within", "7w", "--db", db])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--expiring-within must be a whole number followed by s, m, h or d (e.g. 7d), from 1s to 3650d"))
        #expect(try runCLI(["keys", "list", "--expiring-within", "0d", "--db", db]).status == 64)
        let inactive = try runCLI(["keys", "list", "--status", "inactive", "--expiring-within", "7d", "--db", db])
        #expect(inactive.status == 64)
        #expect(inactive.stderr.contains("--expiring-within lists active keys only"))

        // Help text is wrapped to the terminal's width: compare with the line breaks taken out.
        let unwrapped = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let help = unwrapped(try runCLI(["keys", "list", "--help"]).stdout)
        #expect(help.contains("--expiring-within <time>") && help.contains("exits 3 when any key is listed"))
        #expect(unwrapped(try runCLI(["--help"]).stdout).contains("3 from `keys list --expiring-within` when it lists any key"))
    }

    private static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    @Test func cliAgainstTheServersDatabase_isSeenByTheServerAtOnce() throws {
        let server = try ServerProcess(arguments: ["--plan", "starter"])
        let created = try runCLI(["keys", "create", "--name", "made by cli", "--json", "--db", server.databasePath])
        #expect(created.status == 0, "\(created.stderr)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try server.get("/v1/keys/\(id)").object["status"] as? String == "active")

        let apiKey = try server.createKey(name: "made by api")
        #expect(try runCLI(["keys", "show", apiKey.id, "--db", server.databasePath]).stdout.contains("made by api"))

        #expect(try runCLI(["keys", "deactivate", apiKey.id, "--db", server.databasePath]).status == 0)
        #expect(try server.get("/v1/keys/\(apiKey.id)").object["status"] as? String == "inactive")
        let audit = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(audit.first?["action"] as? String == "key.deactivated")
        #expect(audit.first?["actor"] as? String == "cli")
    }

    /// SQLite's locks are the process's, and closing any descriptor of a file drops them all. The
    /// server once closed its own descriptor of the -shm file at start-up, dropping SQLite's shared
    /// lock on the dead-man-switch byte (offset 128): every CLI run or sqlite3 shell then took the
    /// switch, truncated the -shm under the running server's mappings (a SIGBUS: the server that
    /// vanished mid-test) and rebuilt the wal-index while the server read it. The server must hold
    /// that lock while it runs, before and after other processes come and go.
    @Test func theRunningServer_holdsSQLitesLockOnTheWALIndex_whileOtherProcessesComeAndGo() throws {
        let server = try ServerProcess()
        _ = try server.createKey()
        func holdsSwitch() throws -> Bool {
            var info = stat()
            guard stat(server.databasePath + "-shm", &info) == 0 else { return false }
            let locks = try String(contentsOfFile: "/proc/locks", encoding: .utf8)
            // "45: POSIX  ADVISORY  READ 17739 fe:00:16237709 128 128": pid, device:inode, start, end.
            return locks.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.count >= 8 && fields[4] == "\(server.pid)" && fields[5].hasSuffix(":\(info.st_ino)")
                    && fields[6] == "128"
            }
        }
        #expect(try holdsSwitch(), "the server holds the -shm's dead-man switch")
        #expect(try runCLI(["keys", "list", "--db", server.databasePath]).status == 0)
        #expect(try server.get("/v1/keys").status == 200)
        #expect(try holdsSwitch(), "still, after a CLI run")
    }
}

