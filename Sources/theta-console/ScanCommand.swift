import ArgumentParser
import FoundationEssentials
import Glibc
import KeyStore
import ThetaConsole

/// How `scan` prints its findings.
enum ScanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find leaked API keys: every sk-theta- key with a valid checksum, in files, folders or stdin.",
        discussion: """
            Prints one line per key found, FILE:LINE:COLUMN KEY_ID (STATUS) HINT, where STATUS is \
            active, inactive, expired or unknown, and HINT is sk-theta-abcd…wxyz: the full key is never \
            printed. Without --db nothing says which key it is: KEY_ID is '-' and STATUS unknown. \
            Look-alikes (the key's shape with a failing checksum) are counted in the summary on stderr, \
            not reported. Files with a NUL byte in their first 8 KiB are skipped as binary; with -r, \
            .git is skipped, symbolic links are not followed, and .gitignore is not honoured \
            (ignored files such as .env are where keys leak).

            Exit status: 1 if a live key was found (active, or unknown: not known to be refused) or \
            a path could not be read; 0 if every key found is inactive or expired, or none was found; \
            64 for a usage error. --deactivate does not change the status: the key was in the text.
            """)

    @Argument(help: "Files or folders to scan ('-' is stdin). Stdin when none is given.")
    var paths: [String] = []

    @Flag(name: [.customShort("r"), .long], help: "Scan folders, recursively (skipping .git).")
    var recursive = false

    @Option(help: "Look the keys found up in this database: their id and status.")
    var db: String?

    @Flag(help: "Deactivate every active key found (needs --db), each in its own transaction, audited with reason leak_scan and the file.")
    var deactivate = false

    @Flag(help: "One JSON object per key found, one per line (--format json).")
    var json = false

    @Option(help: "text, json (one object per line) or sarif (SARIF 2.1.0, for code scanning).")
    var format: ScanFormat = .text

    @Flag(name: [.customShort("v"), .long], help: "Say on stderr what was skipped (binary files, .git, links).")
    var verbose = false

    func validate() throws {
        if deactivate && db == nil { throw ValidationError("--deactivate needs --db: without a database no key can be deactivated") }
        if json && format == .sarif { throw ValidationError("give --json or --format sarif, not both") }
    }

    func run() throws {
        let format = json ? ScanFormat.json : self.format
        try runReportingFailures {
            var store: KeyStore?
            if let db {
                // Opening would create (and migrate) a missing file; a typo must not look like "no keys known".
                guard access(db, F_OK) == 0 else {
                    printError("theta-console: no database at \(db)")
                    throw ExitCode.failure
                }
                store = try KeyStore(path: db)
            }
            defer { try? store?.close() }
            var sarif = SARIFLog()
            let scan = LeakScan(store: store, deactivate: deactivate, recursive: recursive, verbose: verbose) { file, finding, deactivated in
                switch format {
                case .text:
                    emit("\(LeakScan.printable(file)):\(finding.finding.line):\(finding.finding.column) "
                         + "\(finding.record?.id ?? "-") (\(finding.status)) \(finding.finding.hint)")
                case .json:
                    var json = JSONWriter()
                    finding.writeJSON(to: &json, file: file, deactivated: deactivated)
                    emit(String(decoding: json.bytes, as: UTF8.self))
                case .sarif:
                    sarif.add(file: file, finding, deactivated: deactivated)
                }
            }
            try scan.run(paths)
            let totals = scan.totals
            if format == .sarif { emit(sarif.render(totals, succeeded: totals.problems == 0)) }
            printError(Self.summary(totals))
            if totals.live > 0 || totals.problems > 0 { throw ExitCode.failure }
        }
    }

    /// `theta-console scan: 3 files, 1,024 bytes: 2 keys (1 live), 1 look-alike with a bad checksum, …`
    static func summary(_ totals: LeakScan.Totals) -> String {
        var parts = ["\(plural(totals.findings, "key")) (\(totals.live) live)",
                     "\(plural(totals.lookalikes, "look-alike")) with a bad checksum ignored"]
        if totals.binary > 0 { parts.append("\(plural(totals.binary, "binary file")) skipped") }
        if totals.deactivated > 0 { parts.append("\(plural(totals.deactivated, "key")) deactivated") }
        if totals.problems > 0 { parts.append("\(plural(totals.problems, "path")) not read") }
        return "theta-console scan: \(plural(totals.files, "file")), \(plural(totals.bytes, "byte")): "
            + parts.joined(separator: ", ")
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
