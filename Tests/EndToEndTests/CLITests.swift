import Foundation
import Testing
import TestSupport

/// The binary's `--version`, and the CLI beside a running server: what either writes, the other
/// sees at once, and the server keeps SQLite's locks while other processes come and go (the CLI on
/// a database alone runs in process: ThetaConsoleTests/CLITests).
@Suite("CLI: the version, and beside a running server", .keepsEvidence)
struct CLITests {
    @Test func version_isThePythonClientsVersion() throws {
        let version = try runCLI(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("clients/python/src/theta_console/_version.py"), encoding: .utf8)
        #expect(source.contains("__version__ = \"\(version)\"\n"), "bump clients/python/src/theta_console/_version.py with the binary")
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
