import Foundation
import Testing
import TestSupport

/// The CLI on a database of its own, in process (`runCLIInProcess`): the keys commands, exit codes,
/// `--expiring-within`, and the version the OpenAPI document states. The CLI beside a running
/// server, and the binary's own `--version`, are tested on the binary (EndToEndTests/CLITests).
@Suite("CLI: keys, exit codes and the version, on a database alone", .onOwnThreads)
struct CLITests {
    @Test func version_isTheOneTheOpenAPIDocumentStates() throws {
        let version = try runCLIInProcess(["--version"])
        #expect(version.status == 0)
        let text = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.split(separator: ".").count == 3, "\(text)")
        let server = try InProcessServer()
        #expect(try server.get("/openapi.yaml").text.contains("\n  version: \(text)\n"))
    }

    @Test func keysCommands_workOnADatabase_withoutAServer() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("cli.sqlite3")
        let created = try runCLIInProcess(["keys", "create", "--name", "nightly", "--rpm", "7", "--expires-at", "2099-01-01", "--json", "--db", db])
        #expect(created.status == 0, "\(created.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let id = try #require(record["id"] as? String)
        #expect((record["key"] as? String)?.hasPrefix("sk-theta-") == true)
        #expect(record["rate_limit_rpm"] as? Int == 7)

        let list = try runCLIInProcess(["keys", "list", "--db", db])
        #expect(list.status == 0)
        #expect(list.stdout.contains(id) && list.stdout.contains("nightly") && list.stdout.contains("active"))
        #expect(!list.stdout.contains(record["key"] as! String))

        let shown = try runCLIInProcess(["keys", "show", id, "--json", "--db", db])
        #expect(shown.status == 0 && shown.stdout.contains(#""status":"active""#))

        let deactivated = try runCLIInProcess(["keys", "deactivate", id, "--db", db])
        #expect(deactivated.status == 0)
        #expect(try runCLIInProcess(["keys", "list", "--status", "inactive", "--json", "--db", db]).stdout.contains(id))
        #expect(try runCLIInProcess(["keys", "list", "--status", "active", "--json", "--db", db]).stdout == "[]\n")
    }

    @Test func exitCodes_are64ForUsage_and1ForFailure() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("codes.sqlite3")
        #expect(try runCLIInProcess(["keys", "create", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["keys", "create", "--name", "x", "--rpm", "500", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["keys", "create", "--name", "x", "--expires-at", "yesterday", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["keys", "list", "--status", "gone", "--db", db]).status == 64)
        #expect(try runCLIInProcess(["nonsense"]).status == 64)
        let missing = try runCLIInProcess(["keys", "show", "key_nothing", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no key with id key_nothing"))
        #expect(try runCLIInProcess(["keys", "deactivate", "key_nothing", "--db", db]).status == 1)
        #expect(try runCLIInProcess(["keys", "list", "--db", "/nonexistent-folder/x.sqlite3"]).status == 1)
        #expect(try runCLIInProcess(["--help"]).status == 0)
    }

    @Test func keysListExpiringWithin_exits3WhenItListsAKey_else0() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("expiring.sqlite3")
        #expect(try runCLIInProcess(["account", "set", "--plan", "pro", "--db", db]).status == 0)
        let inThreeDays = Self.rfc3339(Date().addingTimeInterval(3 * 86_400))
        let inThirtyDays = Self.rfc3339(Date().addingTimeInterval(30 * 86_400))
        for (name, expiry) in [("rotate me", inThreeDays), ("later", inThirtyDays)] {
            #expect(try runCLIInProcess(["keys", "create", "--name", name, "--expires-at", expiry, "--db", db]).status == 0)
        }
        #expect(try runCLIInProcess(["keys", "create", "--name", "forever", "--db", db]).status == 0)

        let found = try runCLIInProcess(["keys", "list", "--expiring-within", "7d", "--db", db])
        #expect(found.status == 3, "\(found.stderr)")
        #expect(found.stdout.contains("rotate me") && !found.stdout.contains("later") && !found.stdout.contains("forever"))
        #expect(found.stderr.isEmpty)
        let json = try runCLIInProcess(["keys", "list", "--expiring-within", "7d", "--status", "active", "--json", "--db", db])
        #expect(json.status == 3)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(records.map { $0["name"] as? String } == ["rotate me"])
        let left = try #require(records.first?["expires_in_seconds"] as? Int)
        #expect((3 * 86_400 - 120)...(3 * 86_400) ~= left)
        #expect(try runCLIInProcess(["keys", "list", "--expiring-within", "3650d", "--db", db]).status == 3)

        let none = try runCLIInProcess(["keys", "list", "--expiring-within", "1d", "--db", db])
        #expect(none.status == 0)
        #expect(none.stdout == "No keys.\n")
        #expect(try runCLIInProcess(["keys", "list", "--db", db]).status == 0, "without the option, keys found are no alarm")

        let bad = try runCLIInProcess(["keys", "list", "--expiring-within", "7w", "--db", db])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--expiring-within must be a whole number followed by s, m, h or d (e.g. 7d), from 1s to 3650d"))
        #expect(try runCLIInProcess(["keys", "list", "--expiring-within", "0d", "--db", db]).status == 64)
        let inactive = try runCLIInProcess(["keys", "list", "--status", "inactive", "--expiring-within", "7d", "--db", db])
        #expect(inactive.status == 64)
        #expect(inactive.stderr.contains("--expiring-within lists active keys only"))

        // Help text is wrapped to the terminal's width: compare with the line breaks taken out.
        let unwrapped = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let help = unwrapped(try runCLIInProcess(["keys", "list", "--help"]).stdout)
        #expect(help.contains("--expiring-within <time>") && help.contains("exits 3 when any key is listed"))
        #expect(unwrapped(try runCLIInProcess(["--help"]).stdout).contains("3 from `keys list --expiring-within` when it lists any key"))
    }

    private static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
