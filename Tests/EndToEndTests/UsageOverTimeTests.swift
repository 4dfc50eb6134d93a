import Foundation
import Testing
import TestSupport

/// `keys usage` on the file the real binary wrote at shutdown (usage over time in the API, its
/// buckets, money and pruning, is tested in process: ThetaConsoleTests/UsageOverTimeTests).
@Suite("Usage over time (the binary)", .keepsEvidence)
struct UsageOverTimeTests {
    /// `keys usage` reads the file: after the server has written its usage, the same buckets as the
    /// API, as a table of the buckets with usage or as the API's JSON.
    @Test func keysUsage_printsATable_orTheAPIJSON() throws {
        let server = try ServerProcess(arguments: ["--plan", "pro"])
        let key = try server.createKey(name: "charted")
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2)).status == 200)
        #expect(try server.upload("/transcribe", key: key.secret, audio: Array("junk".utf8)).status == 400)
        #expect(server.stop() == 0)  // the last batch is written at shutdown

        let table = try runCLI(["keys", "usage", key.id, "--since", "2h", "--db", server.databasePath])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("Usage of \(key.id) (charted) per minute"), "\(table.stdout)")
        let total = table.stdout.split(separator: "\n").first { $0.hasPrefix("TOTAL") }.map(String.init) ?? ""
        #expect(total.split(separator: " ") == ["TOTAL", "1", "1", "0", "0", "0", "0", "2", "0.0008"], "\(table.stdout)")
        #expect(table.stdout.contains("buckets, 1 with usage (empty ones not shown)")
                    || table.stdout.contains("buckets, 2 with usage (empty ones not shown)"), "\(table.stdout)")

        let json = try runCLI(["keys", "usage", key.id, "--since", "30d", "--json", "--db", server.databasePath])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["granularity"] as? String == "hour" && (object["buckets"] as? [Any])?.count == 721)
        #expect(try runCLI(["keys", "usage", key.id, "--since", "400d", "--json", "--db", server.databasePath]).stdout
                    .contains(#""granularity":"day""#))

        let tooLong = try runCLI(["keys", "usage", key.id, "--since", "1001d", "--db", server.databasePath])
        #expect(tooLong.status == 64 && tooLong.stderr.contains("at most 1000 buckets per answer"), "\(tooLong.stderr)")
        let tooFine = try runCLI(["keys", "usage", key.id, "--since", "3d", "--granularity", "minute", "--db", server.databasePath])
        #expect(tooFine.status == 64 && tooFine.stderr.contains("--since must be"), "\(tooFine.stderr)")
        #expect(try runCLI(["keys", "usage", key.id, "--since", "soon", "--db", server.databasePath]).status == 64)
        #expect(try runCLI(["keys", "usage", "key_nosuchkey0000000000", "--db", server.databasePath]).status == 1)
    }
}
