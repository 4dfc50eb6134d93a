import ArgumentParser
import FoundationEssentials
import KeyStore
import ThetaConsole

extension KeysCommand {
    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a key's usage over time: requests by status, audio seconds and credits, per minute, hour or day.",
            discussion: """
                Reads the file, not a running server: a server writes usage once a second, so the \
                newest second may be missing (GET /v1/keys/{id}/usage never lags). Times are UTC. \
                Minute buckets are kept for 48 hours and hour buckets for 90 days, then rolled up; \
                day buckets are kept. Without --granularity, the finest one that is still kept for \
                the whole span and needs at most 1,000 buckets is used. The table leaves out empty \
                buckets; --json prints the API's answer, every bucket included.
                """)

        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id (key_…).") var id: String
        @Option(help: "How far back: a whole number with s, m, h or d, e.g. 90m, 24h, 30d.") var since = "24h"
        @Option(help: "minute, hour or day (default: see below).") var granularity: UsageGranularity?
        @Flag(help: "Print the API's JSON.") var json = false

        func validate() throws {
            guard let seconds = DurationText.seconds(since), seconds > 0 else {
                throw ValidationError("--since must be a whole number with s, m, h or d, e.g. 24h")
            }
        }

        func run() throws {
            try database.withStore { store in
                let now = store.clock.now()
                let range = try Self.range(since: Double(DurationText.seconds(since) ?? 0), granularity: granularity, now: now)
                guard let record = try store.key(id: id), let series = try store.usage(keyID: id, in: range) else {
                    throw CLIError.noSuchKey(id)
                }
                emit(json ? RecordJSON.usage(series) : UsageTable.render(series, key: record))
            }
        }

        /// The range from `since` ago to the end of the current bucket. Without a granularity, the
        /// finest that the API would accept for it.
        static func range(since seconds: Double, granularity: UsageGranularity?, now: Date) throws -> UsageRange {
            let from = now.addingTimeInterval(-seconds)
            var refusal: UsageRangeError?
            for width in granularity.map({ [$0] }) ?? UsageGranularity.allCases {
                do {
                    return try UsageRange(granularity: width, from: from, to: nil, now: now)
                } catch {
                    refusal = error  // the widest one's reason: what would have to change
                }
            }
            throw ValidationError((refusal?.message ?? "no granularity fits").replacingGranularityWords())
        }
    }
}

private extension String {
    /// The API's words for its parameters, as the CLI's options.
    func replacingGranularityWords() -> String {
        replacing("granularity=", with: "--granularity ").replacing("from must", with: "--since must")
    }
}

/// A plain text table of a usage series: non-empty buckets and a total.
enum UsageTable {
    static func render(_ series: UsageSeries, key: APIKeyRecord) -> String {
        let range = series.range
        let header = ["START"] + UsageCounts.statuses.map(String.init) + ["AUDIO S", "CREDITS"]
        func cells(_ start: String, _ counts: UsageCounts) -> [String] {
            [start] + UsageCounts.statuses.map { String(counts[status: $0]) }
                + [String(counts.audioSeconds), Credits.format(micro: counts.creditsMicro)]
        }
        var rows: [[String]] = []
        for (index, counts) in series.buckets.enumerated() where !counts.isZero {
            rows.append(cells(RFC3339.string(from: range.start(ofBucket: index)), counts))
        }
        rows.append(cells("TOTAL", series.total))
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { column, pair in
                let padding = String(repeating: " ", count: max(0, pair.1 - pair.0.count))
                return column == 0 ? pair.0 + padding : padding + pair.0  // numbers right-aligned
            }.joined(separator: "  ")
        }
        let to = RFC3339.string(from: Date(timeIntervalSince1970: Double(range.to)))
        let shown = rows.count - 1
        return ([
            "Usage of \(key.id) (\(key.name)) per \(range.granularity.rawValue), "
                + "\(RFC3339.string(from: range.start(ofBucket: 0))) to \(to) (UTC):",
            line(header),
        ] + rows.map(line) + [
            "\(range.bucketCount) buckets, \(shown) with usage\(shown < range.bucketCount ? " (empty ones not shown)" : "")",
        ]).joined(separator: "\n")
    }
}
