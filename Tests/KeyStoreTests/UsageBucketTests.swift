import Dispatch
import Foundation
import Synchronization
@testable import KeyStore
import Testing
import TestSupport

/// Usage over time: what the flush writes per minute, hour and day, the pruning of old minutes
/// and hours, and the zero-filled series the API and the CLI answer with.
@Suite struct UsageBucketTests {
    struct Request {
        let key: String
        let status: Int
        let at: Date
        var seconds = 1
    }

    /// Applies one batch as the flush would: each request counted in its key's minute, and a charge
    /// of `seconds` × 400 micro-credits for each 200.
    static func apply(_ requests: [Request], number: Int64, to store: KeyStore) throws {
        var batch = UsageBatch(number: number)
        for request in requests {
            batch.keys[request.key, default: UsageBatch.KeyUsage()].count(status: request.status, at: request.at)
            if request.status == 200 {
                batch.charges.append(.init(keyID: request.key, endpoint: "/transcribe", audioSeconds: request.seconds,
                                           costMicro: Int64(request.seconds) * 400, at: request.at))
            }
        }
        try store.applyUsage(batch)
    }

    static func range(_ granularity: UsageGranularity, from: Date, to: Date, now: Date) throws -> UsageRange {
        try UsageRange(granularity: granularity, from: from, to: to, now: now)
    }

    @Test func requestsAndCharges_landInTheirMinute_byStatus_andTheRestIsZeros() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(testEpoch))
            let a = try store.createTestKey("a").record.id
            let b = try store.createTestKey("b").record.id
            let t = testEpoch
            try Self.apply([
                Request(key: a, status: 200, at: t.addingTimeInterval(5), seconds: 3),
                Request(key: a, status: 400, at: t.addingTimeInterval(59.9)),
                Request(key: a, status: 401, at: t.addingTimeInterval(60)),
                Request(key: a, status: 200, at: t.addingTimeInterval(61)),
                Request(key: a, status: 429, at: t.addingTimeInterval(180)),
                Request(key: a, status: 402, at: t.addingTimeInterval(181)),
                Request(key: a, status: 413, at: t.addingTimeInterval(239)),
                Request(key: b, status: 200, at: t.addingTimeInterval(30), seconds: 10),
            ], number: 1, to: store)
            let range = try Self.range(.minute, from: t, to: t.addingTimeInterval(300), now: t.addingTimeInterval(300))
            let series = try #require(try store.usage(keyID: a, in: range))
            #expect(series.buckets.count == 5)
            #expect(series.buckets[0].status200 == 1 && series.buckets[0].status400 == 1)
            #expect(series.buckets[0].audioSeconds == 3 && series.buckets[0].creditsMicro == 1_200)
            #expect(series.buckets[1].status401 == 1 && series.buckets[1].status200 == 1 && series.buckets[1].creditsMicro == 400)
            #expect(series.buckets[2].isZero && series.buckets[4].isZero)
            #expect(series.buckets[3].status429 == 1 && series.buckets[3].status402 == 1 && series.buckets[3].status413 == 1)
            #expect(series.total.succeeded == 2 && series.total.refused == 5)
            // The same requests as the key's counters, and the same money as the ledger.
            let counted = try #require(try store.key(id: a))
            #expect(counted.succeededRequests == series.total.succeeded && counted.refusedRequests == series.total.refused)
            let charged = try store.ledger(limit: 100).items.filter { $0.kind == .charge && $0.keyID == a }
            #expect(-charged.reduce(0) { $0 + $1.amountMicro } == series.total.creditsMicro)

            let account = try store.accountUsage(in: range)
            #expect(account.buckets[0].status200 == 2 && account.buckets[0].audioSeconds == 13)
            #expect(account.total.creditsMicro == 1_600 + 4_000)
            #expect(try store.usage(keyID: "key_nosuchkey00000000000", in: range) == nil)
        }
    }

    @Test func theRecorder_countsByStatus_andAFlushWritesTheMinutes() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey().record.id
            let recorder = try UsageRecorder(store: store)
            for status in [200, 200, 400, 401, 402, 413, 429] {
                recorder.record(keyID: key, status: status, at: testEpoch.addingTimeInterval(10))
            }
            recorder.record(keyID: key, status: 200, at: testEpoch.addingTimeInterval(70))
            recorder.charge(.init(keyID: key, endpoint: "/pronunciation", audioSeconds: 2, costMicro: 1_200,
                                  at: testEpoch.addingTimeInterval(70)))
            try recorder.flush()
            let range = try Self.range(.minute, from: testEpoch, to: testEpoch.addingTimeInterval(120), now: testEpoch)
            let series = try #require(try store.usage(keyID: key, in: range))
            #expect(UsageCounts.statuses.map { series.buckets[0][status: $0] } == [2, 1, 1, 1, 1, 1])
            #expect(series.buckets[1].status200 == 1 && series.buckets[1].audioSeconds == 2 && series.buckets[1].creditsMicro == 1_200)
            #expect(try store.key(id: key)?.lastUsedAt == testEpoch.addingTimeInterval(70))
        }
    }

    /// Three months of random usage on two keys: after the pruning, minute rows are left only for
    /// the last 48 hours (whole hours) and hour rows for the last 90 days (whole days), and every
    /// answer the rules allow is the same as before, and as a count made here.
    @Test func pruning_deletesOldMinutesAndHours_andNoAnswerChanges() throws {
        try withTemporaryDatabase { path in
            let now = testEpoch.addingTimeInterval(13 * 3_600 + 25 * 60 + 7)  // mid-hour, mid-day
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(now))
            let keys = [try store.createTestKey("a").record.id, try store.createTestKey("b").record.id]
            var random = SeededRandom(seed: 0x5EED_B0C4)
            var requests: [Request] = []
            for _ in 0..<3_000 {
                // Dense near now (minutes), sparse further back (hours, days).
                let back = [3_600.0 * 60, 86_400.0 * 10, 86_400.0 * 120][Int.random(in: 0..<3, using: &random)]
                requests.append(Request(key: keys[Int.random(in: 0..<2, using: &random)],
                                        status: UsageCounts.statuses.randomElement(using: &random)!,
                                        at: now.addingTimeInterval(-Double.random(in: 0..<back, using: &random)),
                                        seconds: Int.random(in: 1...30, using: &random)))
            }
            for (number, chunk) in stride(from: 0, to: requests.count, by: 250).enumerated() {
                try Self.apply(Array(requests[chunk..<min(chunk + 250, requests.count)]), number: Int64(number + 1), to: store)
            }

            let days = try UsageRange(granularity: .day, from: now.addingTimeInterval(-130 * 86_400), to: now, now: now)
            let hours = try UsageRange(granularity: .hour, from: nil, to: nil, now: now)
            let minutes = try UsageRange(granularity: .minute, from: nil, to: nil, now: now)
            func answers() throws -> [UsageSeries] {
                try keys.flatMap { key in try [days, hours, minutes].map { try #require(try store.usage(keyID: key, in: $0)) } }
                    + [days, hours, minutes].map { try store.accountUsage(in: $0) }
            }
            let before = try answers()

            var passes = 0
            while try store.pruneUsage(now: now, limit: 100) > 0 { passes += 1 }
            #expect(passes > 5, "the pruning goes in batches of at most the limit")
            #expect(try store.pruneUsage(now: now) == 0)

            #expect(try answers() == before)
            let oldest = try store.read { db in
                try UsageGranularity.allCases.map { width -> Int64 in
                    try db.value("SELECT min(start) FROM usage_buckets WHERE granularity = ?", [width.seconds]) ?? 0
                }
            }
            #expect(oldest[0] >= UsageGranularity.minute.keptSince(now: now)!)
            #expect(oldest[1] >= UsageGranularity.hour.keptSince(now: now)!)
            #expect(Double(oldest[2]) <= now.addingTimeInterval(-119 * 86_400).timeIntervalSince1970)
            // Two keys and the account, each at most 49 hours of minutes and 91 days of hours.
            let counts = try store.usageRowCounts()
            #expect(counts[.minute]! <= 3 * 49 * 60 && counts[.hour]! <= 3 * 91 * 24 && counts[.day]! <= 3 * 121)

            // And all of it is what was sent, bucket by bucket, per key and for the account.
            var expected: [String: [UsageCounts]] = [:]
            for request in requests {
                let index = Int((UsageGranularity.day.bucketStart(Int64(request.at.timeIntervalSince1970.rounded(.down)))
                    - days.from) / 86_400)
                for owner in [request.key, "*"] {
                    expected[owner, default: [UsageCounts](repeating: UsageCounts(), count: days.bucketCount)][index]
                        .count(status: request.status)
                    if request.status == 200 {
                        expected[owner]![index].audioSeconds += Int64(request.seconds)
                        expected[owner]![index].creditsMicro += Int64(request.seconds) * 400
                    }
                }
            }
            #expect(try store.accountUsage(in: days).buckets == expected["*"])
            for key in keys { #expect(try store.usage(keyID: key, in: days)?.buckets == expected[key]) }
        }
    }

    /// A batch that arrives after its minute was pruned (it was late, or the clock jumped) counts in
    /// its hour and day at once, like any other; its minute row goes with the next pruning.
    @Test func aLateBatch_countsInItsHourAndDay_andItsMinuteRowIsPrunedLater() throws {
        try withTemporaryDatabase { path in
            let now = testEpoch
            let store = try KeyStore(path: path, clock: ManualClock(now))
            let key = try store.createTestKey().record.id
            let old = now.addingTimeInterval(-3 * 86_400 + 90)
            try Self.apply([Request(key: key, status: 200, at: old, seconds: 2)], number: 1, to: store)
            #expect(try store.usageRowCounts() == [.minute: 2, .hour: 2, .day: 2])  // the key's and the account's
            #expect(try store.pruneUsage(now: now) == 2)
            try Self.apply([Request(key: key, status: 400, at: old.addingTimeInterval(600))], number: 2, to: store)
            let hour = try UsageRange(granularity: .hour, from: old, to: old.addingTimeInterval(1), now: now)
            let read = { try #require(try store.usage(keyID: key, in: hour)).buckets[0] }
            #expect(try read().status200 == 1 && read().status400 == 1 && read().creditsMicro == 800)
            #expect(try store.accountUsage(in: hour).buckets[0] == read())
            #expect(try store.usageRowCounts() == [.minute: 2, .hour: 2, .day: 2])
            #expect(try store.pruneUsage(now: now) == 2)
            #expect(try store.usageRowCounts() == [.minute: 0, .hour: 2, .day: 2])
            #expect(try read().status200 == 1 && read().status400 == 1 && read().creditsMicro == 800)
        }
    }

    @Test func aFixtureReset_deletesTheUsageRows() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey().record.id
            try Self.apply([Request(key: key, status: 200, at: testEpoch)], number: 1, to: store)
            let done = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<Void, any Error>?>(nil)
            store.resetForFixture(plan: .pro, balanceMicro: 1_000_000, actor: "test", remoteAddress: nil) { result in
                outcome.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            try #require(outcome.withLock { $0 }).get()
            #expect(try store.usageRowCounts() == [.minute: 0, .hour: 0, .day: 0])
        }
    }

    // MARK: - Ranges

    @Test func defaults_endWithTheCurrentBucket_andFitTheCap() throws {
        let now = testEpoch.addingTimeInterval(90)  // 00:01:30
        let hour = try UsageRange.parse(granularity: nil, from: nil, to: "", now: now)
        #expect(hour.granularity == .hour && hour.to == Int64(testEpoch.timeIntervalSince1970) + 3_600)
        #expect(hour.bucketCount == 720)
        let minute = try UsageRange.parse(granularity: "minute", from: nil, to: nil, now: now)
        #expect(minute.to == Int64(testEpoch.timeIntervalSince1970) + 120 && minute.bucketCount == 720)
        #expect(try UsageRange.parse(granularity: "day", from: nil, to: nil, now: now).bucketCount == 365)
        // Only `to`, far enough back that the default would reach past what is kept: cut to it.
        let late = try UsageRange(granularity: .minute, from: nil, to: now.addingTimeInterval(-47 * 3_600), now: now)
        #expect(late.from == UsageGranularity.minute.keptSince(now: now))
        #expect(throws: UsageRangeError.self) {
            try UsageRange(granularity: .minute, from: nil, to: now.addingTimeInterval(-50 * 3_600), now: now)
        }
    }

    @Test func fromAndTo_areAlignedOutwards_fromInclusiveToExclusive() throws {
        let now = testEpoch.addingTimeInterval(3_600)
        let t = Int64(testEpoch.timeIntervalSince1970)
        let range = try UsageRange.parse(granularity: "minute", from: "2026-11-27T00:00:30Z", to: "2026-11-27T00:02:00.5Z",
                                         now: now)
        #expect(range.from == t && range.to == t + 180 && range.bucketCount == 3)
        let exact = try UsageRange.parse(granularity: "minute", from: "2026-11-27T00:00:00Z", to: "2026-11-27T00:02:00Z",
                                         now: now)
        #expect(exact.from == t && exact.to == t + 120)
        let offset = try UsageRange.parse(granularity: "hour", from: "2026-11-27T01:30:00+01:00", to: nil, now: now)
        #expect(offset.from == t)
        // Before 1970 too: floors, not truncations.
        let ancient = try UsageRange.parse(granularity: "day", from: "0000-01-01T12:00:00Z", to: "0000-12-31T00:00:01Z",
                                           now: now)
        #expect(ancient.from % 86_400 == 0 && ancient.bucketCount == 366)
        #expect(RFC3339.string(from: ancient.start(ofBucket: 0)) == "0000-01-01T00:00:00Z")
    }

    @Test func refused_emptyRanges_pastTheCap_pastTheRetention_andBadText() throws {
        let now = testEpoch
        func refusal(_ granularity: String?, _ from: String?, _ to: String?) -> String? {
            do {
                _ = try UsageRange.parse(granularity: granularity, from: from, to: to, now: now)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(refusal("hour", "2026-11-26T00:00:00Z", "2026-11-26T00:00:00Z") == "from must be before to")
        #expect(refusal("hour", "2026-11-26T01:00:00Z", "2026-11-26T00:00:00Z") == "from must be before to")
        #expect(refusal("hour", "2026-11-27T02:00:00Z", nil) == "from must be before to")  // after the default end
        #expect(refusal("week", nil, nil) == "granularity must be one of minute, hour, day")
        #expect(refusal(nil, "yesterday", nil) == "from must be an RFC 3339 time such as 2030-01-01T00:00:00Z")
        #expect(refusal(nil, nil, "2026-11-27 00:00:00Z") == "to must be an RFC 3339 time such as 2030-01-01T00:00:00Z")
        #expect(refusal("day", "2024-01-01T00:00:00Z", "2026-09-27T00:00:00Z") == nil)  // 1,000 days
        #expect(refusal("day", "2024-01-01T00:00:00Z", "2026-09-28T00:00:00Z")
            == "at most 1000 buckets per answer: this range is 1001 day buckets; narrow it or use a coarser granularity")
        // Minutes reach back to the start of the hour 48 hours ago; hours to the day 90 days ago.
        #expect(refusal("minute", "2026-11-25T00:00:00Z", "2026-11-25T01:00:00Z") == nil)
        #expect(refusal("minute", "2026-11-24T23:59:00Z", "2026-11-25T01:00:00Z")
            == "minute buckets are kept for 48 hours, then rolled up: from must be 2026-11-25T00:00:00Z or later for "
                + "granularity=minute (granularity=hour reaches further back)")
        #expect(refusal("hour", "2026-08-29T00:00:00Z", "2026-09-10T00:00:00Z") == nil)
        #expect(refusal("hour", "2026-08-28T23:00:00Z", "2026-09-10T00:00:00Z")?.hasPrefix("hour buckets are kept for 90 days") == true)
        #expect(refusal("day", "2016-01-01T00:00:00Z", "2016-02-01T00:00:00Z") == nil)  // days are kept
    }

    /// A key's usage, and the account's, is one walk of the primary key: one row per bucket, no
    /// table scan and no sort, whatever the table holds.
    @Test func usageQuery_walksThePrimaryKey() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let plan = try store.read { db in
                try db.rows("EXPLAIN QUERY PLAN " + KeyStore.seriesSQL, ["k", 3_600, 0, 1]).map { try $0[3] as String }
            }
            #expect(plan.count == 1 && plan[0].contains("USING PRIMARY KEY (key_id=? AND granularity=? AND start>? AND start<?)"),
                    "\(plan)")
        }
    }
}
