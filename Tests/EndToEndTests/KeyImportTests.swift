import Foundation
import Testing
import TestSupport

/// Importing a key's secret through the CLI's standard input, then using it on the binary (imports
/// through the API, and seeding from a file, run in process: ThetaConsoleTests/KeyImportTests).
@Suite("Keys: import from standard input (the binary)", .keepsEvidence)
struct KeyImportTests {
    private func generate() throws -> String {
        let result = try runCLI(["keys", "generate"])
        #expect(result.status == 0)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
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

}
