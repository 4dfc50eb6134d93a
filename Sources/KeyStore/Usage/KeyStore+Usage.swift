import FoundationEssentials

/// Usage over time: per key, per bucket, requests by outcome, audio seconds and credits
/// (`usage_buckets`, migration 0005). The usage flush adds each request to its minute, hour and day
/// rows, for its key and for the account (`applyUsage`); the server's flush thread deletes the rows
/// past their width's retention (`pruneUsage`); the API and the CLI read zero-filled series
/// (`usage`), one row per bucket.
extension KeyStore {
    /// The `key_id` of the account's rows: every key together. No key id can be it (`key_…`).
    static let accountRows = "*"

    /// A key's usage over `range`; nil when no key has this id.
    public func usage(keyID: String, in range: UsageRange) throws -> UsageSeries? {
        try read { db in
            try db.transaction(.deferred) {
                let found: Int = try db.value("SELECT count(*) FROM api_keys WHERE id = ?", [keyID]) ?? 0
                guard found > 0 else { return nil }
                return try Self.series(rowsOf: keyID, range, in: db)
            }
        }
    }

    /// The account's usage over `range`: every key's, deactivated keys included.
    public func accountUsage(in range: UsageRange) throws -> UsageSeries {
        try read { db in try Self.series(rowsOf: Self.accountRows, range, in: db) }
    }

    /// Deletes one batch, at most `limit` rows, of what is past its width's retention at `now`:
    /// minute rows whose hour ended more than 48 hours ago, then hour rows whose day ended more
    /// than 90 days ago. What they held is in the wider rows already (the flush writes every
    /// width). Returns how many rows went; 0 when nothing is due.
    public func pruneUsage(now: Date, limit: Int = 500) throws -> Int {
        try write { db in
            for width in [UsageGranularity.minute, .hour] {
                guard let kept = width.keptSince(now: now) else { continue }
                try db.run(
                    """
                    DELETE FROM usage_buckets WHERE (key_id, granularity, start) IN (
                        SELECT key_id, granularity, start FROM usage_buckets
                        WHERE granularity = ? AND start < ? ORDER BY start LIMIT ?)
                    """, [width.seconds, kept, limit])
                if db.changes > 0 { return db.changes }
            }
            return 0
        }
    }

    /// Rows in `usage_buckets`, by width, the account's included (for tests).
    public func usageRowCounts() throws -> [UsageGranularity: Int] {
        try read { db in
            var counts: [UsageGranularity: Int] = [:]
            for width in UsageGranularity.allCases {
                counts[width] = try db.value("SELECT count(*) FROM usage_buckets WHERE granularity = ?", [width.seconds]) ?? 0
            }
            return counts
        }
    }

    // MARK: - Writing

    /// The flush's part: a batch's requests (by key and minute) and its charges (in the minute of
    /// their time), added to the minute, hour and day rows of their key and of the account. Every
    /// width is written now, so a read takes one row per bucket, and the account's usage one row
    /// per bucket whatever the number of keys.
    static func addBuckets(of batch: UsageBatch, in db: Connection) throws {
        var minutes: [BucketID: UsageCounts] = [:]
        for (keyID, usage) in batch.keys {
            for (minute, counts) in usage.minutes {
                minutes[BucketID(keyID: keyID, start: minute), default: UsageCounts()].add(counts)
            }
        }
        for charge in batch.charges {
            let id = BucketID(keyID: charge.keyID, start: UsageGranularity.minute.bucketStart(charge.at.unixSeconds))
            minutes[id, default: UsageCounts()].audioSeconds += Int64(charge.audioSeconds)
            minutes[id, default: UsageCounts()].creditsMicro += charge.costMicro
        }
        for width in UsageGranularity.allCases {
            var rows: [BucketID: UsageCounts] = [:]
            for (id, counts) in minutes {
                let start = width.bucketStart(id.start)
                rows[BucketID(keyID: id.keyID, start: start), default: UsageCounts()].add(counts)
                rows[BucketID(keyID: accountRows, start: start), default: UsageCounts()].add(counts)
            }
            for (id, counts) in rows {
                try add(counts, keyID: id.keyID, width: width, start: id.start, in: db)
            }
        }
    }

    /// Adds `counts` to one bucket row, making it if needed.
    private static func add(_ counts: UsageCounts, keyID: String, width: UsageGranularity, start: Int64,
                            in db: Connection) throws {
        try db.run(
            """
            INSERT INTO usage_buckets (key_id, granularity, start, requests_200, requests_400, requests_401, requests_402,
                requests_413, requests_429, audio_seconds, credits_micro)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (key_id, granularity, start) DO UPDATE SET
                requests_200 = requests_200 + excluded.requests_200,
                requests_400 = requests_400 + excluded.requests_400,
                requests_401 = requests_401 + excluded.requests_401,
                requests_402 = requests_402 + excluded.requests_402,
                requests_413 = requests_413 + excluded.requests_413,
                requests_429 = requests_429 + excluded.requests_429,
                audio_seconds = audio_seconds + excluded.audio_seconds,
                credits_micro = credits_micro + excluded.credits_micro
            """,
            [keyID, width.seconds, start, counts.status200, counts.status400, counts.status401, counts.status402,
             counts.status413, counts.status429, counts.audioSeconds, counts.creditsMicro])
    }

    // MARK: - Reading

    /// A range's buckets from the rows of `keyID` (a key's, or the account's): one row per bucket
    /// with usage, zeros elsewhere. `UsageRange` refuses a range reaching back past what its width
    /// keeps, so every bucket asked for has its row if it had usage.
    private static func series(rowsOf keyID: String, _ range: UsageRange, in db: Connection) throws -> UsageSeries {
        var buckets = [UsageCounts](repeating: UsageCounts(), count: range.bucketCount)
        let width = range.granularity.seconds
        // Columns read straight from the statement: up to 1,000 rows.
        try db.withPrepared(seriesSQL, bind: { try $0.bind([keyID, width, range.from, range.to]) }) { row in
            while try row.step() {
                let index = Int((try row.int64(0) - range.from) / width)
                buckets[index].status200 = Int(try row.int64(1))
                buckets[index].status400 = Int(try row.int64(2))
                buckets[index].status401 = Int(try row.int64(3))
                buckets[index].status402 = Int(try row.int64(4))
                buckets[index].status413 = Int(try row.int64(5))
                buckets[index].status429 = Int(try row.int64(6))
                buckets[index].audioSeconds = try row.int64(7)
                buckets[index].creditsMicro = try row.int64(8)
            }
        }
        return UsageSeries(range: range, buckets: buckets)
    }

    static let seriesSQL = """
        SELECT start, requests_200, requests_400, requests_401, requests_402, requests_413, requests_429, audio_seconds,
            credits_micro
        FROM usage_buckets WHERE key_id = ? AND granularity = ? AND start >= ? AND start < ?
        """
}

/// One bucket row's key: the key and the bucket's start (the width is the caller's).
private struct BucketID: Hashable {
    let keyID: String
    let start: Int64
}
