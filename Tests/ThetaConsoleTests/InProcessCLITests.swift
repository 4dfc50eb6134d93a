import Foundation
import Testing
import TestSupport

/// The in-process CLI runner answers as the binary does: the same output, streams and statuses.
@Suite("CLI in process: statuses, streams and output as the binary gives them", .onOwnThreads)
struct InProcessCLITests {
    @Test func aUsageError_is64_withTheMessageOnStderr() throws {
        let result = try runCLIInProcess(["keys", "create", "--db", ":memory:"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Missing expected argument"), "\(result.stderr)")
    }

    @Test func help_isOnStdout_withStatus0() throws {
        let result = try runCLIInProcess(["keys", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: theta-console keys"), "\(result.stdout)")
        #expect(result.stderr.isEmpty)
    }

    @Test func aCommandsOutput_isKeptPerRun() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("cli.sqlite3")
        let created = try runCLIInProcess(["keys", "create", "--db", db, "--name", "in process"])
        #expect(created.status == 0, "\(created.stderr)")
        let secret = try #require(created.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(secret.hasPrefix("sk-theta-") && secret.count > 30, "\(created.stdout)")
        let listed = try runCLIInProcess(["keys", "list", "--db", db])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("in process"))
        #expect(!listed.stdout.contains(secret), "a listing never shows a secret")
    }
}
