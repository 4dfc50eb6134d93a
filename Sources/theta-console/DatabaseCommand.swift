import ArgumentParser
import FoundationEssentials
import KeyStore

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect the database file.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending migrations and run SQLite's integrity check; prints 'ok' and exits 0 when the file is sound.")

        @OptionGroup var database: DatabaseOption

        func run() throws {
            try database.withStore { store in
                let result = try store.integrityCheck()
                emit(result)
                if result != "ok" { throw ExitCode.failure }
            }
        }
    }
}
