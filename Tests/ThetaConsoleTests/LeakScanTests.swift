import Foundation
import Testing
import TestSupport

/// `theta-console scan` in process (`runCLIInProcess`), on the database of a server in process
/// whose keys were made through its API: one object per key as JSON, a valid SARIF log, and a key
/// cut by the read buffer. A whole scan (standard input too) and a deactivation the running server
/// takes are tested on the binary (EndToEndTests/LeakScanTests).
@Suite("Leak scanner: theta-console scan, its formats and its reads", .onOwnThreads)
struct LeakScanTests {
    typealias Tree = LeakTree<InProcessServer>

    @Test func scanJSON_printsOneObjectPerKey() throws {
        let tree = try Tree()
        let result = try runCLIInProcess(["scan", "-r", "--json", tree.root, "--db", tree.server.databasePath])
        #expect(result.status == 1)
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        let first = try #require(objects.first)
        #expect(Set(first.keys) == ["file", "line", "column", "key_id", "status", "hint", "deactivated"])
        #expect(first["file"] as? String == tree.root + "/config/app.env")
        #expect(first["line"] as? Int == 2 && first["column"] as? Int == 11)
        #expect(first["key_id"] as? String == tree.live.id && first["status"] as? String == "active")
        #expect(first["hint"] as? String == tree.hint(tree.live.secret))
        #expect(first["deactivated"] as? Bool == false)
        #expect(objects.last?["key_id"] is NSNull && objects.last?["status"] as? String == "unknown")
        expectNoSecret([result], tree.secrets)
    }

    @Test("scan --format sarif is valid SARIF 2.1.0 (the OASIS schema, checked with Python's jsonschema)",
          .enabled(if: SARIFValidator.shouldRun, "python3 with jsonschema is not installed (pip install jsonschema); set CI=1 to make this a failure"))
    func scanSARIF_isSchemaValid() throws {
        guard SARIFValidator.available else {
            Issue.record(Comment(rawValue: "CI is set but SARIF cannot be validated: python3 with jsonschema is missing"))
            return
        }
        let tree = try Tree()
        let result = try runCLIInProcess(["scan", "-r", "--format", "sarif", tree.root, "--db", tree.server.databasePath])
        #expect(result.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.map { $0["level"] as? String } == ["error", "note", "note", "error"])
        #expect(results.allSatisfy { $0["ruleId"] as? String == "theta-console-api-key" })
        #expect((run["properties"] as? [String: Any])?["lookalikes"] as? Int == 1)
        let validation = try SARIFValidator.validate(result.stdout, in: tree.server.directory)
        #expect(validation.status == 0, "\(validation.stderr)")

        // The validator does reject a broken log, so a pass above means something.
        let broken = result.stdout.replacingOccurrences(of: #""level":"error""#, with: #""level":"fatal""#)
        #expect(try SARIFValidator.validate(broken, in: tree.server.directory).status == 1)

        // No finding is still a log, with an empty result list.
        let empty = try runCLIInProcess(["scan", "--format", "sarif", tree.root + "/clean.txt"])
        #expect(empty.status == 0)
        #expect(try SARIFValidator.validate(empty.stdout, in: tree.server.directory).status == 0)
        expectNoSecret([result, empty], tree.secrets)
    }

    /// The CLI reads 1 MiB at a time; a key across two reads is found once, at its place.
    @Test func scan_findsAKeyCutByTheReadBuffer() throws {
        let directory = TemporaryDirectory()
        let key = try LeaksAPITests.keyFromAnotherDatabase(directory.file("keys.sqlite3"))
        let filler = String(repeating: "lorem ipsum\n", count: 87_379) + "padding "  // 1,048,556 bytes
        let file = directory.file("big.txt")
        try Data((filler + key + "\nend\n").utf8).write(to: URL(fileURLWithPath: file))
        let result = try runCLIInProcess(["scan", file])
        #expect(result.status == 1)
        #expect(result.stdout == "\(file):87380:9 - (unknown) \(String(key.prefix(13)))\u{2026}\(key.suffix(4))\n")
    }
}

/// Runs `validate_sarif.py` (python3 + jsonschema) on a SARIF log. The script and the OASIS schema
/// beside it are EndToEndTests' resources (Tests/EndToEndTests/Fixtures), read here from the source
/// tree.
enum SARIFValidator {
    /// The script, if the source tree has it.
    static let script: String? = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EndToEndTests/Fixtures/validate_sarif.py").path
        return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }()
    static let available: Bool = (try? python(["-c", "import jsonschema"]).status) == 0
    /// CI must validate: there a missing python3 or jsonschema is a failure, not a skip.
    static let required = !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    static let shouldRun = available || required

    static func validate(_ log: String, in directory: TemporaryDirectory) throws -> (status: Int32, stderr: String) {
        let path = directory.file("log-\(UUID().uuidString.prefix(6)).sarif")
        try Data(log.utf8).write(to: URL(fileURLWithPath: path))
        let script = try #require(Self.script, "Tests/EndToEndTests/Fixtures/validate_sarif.py is missing")
        let result = try python([script, path])
        return (result.status, result.stderr)
    }

    private static func python(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let result = try ChildProcess.run("/usr/bin/env", ["python3"] + arguments)
        return (result.status, result.stderr)
    }
}

extension LeakTree where Server == InProcessServer {
    /// The tree beside a Pro server of its own; the unknown key is made in another database.
    init() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        try self.init(server: server, directory: server.directory,
                      foreign: try LeaksAPITests.keyFromAnotherDatabase(server.directory.file("other.sqlite3")))
    }
}
