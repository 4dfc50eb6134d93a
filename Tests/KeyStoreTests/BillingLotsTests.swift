import Foundation
@testable import KeyStore
import Testing

/// Credit lots: spending order, expiry at the cycle's end, debt paid by the next lot.
@Suite struct BillingLotsTests {
    private func charge(_ store: KeyStore, micro: Int64, at: Date, batch: Int64) throws {
        var usage = UsageBatch(number: batch)
        usage.charges = [UsageBatch.Charge(keyID: "key_test", endpoint: "/transcribe", audioSeconds: 1, costMicro: micro, at: at)]
        try store.applyUsage(usage)
    }

    @Test func chargesSpendTheCreditsThatExpireFirst_thenTheOldestTopUp() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore(path: path, clock: clock)
            try store.updateAccount(plan: .pro, actor: "test")  // a Pro cycle: 24 monthly credits
            _ = try store.topUp(micro: 10_000_000, actor: "test", remoteAddress: nil)
            clock.advance(by: 1)
            _ = try store.topUp(micro: 10_000_000, actor: "test", remoteAddress: nil)
            try charge(store, micro: 30_000_000, at: clock.now(), batch: 1)

            let lots = try store.creditLots()  // newest first
            let remaining = lots.map(\.remainingMicro)
            #expect(lots.map(\.kind) == [.topUp, .topUp, .monthly, .monthly])
            #expect(remaining == [10_000_000, 4_000_000, 0, 0], "the second top-up untouched, the first spent last")
            let entry = try store.ledger(limit: 1).items[0]
            #expect(entry.kind == .charge && entry.lots == "\(lots[2].id):24000000,\(lots[1].id):6000000")
            #expect(try store.account().balanceMicro == 14_000_000)
        }
    }

    @Test func monthlyCreditsExpireAtTheCycleEnd_andTheNextGrantArrives_exactlyOnce() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)  // 2026-11-27T00:00:00Z
            let store = try KeyStore(path: path, clock: clock)
            try store.updateAccount(plan: .pro, actor: "test")
            let cycle = try store.currentCycle()
            #expect(cycle.end == BillingCalendar.start(anchor: testEpoch, months: 1))
            _ = try store.topUp(micro: 10_000_000, actor: "test", remoteAddress: nil)
            clock.set(cycle.end.addingTimeInterval(-1))
            #expect(try store.applyDueCycles().number == cycle.number)
            #expect(try store.account().balanceMicro == 34_000_000)
            clock.set(cycle.end)
            try store.applyDueCycles()
            try store.applyDueCycles()  // again: nothing more
            let kinds = try store.ledger(limit: 3).items.map(\.kind)
            #expect(kinds == [.grant, .expire, .topUp])
            #expect(try store.account().balanceMicro == 34_000_000, "24 expired, 24 granted, the top-up kept")
            #expect(try store.currentCycle().number == cycle.number + 1)
        }
    }

    @Test func anOverdraft_isPaidFromTheNextLot() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore(path: path, clock: clock)
            try store.updateAccount(plan: .pro, balanceMicro: 1_000, actor: "test")
            try charge(store, micro: 5_000, at: clock.now(), batch: 1)
            #expect(try store.account().balanceMicro == -4_000)
            #expect(try store.ledger(limit: 1).items[0].lots?.hasSuffix("debt:4000") == true)
            _ = try store.topUp(micro: 10_000_000, actor: "test", remoteAddress: nil)
            #expect(try store.account().balanceMicro == 9_996_000)
            #expect(try store.creditLots(limit: 1)[0].remainingMicro == 9_996_000)
        }
    }

    @Test func topUps_needPro() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore(path: path, clock: ManualClock(testEpoch))
            #expect(throws: KeyStoreError.topUpNotAllowed(plan: .free)) {
                _ = try store.topUp(micro: 10_000_000, actor: "test", remoteAddress: nil)
            }
        }
    }

    @Test(arguments: [
        ("2030-01-31T12:00:00Z", 1, "2030-02-28T12:00:00Z"), ("2032-01-31T00:00:00Z", 1, "2032-02-29T00:00:00Z"),
        ("2030-01-31T12:00:00Z", 2, "2030-03-31T12:00:00Z"), ("2030-03-31T00:00:00Z", 1, "2030-04-30T00:00:00Z"),
        ("2030-12-15T08:30:00Z", 1, "2031-01-15T08:30:00Z"), ("2030-12-15T08:30:00Z", 25, "2033-01-15T08:30:00Z"),
        ("2100-01-29T00:00:00Z", 1, "2100-02-28T00:00:00Z"), ("2000-01-30T00:00:00Z", 1, "2000-02-29T00:00:00Z"),
    ])
    func calendarMonths_keepTheAnchorDay_orTheMonthsLastDay(anchor: String, months: Int, expected: String) throws {
        let start = BillingCalendar.start(anchor: try #require(RFC3339.date(from: anchor)), months: months)
        #expect(RFC3339.string(from: start) == expected)
    }

    /// Every cycle start looks for the lots it expires, and every usage batch for the lots it may
    /// spend. Both must find only the live lots through `credit_lots_live`, never scan every lot
    /// ever granted: a clock moved by centuries adds a lot a month, and a scan per cycle made such a
    /// move quadratic (schemathesis's clock moves held the writer for over 10 s in CI).
    @Test func theLotQueries_searchTheLiveLotsIndex_notEveryLot() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore(path: path, clock: clock)
            try store.updateAccount(plan: .pro, actor: "test")
            clock.advance(by: 100 * 365 * 86_400)
            while try store.applyDueCycles().end <= clock.now() {}
            let lots = try store.read { db in try db.value("SELECT count(*) FROM credit_lots") as Int? } ?? 0
            #expect(lots > 1_200, "a century of cycles, one monthly lot each")
            for sql in [KeyStore.expiringLotsSQL, KeyStore.spendableLotsSQL] {
                let plan = try store.read { db in
                    try db.rows("EXPLAIN QUERY PLAN " + sql, [clock.now().unixSeconds]).map { row -> String in try row[3] }
                }
                let steps = plan.filter { $0.contains("credit_lots") }
                #expect(!steps.isEmpty && steps.allSatisfy { $0.contains("USING INDEX credit_lots_live") }, "\(plan)")
            }
        }
    }
}
