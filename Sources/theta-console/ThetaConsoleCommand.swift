import ArgumentParser
import Glibc
import ThetaConsole

@main
struct ThetaConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theta-console",
        abstract: "A local emulator of the Theta One API and its console: sk-theta- keys, plans and credits, the speech endpoints gated as the real service gates them, an admin API and a browser console.",
        discussion: """
            Exit codes: 0 on success, 64 for a usage error, 1 for any other failure, and 3 from `keys list --expiring-within` when it lists any key.
            """,
        version: ThetaConsoleVersion.string,
        subcommands: [ServeCommand.self, KeysCommand.self, AccountCommand.self, AdminTokenCommand.self, DatabaseCommand.self,
                      ScanCommand.self]
    )

    /// Every file theta-console creates (the database, its -wal and -shm, a SARIF log) is its
    /// owner's alone, whatever form its path takes.
    static func main() {
        umask(0o077)
        main(nil)
    }
}

/// The database option every subcommand shares.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The SQLite database file (':memory:' keeps nothing).")
    var db: String = "./theta-console.sqlite3"

    /// Opens the store (migrating it), runs `body`, closes it; failures become clear messages and exit codes.
    func withStore(_ body: (KeyStore) throws -> Void) throws {
        try runReportingFailures {
            let store = try KeyStore(path: db)
            defer { try? store.close() }
            try body(store)
        }
    }
}

import KeyStore

extension KeyStatus: ExpressibleByArgument {}
extension Plan: ExpressibleByArgument {}
extension UsageGranularity: ExpressibleByArgument {}

extension ExpiryWindow {
    /// `--expiring-within`: the API's rule, with the option's name in the message (exit 64).
    static func argument(_ text: String) throws -> ExpiryWindow {
        guard let window = ExpiryWindow(parsing: text) else { throw ValidationError(rule(for: "--expiring-within")) }
        return window
    }
}
