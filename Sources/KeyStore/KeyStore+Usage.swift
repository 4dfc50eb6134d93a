import FoundationEssentials

/// Usage over time: per key, per bucket, requests by outcome, audio seconds and credits
/// (`usage_buckets`, migration 0005). The usage flush adds to minute buckets (`applyUsage`); the
/// server's flush thread rolls old rows up (`rollUpUsage`); the API and the CLI read zero-filled
/// series (`usage`).
extension KeyStore {
    /// A key's usage over `range`; nil when no key has this id.
    public func usage(keyID: String, in range: UsageRange) throws -> UsageSeries? {
        try read { db in
            try db.transaction(.deferred) {
                let found: Int = try db.value("SELECT count(*) FROM api_keys WHERE id = ?", [keyID]) ?? 0
                guard found > 0 else { return nil }
                return try Self.series(keyID: keyID, range, in: db)
            }
        }
    }

    /// The account's usage over `range`: every key's, deactivated keys included.
    public func accountUsage(in range: UsageRange) throws -> UsageSeries {
        try read { db in try Self.series(keyID: nil, range, in: db) }
    }

    /// Rolls up one batch, at most `limit` rows, of what has aged past its width's retention at
    /// `now`: minute rows first, then hour rows. Each row's counts are added to the wider bucket that
    /// holds it and the row is deleted, in one transaction, so no total ever changes, whatever a
    /// reader's snapshot. Returns how many rows were rolled up; 0 when nothing is due.
    public func rollUpUsage(now: Date, limit: Int = 500) throws -> Int {
        try write { db in
            for width in [UsageGranularity.minute, .hour] {
                guard let kept = width.keptSince(now: now), let wider = width.coarser else { continue }
                let moved = try Self.rollUp(width, into: wider, before: kept, limit: limit, in: db)
                if moved > 0 { return moved }
            }
            return 0
        }
    }

    /// Rows in `usage_buckets`, by width (for tests and `db check`-style inspection).
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

    /// The flush's part: a batch's requests (by key and minute) and its charges (into the minute of
    /// their time), added to the minute rows.
    static func addMinuteBuckets(of batch: UsageBatch, in db: Connection) throws {
        var buckets: [BucketID: UsageCounts] = [:]
        for (keyID, usage) in batch.keys {
            for (minute, counts) in usage.minutes {
                buckets[BucketID(keyID: keyID, start: minute), default: UsageCounts()].add(counts)
            }
        }
        for charge in batch.charges {
            let id = BucketID(keyID: charge.keyID, start: UsageGranularity.minute.bucketStart(charge.at.unixSeconds))
            buckets[id, default: UsageCounts()].audioSeconds += Int64(charge.audioSeconds)
            buckets[id, default: UsageCounts()].creditsMicro += charge.costMicro
        }
        for (id, counts) in buckets {
            try add(counts, keyID: id.keyID, width: .minute, start: id.start, in: db)
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

    /// Moves up to `limit` rows of `width` that start before `cutoff`, oldest first, into `wider`.
    /// A row written after its wider bucket was rolled up (a batch that was late) is simply added
    /// to it the next time: the add is a sum, not a replace.
    private static func rollUp(_ width: UsageGranularity, into wider: UsageGranularity, before cutoff: Int64, limit: Int,
                               in db: Connection) throws -> Int {
        let rows = try db.rows(
            """
            SELECT key_id, start, \(countColumns) FROM usage_buckets
            WHERE granularity = ? AND start < ? ORDER BY start LIMIT ?
            """, [width.seconds, cutoff, limit])
        var sums: [BucketID: UsageCounts] = [:]
        for row in rows {
            let keyID: String = try row[0]
            let start: Int64 = try row[1]
            sums[BucketID(keyID: keyID, start: wider.bucketStart(start)), default: UsageCounts()].add(try counts(row, from: 2))
            try db.run("DELETE FROM usage_buckets WHERE key_id = ? AND granularity = ? AND start = ?",
                       [keyID, width.seconds, start])
        }
        for (id, counts) in sums {
            try add(counts, keyID: id.keyID, width: wider, start: id.start, in: db)
        }
        return rows.count
    }

    // MARK: - Reading

    /// The columns a bucket's counts are read from, in `UsageCounts` order.
    private static let countColumns = """
        requests_200, requests_400, requests_401, requests_402, requests_413, requests_429, audio_seconds, credits_micro
        """

    private static func counts(_ row: Row, from offset: Int) throws -> UsageCounts {
        var counts = UsageCounts()
        counts.status200 = try row[offset]
        counts.status400 = try row[offset + 1]
        counts.status401 = try row[offset + 2]
        counts.status402 = try row[offset + 3]
        counts.status413 = try row[offset + 4]
        counts.status429 = try row[offset + 5]
        counts.audioSeconds = try row[offset + 6]
        counts.creditsMicro = try row[offset + 7]
        return counts
    }

    /// A range's buckets: every row of this width or finer that starts inside it (finer rows not
    /// rolled up yet are summed into the bucket that holds them), zeros elsewhere. Rows wider than
    /// the range's width cannot be inside it: `UsageRange` refuses a range reaching back that far.
    private static func series(keyID: String?, _ range: UsageRange, in db: Connection) throws -> UsageSeries {
        var buckets = [UsageCounts](repeating: UsageCounts(), count: range.bucketCount)
        let width = range.granularity.seconds
        let sql = keyID == nil ? accountSQL[range.granularity]! : keySQL[range.granularity]!
        // Columns read straight from the statement: 30 days of hours on a busy key is ~3,600 rows.
        try db.withPrepared(sql, bind: { statement in
            if let keyID {
                try statement.bind([keyID, range.from, range.to])
            } else {
                try statement.bind([range.from, range.to])
            }
        }) { row in
            while try row.step() {
                let index = Int((try row.int64(0) - range.from) / width)
                buckets[index].status200 += Int(try row.int64(1))
                buckets[index].status400 += Int(try row.int64(2))
                buckets[index].status401 += Int(try row.int64(3))
                buckets[index].status402 += Int(try row.int64(4))
                buckets[index].status413 += Int(try row.int64(5))
                buckets[index].status429 += Int(try row.int64(6))
                buckets[index].audioSeconds += try row.int64(7)
                buckets[index].creditsMicro += try row.int64(8)
            }
        }
        return UsageSeries(range: range, buckets: buckets)
    }

    /// Widths at or finer than each granularity, as an `IN` list: SQLite then walks the primary
    /// key (or the time index) once per width, each a range on `start`.
    private static func widths(upTo granularity: UsageGranularity) -> String {
        UsageGranularity.allCases.filter { $0.seconds <= granularity.seconds }.map { String($0.seconds) }
            .joined(separator: ", ")
    }

    static let keySQL = Dictionary(uniqueKeysWithValues: UsageGranularity.allCases.map { granularity in
        (granularity, """
            SELECT start, \(countColumns) FROM usage_buckets
            WHERE key_id = ? AND granularity IN (\(widths(upTo: granularity))) AND start >= ? AND start < ?
            """)
    })

    static let accountSQL = Dictionary(uniqueKeysWithValues: UsageGranularity.allCases.map { granularity in
        (granularity, """
            SELECT start, \(countColumns) FROM usage_buckets
            WHERE granularity IN (\(widths(upTo: granularity))) AND start >= ? AND start < ?
            """)
    })
}

/// One bucket row's key: the key and the bucket's start (the width is the caller's).
private struct BucketID: Hashable {
    let keyID: String
    let start: Int64
}
