import ArgumentParser
import FoundationEssentials
import KeyStore
import ThetaConsole

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys directly in the database (works while a server runs on it).",
        subcommands: [Create.self, List.self, Show.self, Deactivate.self, Roll.self, Import.self, Generate.self,
                      Usage.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key. Its secret is printed once; only its SHA-256 is stored.")

        @OptionGroup var database: DatabaseOption
        @Option(help: "A name for managing the key (1 to 100 characters).") var name: String
        @Option(help: "Expiry: RFC 3339, or YYYY-MM-DD meaning the end of that day UTC.") var expiresAt: String?
        @Option(help: "Rate limit in requests per minute, 1 to 100 (default 100).") var rpm: Int?
        @Option(help: "The highest --rpm allowed (a 'separate contract').") var maxKeyRPM = 100
        @Flag(help: "Print the API's JSON, including the secret.") var json = false

        func validate() throws {
            guard maxKeyRPM >= 1 else { throw ValidationError("--max-key-rpm must be at least 1") }
        }

        func run() throws {
            try runReportingFailures {
                let spec = try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, now: Date(), maxRPM: maxKeyRPM)
                let store = try KeyStore(path: database.db)
                defer { try? store.close() }
                let created = try store.createKey(spec, actor: "cli", remoteAddress: nil)
                if json {
                    emit(RecordJSON.key(created.record, now: Date(), secret: created.secret))
                } else {
                    emit("Created \(created.record.id) (\(created.record.name)).")
                    emit("API key, shown once; store it now: \(created.secret)")
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys, newest first.",
            discussion: "With --expiring-within, exits 3 when any key is listed (0 when none), so a cron job or a CI step can alert.")

        @OptionGroup var database: DatabaseOption
        @Option(help: "Only keys with this status: active, inactive or expired.") var status: KeyStatus?
        @Option(help: ArgumentHelp("Only active keys that expire within this time: a whole number and s, m, h or d, e.g. 7d (at most 3650d). Exits 3 if any.", valueName: "time"),
                transform: ExpiryWindow.argument)
        var expiringWithin: ExpiryWindow?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if expiringWithin != nil, status != nil, status != .active {
                throw ValidationError("--expiring-within lists active keys only: leave out --status, or use --status active")
            }
        }

        func run() throws {
            try database.withStore { store in
                var records: [APIKeyRecord] = []
                var cursor: String?
                let now = Date()
                repeat {
                    let page = try store.listKeys(status: status, expiringWithin: expiringWithin, limit: 100, after: cursor, now: now)
                    records += page.items
                    cursor = page.hasMore ? page.nextCursor : nil
                } while cursor != nil
                if json {
                    emit(RecordJSON.keys(records, now: now))
                } else {
                    emit(KeyTable.render(records, now: now))
                }
                // 3, not 1: the listing worked, and found keys to act on.
                if expiringWithin != nil && !records.isEmpty { throw ExitCode(3) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key (never its secret).")

        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id (key_…).") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try database.withStore { store in
                guard let record = try store.key(id: id) else { throw CLIError.noSuchKey(id) }
                emit(json ? RecordJSON.key(record, now: Date()) : KeyTable.render([record], now: Date()))
            }
        }
    }

    struct Deactivate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a key for good. A running server refuses it on its next request.")

        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id (key_…).") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try database.withStore { store in
                guard let record = try store.deactivateKey(id: id, actor: "cli", remoteAddress: nil) else {
                    throw CLIError.noSuchKey(id)
                }
                emit(json ? RecordJSON.key(record, now: Date()) : "Deactivated \(record.id) (\(record.name)). It cannot be recovered.")
            }
        }
    }
}



enum CLIError: Error, CustomStringConvertible {
    case noSuchKey(String)

    var description: String {
        switch self {
        case .noSuchKey(let id): "no key with id \(id.prefix(64))"
        }
    }
}

/// A plain text table for `keys list` and `keys show`.
enum KeyTable {
    static func render(_ records: [APIKeyRecord], now: Date) -> String {
        let header = ["ID", "NAME", "KEY", "STATUS", "RPM", "CREATED", "EXPIRES", "LAST USED"]
        let rows = records.map { r in
            [r.id, r.name, r.hint, r.status(at: now).rawValue, String(r.rateLimitRPM), RFC3339.string(from: r.createdAt),
             r.expiresAt.map(RFC3339.string(from:)) ?? "-", r.lastUsedAt.map(RFC3339.string(from:)) ?? "-"]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }
                .joined(separator: "  ").trimmingWhitespace()
        }
        if rows.isEmpty { return "No keys." }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
