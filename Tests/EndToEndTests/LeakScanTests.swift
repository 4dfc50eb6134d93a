import Foundation
import Testing
import TestSupport

/// `theta-console scan` on the real binary, against the database of a real server whose keys were
/// made through its API: a whole scan (standard input too), and a deactivation the running server
/// takes at once. The output formats and the read buffer run in process
/// (ThetaConsoleTests/LeakScanTests), as does the server's twin, `POST /v1/leaks`
/// (ThetaConsoleTests/LeaksAPITests).
@Suite("Leak scanner: theta-console scan and POST /v1/leaks", .keepsEvidence)
struct LeakScanTests {
    typealias Tree = LeakTree<ServerProcess>

    static func keyFromAnotherDatabase(_ db: String) throws -> String {
        let created = try runCLI(["keys", "create", "--name", "elsewhere", "--json", "--db", db])
        let object = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any]
        return try #require(object?["key"] as? String)
    }

    @Test func scan_reportsEachKeyWithItsStatus_skipsBinaryAndGit_andFailsOnALiveKey() throws {
        let tree = try Tree()
        let db = tree.server.databasePath
        let root = tree.root
        let scan = try runCLI(["scan", "-r", root, "--db", db])
        #expect(scan.status == 1, "\(scan.stderr)")
        #expect(scan.stdout.split(separator: "\n") == [
            "\(root)/config/app.env:2:11 \(tree.live.id) (active) \(tree.hint(tree.live.secret))",
            "\(root)/notes.md:3:6 \(tree.inactive.id) (inactive) \(tree.hint(tree.inactive.secret))",
            "\(root)/old.txt:1:3 \(tree.expired.id) (expired) \(tree.hint(tree.expired.secret))",
            "\(root)/sub/deep/leak.yaml:1:7 - (unknown) \(tree.hint(tree.foreign))",
        ])
        #expect(scan.stderr.contains("5 files"), "\(scan.stderr)")
        #expect(scan.stderr.contains("4 keys (2 live), 1 look-alike with a bad checksum ignored, 1 binary file skipped"))

        let verbose = try runCLI(["scan", "-r", "-v", root, "--db", db])
        #expect(verbose.stderr.contains("\(root)/.git: skipped (.git)"))
        #expect(verbose.stderr.contains("\(root)/data.bin: binary file"))

        // Without a database: no id, status unknown, and every key counts as live.
        let bare = try runCLI(["scan", "--recursive", root])
        #expect(bare.status == 1)
        #expect(bare.stdout.contains("\(root)/notes.md:3:6 - (unknown) \(tree.hint(tree.inactive.secret))"))
        #expect(bare.stderr.contains("4 keys (4 live)"))

        // Only inactive and expired keys, or none: 0.
        let harmless = try runCLI(["scan", root + "/notes.md", root + "/old.txt", root + "/clean.txt", "--db", db])
        #expect(harmless.status == 0, "\(harmless.stderr)")
        #expect(harmless.stdout.split(separator: "\n").count == 2)
        let clean = try runCLI(["scan", root + "/clean.txt"])
        #expect(clean.status == 0 && clean.stdout.isEmpty)
        #expect(try runCLI(["scan", root + "/data.bin"]).status == 0)

        // Stdin, when no path is given, or as "-".
        let piped = try runCLI(["scan", "--db", db], input: Array("line one\nuse \(tree.live.secret) here\n".utf8))
        #expect(piped.status == 1)
        #expect(piped.stdout == "-:2:5 \(tree.live.id) (active) \(tree.hint(tree.live.secret))\n")
        #expect(try runCLI(["scan", "-"], input: Array("nothing\n".utf8)).status == 0)

        // Problems: a folder without -r, a missing file; usage errors.
        let folder = try runCLI(["scan", root])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder; use -r"))
        #expect(try runCLI(["scan", root + "/missing.txt"]).status == 1)
        #expect(try runCLI(["scan", "--deactivate", root + "/clean.txt"]).status == 64)
        #expect(try runCLI(["scan", "--format", "xml", root + "/clean.txt"]).status == 64)
        let noDatabase = try runCLI(["scan", "--db", root + "/nope.sqlite3", root + "/clean.txt"])
        #expect(noDatabase.status == 1 && noDatabase.stderr.contains("no database at"))
        #expect(!FileManager.default.fileExists(atPath: root + "/nope.sqlite3"))

        expectNoSecret([scan, verbose, bare, harmless, clean, piped, folder], tree.secrets)
        // Scanning deactivated nothing: the live key still works.
        #expect(try tree.server.upload("/transcribe", key: tree.live.secret).status == 200)
    }

    /// The whole path: a key made through the API leaks into a file, `scan --deactivate` on the
    /// server's own database deactivates it, and the running server refuses it on its next request.
    @Test func scanDeactivate_makesTheRunningServerRefuseTheKey() throws {
        let server = try ServerProcess(arguments: ["--plan", "starter"])
        let key = try server.createKey(name: "leaky")
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        let file = server.directory.file("deploy.sh")
        try Data("#!/bin/sh\ncurl -H 'x-api-key: \(key.secret)' …\n".utf8).write(to: URL(fileURLWithPath: file))

        let scan = try runCLI(["scan", "--db", server.databasePath, "--deactivate", file])
        #expect(scan.status == 1)
        #expect(scan.stdout.contains("\(file):2:21 \(key.id) (active)"))
        #expect(scan.stderr.contains("1 key deactivated"))
        #expect(try server.upload("/transcribe", key: key.secret).status == 401)

        let events = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        let event = try #require(events.first)
        #expect(event["action"] as? String == "key.deactivated" && event["key_id"] as? String == key.id)
        #expect(event["actor"] as? String == "cli")
        #expect(event["detail"] as? String == "leak_scan: \(file)")

        // Now it is inactive: reported, not live, and not deactivated twice.
        let again = try runCLI(["scan", "--db", server.databasePath, "--deactivate", file])
        #expect(again.status == 0)
        #expect(again.stdout.contains("(inactive)") && !again.stderr.contains("deactivated"))
        let after = try server.get("/v1/audit-events").object["data"] as? [[String: Any]] ?? []
        #expect(after.filter { $0["action"] as? String == "key.deactivated" }.count == 1)
        expectNoSecret([scan, again], [key.secret])
    }
}

extension LeakTree where Server == ServerProcess {
    /// The tree beside a Pro server of its own; the unknown key is made by the CLI in another database.
    init() throws {
        let server = try ServerProcess(arguments: ["--plan", "pro"])
        try self.init(server: server, directory: server.directory,
                      foreign: try LeakScanTests.keyFromAnotherDatabase(server.directory.file("other.sqlite3")))
    }
}
