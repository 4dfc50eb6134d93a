import ArgumentParser
import FoundationEssentials
import Glibc
import KeyStore
import ThetaConsole

extension KeysCommand {
    struct Roll: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll a key: a new key with the same name, expiry, rate limit and allowlist. Its secret is printed once.",
            discussion: """
                The old key keeps working until the grace ends (default: it ends now), then answers 401 \
                like a deactivated key, for good. The two share one rate-limit window while both work, \
                and count as one key against the plan. Only an active key that was not rolled already \
                can be rolled.
                """)

        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id (key_…).") var id: String
        @Option(help: "How long the old key keeps working: 0, or a number with s, m, h or d, up to 24h (e.g. 15m, 1h).")
        var grace = "0"
        @Flag(help: "Print the API's JSON for the new key, including the secret.") var json = false

        func validate() throws {
            guard let seconds = DurationText.seconds(grace), seconds <= 86_400 else {
                throw ValidationError("--grace must be 0, or a number with s, m, h or d, at most 24h")
            }
        }

        func run() throws {
            let seconds = DurationText.seconds(grace) ?? 0
            try database.withStore { store in
                guard let rolled = try store.rollKey(id: id, grace: seconds, actor: "cli", remoteAddress: nil) else {
                    throw CLIError.noSuchKey(id)
                }
                if json {
                    emit(RecordJSON.key(rolled.new, now: Date(), secret: rolled.secret))
                } else {
                    let until = rolled.old.graceUntil.map(RFC3339.string(from:)) ?? "now"
                    emit("Rolled \(rolled.old.id) to \(rolled.new.id) (\(rolled.new.name)); the old key works until \(until).")
                    emit("API key, shown once; store it now: \(rolled.secret)")
                }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a key whose secret you already have (a fixture's fixed key), read from standard input.",
            discussion: """
                The secret is read from the first line of standard input, never from the command line \
                (where ps shows it). It must be a well-formed sk-theta- key with a valid checksum \
                ('keys generate' makes one). Only its SHA-256 is stored; nothing prints it.
                """)

        @OptionGroup var database: DatabaseOption
        @Option(help: "A name for managing the key (1 to 100 characters).") var name: String
        @Flag(help: "Read the secret from standard input (required: the secret is never an argument).") var keyStdin = false
        @Option(help: "Expiry: RFC 3339, or YYYY-MM-DD meaning the end of that day UTC.") var expiresAt: String?
        @Option(help: "Rate limit in requests per minute, 1 to 100 (default 100).") var rpm: Int?
        @Option(help: "The highest --rpm allowed (a 'separate contract').") var maxKeyRPM = 100
        @Option(name: .customLong("allow-cidr"), help: "An address range the key may be used from (repeat for more; default: any).")
        var allowCIDRs: [String] = []
        @Flag(help: "Print the key's JSON record.") var json = false

        func validate() throws {
            guard keyStdin else { throw ValidationError("give --key-stdin and the secret on standard input") }
            guard maxKeyRPM >= 1 else { throw ValidationError("--max-key-rpm must be at least 1") }
        }

        func run() throws {
            try runReportingFailures {
                let secret = readLine(strippingNewline: true)?.trimmingWhitespace() ?? ""
                guard !secret.isEmpty else { throw ValidationError("no secret on standard input") }
                let spec = try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm,
                                                allowedCIDRs: allowCIDRs.isEmpty ? nil : allowCIDRs, now: Date(), maxRPM: maxKeyRPM)
                guard APIKeyFormat.isWellFormed(secret) else { throw KeySpecError.keyMalformed }
                let store = try KeyStore(path: database.db)
                defer { try? store.close() }
                let record = try store.importKey(spec, secret: secret, actor: "cli", remoteAddress: nil)
                emit(json ? RecordJSON.key(record, now: Date()) : "Imported \(record.id) (\(record.name)), \(record.hint).")
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fresh, well-formed secret, touching no database (for fixtures: pair with 'keys import' or --seed-keys).")

        func run() throws {
            try runReportingFailures {
                emit(try APIKeyFormat.generateKey().secret)
            }
        }
    }
}

/// Durations on the command line: `0`, or a whole number with `s`, `m`, `h` or `d`.
enum DurationText {
    static func seconds(_ text: String) -> Int? {
        if text == "0" { return 0 }
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 0, text.dropLast().allSatisfy(\.isASCII) else {
            return nil
        }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3_600
        case "d": scale = 86_400
        default: return nil
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}
