import Foundation
import KeyStore
import Testing

@Suite struct AccountTests {
    @Test func newDatabase_startsOnFreeWith20Cents_andAGrantInTheLedger() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let account = try store.account()
            #expect(account.plan == .free)
            #expect(account.balanceMicro == 200_000)
            let ledger = try store.ledger(limit: 10).items
            #expect(ledger.count == 1)
            #expect(ledger[0].kind == .grant && ledger[0].amountMicro == 200_000 && ledger[0].balanceAfterMicro == 200_000)
        }
    }

    @Test func updateAccount_recordsEachChangeInTheLedgerAndTheAuditLog() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let updated = try store.updateAccount(plan: .pro, balanceMicro: 10_000_000, actor: "api", remoteAddress: "127.0.0.1")
            #expect(updated.plan == .pro && updated.balanceMicro == 10_000_000)
            // The plan change starts a Pro cycle (Free's 0.20 expire, Pro's 24 are granted), then the
            // balance is set: one adjustment from 24 to 10.
            let kinds = try store.ledger(limit: 10).items.map(\.kind)
            #expect(kinds == [.adjustment, .grant, .expire, .planChange, .grant])
            let adjustment = try store.ledger(limit: 1).items[0]
            #expect(adjustment.amountMicro == -14_000_000 && adjustment.balanceAfterMicro == 10_000_000)
            let event = try store.auditEvents(limit: 1).items[0]
            #expect(event.action == "account.updated")
            #expect(event.detail == "plan free → pro; balance 0.2 → 10")
            // No change, no entries.
            try store.updateAccount(plan: .pro, actor: "api")
            #expect(try store.ledger(limit: 10).items.count == 5)
        }
    }

    @Test func keyCount_isLimitedByThePlan_countingActiveKeysOnly() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore(path: path, clock: clock)
            let first = try store.createTestKey("one")
            #expect(throws: KeyStoreError.keyLimitReached(plan: .free, limit: 1)) { try store.createTestKey("two") }
            // A deactivated key no longer counts.
            _ = try store.deactivateKey(id: first.record.id, actor: "cli", remoteAddress: nil)
            let second = try store.createTestKey("two", expiresAt: testEpoch.addingTimeInterval(60))
            #expect(throws: KeyStoreError.keyLimitReached(plan: .free, limit: 1)) { try store.createTestKey("three") }
            // Nor does an expired one.
            clock.advance(by: 60)
            _ = try store.createTestKey("three")
            try store.updateAccount(plan: .starter, actor: "cli")
            _ = try store.createTestKey("four")
            _ = try store.createTestKey("five")
            #expect(throws: KeyStoreError.keyLimitReached(plan: .starter, limit: 3)) { try store.createTestKey("six") }
            try store.updateAccount(plan: .pro, actor: "cli")
            for i in 0..<5 { _ = try store.createTestKey("pro \(i)") }
            #expect(second.record.status(at: clock.now()) == .expired)
        }
    }

    @Test func applyUsage_chargesInOrder_countsRequests_andRecordsTheBatch() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey()
            var batch = UsageBatch(number: 1)
            var usage = UsageBatch.KeyUsage()
            usage.count(status: 200, at: testEpoch)
            usage.count(status: 200, at: testEpoch.addingTimeInterval(5))
            usage.count(status: 429, at: testEpoch.addingTimeInterval(1))
            batch.keys[key.record.id] = usage
            batch.charges = [
                UsageBatch.Charge(keyID: key.record.id, endpoint: "/transcribe", audioSeconds: 10, costMicro: 4_000, at: testEpoch),
                UsageBatch.Charge(keyID: key.record.id, endpoint: "/transcribe", audioSeconds: 1, costMicro: 400, at: testEpoch),
            ]
            try store.applyUsage(batch)
            let account = try store.account()
            #expect(account.balanceMicro == 195_600 && account.usageBatches == 1)
            let ledger = try store.ledger(limit: 2).items
            #expect(ledger.map(\.balanceAfterMicro) == [195_600, 196_000])
            #expect(ledger[1].endpoint == "/transcribe" && ledger[1].audioSeconds == 10 && ledger[1].keyID == key.record.id)
            let counted = try #require(try store.key(id: key.record.id))
            #expect(counted.succeededRequests == 2 && counted.refusedRequests == 1)
            #expect(try store.key(id: key.record.id)?.lastUsedAt == testEpoch.addingTimeInterval(5))
        }
    }

    @Test func gate_returnsTheKeyAndTheAccount_fromOneRead_andSeesOtherProcessesAtOnce() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey()
            let other = try KeyStore(path: path, clock: ManualClock(testEpoch))
            #expect(try store.gate(secret: key.secret).auth == .valid(key.record))
            try other.updateAccount(plan: .pro, actor: "cli")
            _ = try other.deactivateKey(id: key.record.id, actor: "cli", remoteAddress: nil)
            let after = try store.gate(secret: key.secret)
            #expect(after.account?.plan == .pro)
            guard case .inactive = after.auth else { Issue.record("expected inactive, got \(after.auth)"); return }
            let malformed = try store.gate(secret: "sk-theta-nope")
            #expect(malformed.auth == .malformed && malformed.account == nil)
        }
    }

    @Test func malformedSecret_isRefusedWithoutTouchingTheDatabase() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey()
            try store.close()
            // A closed store throws on any database access; a malformed key never gets that far.
            var flipped = Array(key.secret)
            flipped[20] = flipped[20] == "A" ? "B" : "A"
            #expect(try store.gate(secret: String(flipped)).auth == .malformed)
            #expect(throws: KeyStoreError.closed) { try store.gate(secret: key.secret) }
        }
    }

    @Test func credits_formatAndParseExactly() {
        #expect(Credits.format(micro: 200_000) == "0.2")
        #expect(Credits.format(micro: -400) == "-0.0004")
        #expect(Credits.format(micro: 5_000_000) == "5")
        #expect(Credits.format(micro: 1_440_000) == "1.44")
        #expect(Credits.format(micro: 0) == "0")
        #expect(Credits.parse("0.2") == 200_000)
        #expect(Credits.parse("-0.0004") == -400)
        #expect(Credits.parse("12") == 12_000_000)
        #expect(Credits.parse("0.0000001") == nil)
        #expect(Credits.parse("1e3") == 1_000_000_000)
        #expect(Credits.parse("1e-05") == 10)  // what Python's json.dumps(0.00001) writes
        #expect(Credits.parse("2.5E+1") == 25_000_000)
        #expect(Credits.parse("1.50e-6") == nil)
        #expect(Credits.parse("1e-7") == nil)
        #expect(Credits.parse("1.") == nil)
        #expect(Credits.parse("1e") == nil)
        #expect(Credits.parse("-0.0") == 0)
        #expect(Credits.parse("9999999999999") == nil)  // 19 digits of micro-credits: once an overflow
        #expect(Credits.parse("9999999999999999999") == nil)
        #expect(Credits.parse("1000000000000") == 1_000_000_000_000_000_000)
        #expect(Credits.parse("1e999") == nil)
        // Fuzzer findings: leading zeros in an exponent, and zero with any exponent.
        #expect(Credits.parse("2E0001") == 20_000_000)
        #expect(Credits.parse("0.0002E0001") == 2_000)
        #expect(Credits.parse("0E21") == 0)
        #expect(Credits.parse("0e-99999999") == 0)
        #expect(Credits.parse("1e00000000000000000000003") == 1_000_000_000)
        #expect(Credits.parse("") == nil)
        #expect(Credits.parse(".5") == nil)
        #expect(Credits.parse("9999999999999") == nil)
    }

    @Test func credits_roundTripExactly_andFormatAsShortAsPossible() {
        var random = SystemRandomNumberGenerator()
        for micro in [Int64(0), 1, -1, 10, 100_000, 999_999, 1_000_000, 1_000_001, -1_234_500, Int64.max, Int64.min + 1]
            + (0..<2_000).map({ _ in Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &random) }) {
            let text = Credits.format(micro: micro)
            if micro.magnitude <= 1_000_000_000_000 * 1_000_000 { #expect(Credits.parse(text) == micro, "\(micro) → \(text)") }
            #expect(!text.contains(".") || !text.hasSuffix("0"), "\(text)")
            #expect(text.split(separator: ".").dropFirst().first.map { $0.count <= 6 } ?? true, "\(text)")
        }
        #expect(Credits.format(micro: 1_000_001) == "1.000001")
        #expect(Credits.format(micro: -1_234_500) == "-1.2345")
        #expect(Credits.format(micro: Int64.min) == "-9223372036854.775808")
    }

    @Test func plans_matchThePricingTable() {
        #expect(Plan.allCases.map(\.rpmCap) == [30, 100, 500, 500, nil])
        #expect(Plan.allCases.map(\.keyLimit) == [1, 3, nil, nil, nil])
        #expect(Plan.allCases.map(\.includesPronunciation) == [false, true, true, true, true])
        #expect(Plan.free.effectiveRPM(keyRPM: 100) == 30)
        #expect(Plan.enterprise.effectiveRPM(keyRPM: 1000) == 1000)
    }
}

@Suite struct UsageRecorderTests {
    @Test func pendingCharges_countUntilTheirBatchIsInTheStoredBalance() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey()
            let recorder = try UsageRecorder(store: store)
            recorder.charge(.init(keyID: key.record.id, endpoint: "/transcribe", audioSeconds: 2, costMicro: 800, at: testEpoch))
            recorder.record(keyID: key.record.id, status: 200, at: testEpoch)
            let before = try store.account()
            #expect(recorder.pendingMicro(appliedBatches: before.usageBatches) == 800)
            try recorder.flush()
            let after = try store.account()
            #expect(after.balanceMicro == 199_200)
            #expect(recorder.pendingMicro(appliedBatches: after.usageBatches) == 0)
            // Read before the flush, the stored balance lacked the charge, and nothing is double counted.
            #expect(before.balanceMicro - recorder.pendingMicro(appliedBatches: before.usageBatches) >= 199_200)
            try recorder.flush()  // nothing gathered: no write
            #expect(try store.account().usageBatches == after.usageBatches)
        }
    }

    @Test func aNewRecorder_continuesTheBatchNumbers() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            let key = try store.createTestKey()
            let first = try UsageRecorder(store: store)
            first.record(keyID: key.record.id, status: 400, at: testEpoch)
            try first.flush()
            let second = try UsageRecorder(store: store)
            second.charge(.init(keyID: key.record.id, endpoint: "/transcribe", audioSeconds: 1, costMicro: 400, at: testEpoch))
            try second.flush()
            #expect(try store.account().usageBatches == 2)
            #expect(try store.key(id: key.record.id)?.refusedRequests == 1)
        }
    }
}

@Suite struct RateLimiterTests {
    @Test func slidingWindow_admitsExactlyLimitPerSixtySeconds_atTheEdges() {
        let limiter = RateLimiter()
        let t0 = testEpoch
        for i in 0..<3 {
            let d = limiter.admit(keyID: "k", limit: 3, now: t0.addingTimeInterval(Double(i) * 10))
            #expect(d.allowed && d.remaining == 2 - i)
        }
        // Three admitted at 0, 10, 20: a fourth is refused until the first leaves the window at 60.
        let refused = limiter.admit(keyID: "k", limit: 3, now: t0.addingTimeInterval(59.999))
        #expect(!refused.allowed && refused.remaining == 0)
        #expect(refused.retryAfterSeconds == 1)
        let atEdge = limiter.admit(keyID: "k", limit: 3, now: t0.addingTimeInterval(60))
        #expect(atEdge.allowed && atEdge.remaining == 0)
        // Now 10, 20, 60 are inside; the next slot frees at 70.
        let next = limiter.admit(keyID: "k", limit: 3, now: t0.addingTimeInterval(61))
        #expect(!next.allowed && next.retryAfterSeconds == 9)
        #expect(limiter.admit(keyID: "k", limit: 3, now: t0.addingTimeInterval(70)).allowed)
    }

    @Test func refusedRequests_doNotCount() {
        let limiter = RateLimiter()
        #expect(limiter.admit(keyID: "k", limit: 1, now: testEpoch).allowed)
        for s in 1..<60 { #expect(!limiter.admit(keyID: "k", limit: 1, now: testEpoch.addingTimeInterval(Double(s))).allowed) }
        // Had the refusals counted, the window would still be full.
        #expect(limiter.admit(keyID: "k", limit: 1, now: testEpoch.addingTimeInterval(60)).allowed)
    }

    @Test func keys_haveSeparateWindows_andPeekAdmitsNothing() {
        let limiter = RateLimiter()
        #expect(limiter.admit(keyID: "a", limit: 1, now: testEpoch).allowed)
        #expect(limiter.admit(keyID: "b", limit: 1, now: testEpoch).allowed)
        #expect(limiter.peek(keyID: "c", limit: 2, now: testEpoch).remaining == 2)
        #expect(limiter.peek(keyID: "c", limit: 2, now: testEpoch).remaining == 2)
        #expect(limiter.peek(keyID: "a", limit: 1, now: testEpoch.addingTimeInterval(1)).remaining == 0)
        #expect(limiter.peek(keyID: "a", limit: 1, now: testEpoch.addingTimeInterval(1)).resetSeconds == 59)
    }

    @Test func prune_forgetsQuietKeys_withoutChangingDecisions() {
        let limiter = RateLimiter()
        #expect(limiter.admit(keyID: "a", limit: 1, now: testEpoch).allowed)
        limiter.prune(now: testEpoch.addingTimeInterval(30))
        #expect(!limiter.admit(keyID: "a", limit: 1, now: testEpoch.addingTimeInterval(30)).allowed)
        limiter.prune(now: testEpoch.addingTimeInterval(61))
        #expect(limiter.admit(keyID: "a", limit: 1, now: testEpoch.addingTimeInterval(61)).allowed)
    }

    /// A high-RPM key keeps a long window. Admitting once copied it twice per request (O(n) each,
    /// which made a 100,000-RPM key slower with every request); it is now a queue that is compacted
    /// now and then, and the answers must stay exact as admissions slide out across compactions.
    @Test func largeWindow_slidesExactly_acrossCompactions() {
        let limiter = RateLimiter()
        let limit = 10_000
        let step = 1.0 / 128  // exact in binary, so the window's edges are exact too
        let perWindow = 60 * 128
        let count = 20_000
        for i in 0..<count {
            let d = limiter.admit(keyID: "k", limit: limit, now: testEpoch.addingTimeInterval(Double(i) * step))
            let inWindow = min(i + 1, perWindow)
            if !d.allowed || d.remaining != limit - inWindow {
                Issue.record("admission \(i): allowed \(d.allowed), remaining \(d.remaining), expected \(limit - inWindow)")
                return
            }
        }
        let last = testEpoch.addingTimeInterval(Double(count - 1) * step)
        #expect(limiter.peek(keyID: "k", limit: limit, now: last).remaining == limit - perWindow)
        // Under a limit of 100 the window is over-full; the 100th newest admission (99 steps before
        // the last) leaves it 60 - 99/128 s from now, so a retry waits 60 whole seconds.
        let refused = limiter.admit(keyID: "k", limit: 100, now: last)
        #expect(!refused.allowed && refused.retryAfterSeconds == 60)
        // 60 s after the last admission, nothing is left in the window.
        #expect(limiter.peek(keyID: "k", limit: 1, now: last.addingTimeInterval(60)).remaining == 1)
        #expect(limiter.admit(keyID: "k", limit: 1, now: last.addingTimeInterval(60)).allowed)
    }
}
