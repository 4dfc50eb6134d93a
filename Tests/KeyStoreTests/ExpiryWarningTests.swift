import Foundation
import Testing
@testable import KeyStore

/// `ExpiryWindow`, `expiresInSeconds(at:)` and `listKeys(expiringWithin:)`, on a ManualClock.
@Suite struct ExpiryWarningTests {
    @Test func expiryWindow_takesWholeNumbersOfSecondsMinutesHoursOrDays() {
        #expect(ExpiryWindow(parsing: "1s")?.seconds == 1)
        #expect(ExpiryWindow(parsing: "90m")?.seconds == 5400)
        #expect(ExpiryWindow(parsing: "36h")?.seconds == 129_600)
        #expect(ExpiryWindow(parsing: "7d")?.seconds == 604_800)
        #expect(ExpiryWindow(parsing: "007d")?.seconds == 604_800)
        #expect(ExpiryWindow(parsing: "3650d")?.seconds == ExpiryWindow.maxSeconds)
        #expect(ExpiryWindow(parsing: "87600h")?.seconds == ExpiryWindow.maxSeconds)
        #expect(ExpiryWindow(parsing: "315360000s")?.seconds == ExpiryWindow.maxSeconds)
    }

    @Test(arguments: ["", "d", "7", "0d", "0s", "3651d", "87601h", "315360001s", "7w", "7D", "7 d", " 7d", "7d ",
                      "+7d", "-7d", "1.5d", "1e3s", "7dd", "٧d", "99999999999999999999d", "9223372036854775807s"])
    func expiryWindow_refusesAnythingElse(_ text: String) {
        #expect(ExpiryWindow(parsing: text) == nil)
    }

    @Test func expiryWindow_ruleNamesTheParameter() {
        #expect(ExpiryWindow.rule(for: "expiring_within").hasPrefix("expiring_within must be "))
        #expect(ExpiryWindow.rule(for: "expiring_within").contains("3650d"))
    }

    @Test func expiresInSeconds_isWholeSecondsLeft_zeroOnceExpired_nilWithoutExpiryOrWhenInactive() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let expiring = try store.createTestKey("expiring", expiresAt: testEpoch.addingTimeInterval(100)).record
            let forever = try store.createTestKey("forever").record
            let deactivated = try #require(try store.deactivateKey(
                id: try store.createTestKey("gone", expiresAt: testEpoch.addingTimeInterval(100)).record.id,
                actor: "cli", remoteAddress: nil))

            #expect(expiring.expiresInSeconds(at: clock.now()) == 100)
            #expect(forever.expiresInSeconds(at: clock.now()) == nil)
            #expect(deactivated.expiresInSeconds(at: clock.now()) == nil)
            // Half a second before expiry the key still works: a whole second is left, never 0.
            clock.set(testEpoch.addingTimeInterval(99.5))
            #expect(expiring.status(at: clock.now()) == .active)
            #expect(expiring.expiresInSeconds(at: clock.now()) == 1)
            clock.set(testEpoch.addingTimeInterval(100))
            #expect(expiring.status(at: clock.now()) == .expired)
            #expect(expiring.expiresInSeconds(at: clock.now()) == 0)
            clock.advance(by: 86_400)
            #expect(expiring.expiresInSeconds(at: clock.now()) == 0, "not negative: expires_at says when")
            #expect(deactivated.expiresInSeconds(at: clock.now()) == nil)
        }
    }

    @Test func listKeys_expiringWithin_includesAKeyExpiringExactlyAtTheBoundary() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let week = try #require(ExpiryWindow(parsing: "7d"))
            let atBoundary = try store.createTestKey("at", expiresAt: testEpoch.addingTimeInterval(604_800)).record
            let pastBoundary = try store.createTestKey("past", expiresAt: testEpoch.addingTimeInterval(604_801)).record
            _ = try store.createTestKey("forever")

            #expect(try store.listKeys(expiringWithin: week).items == [atBoundary])
            #expect(try store.listKeys(status: .active, expiringWithin: week).items == [atBoundary])
            clock.advance(by: 1)
            #expect(try store.listKeys(expiringWithin: week).items == [pastBoundary, atBoundary])
            // A fraction of a second changes nothing: the count is of whole seconds, as expires_in_seconds.
            clock.set(testEpoch.addingTimeInterval(0.999))
            #expect(try store.listKeys(expiringWithin: week).items == [atBoundary])
            #expect(pastBoundary.expiresInSeconds(at: clock.now()) == 604_801)
        }
    }

    @Test func listKeys_expiringWithin_leavesOutExpiredInactiveAndNeverExpiringKeys() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let week = try #require(ExpiryWindow(parsing: "7d"))
            _ = try store.createTestKey("expires now", expiresAt: testEpoch.addingTimeInterval(10))
            let soon = try store.createTestKey("soon", expiresAt: testEpoch.addingTimeInterval(11)).record
            _ = try store.deactivateKey(
                id: try store.createTestKey("gone", expiresAt: testEpoch.addingTimeInterval(3600)).record.id,
                actor: "cli", remoteAddress: nil)
            _ = try store.createTestKey("forever")
            clock.advance(by: 10)

            #expect(try store.listKeys(expiringWithin: week).items == [soon])
            #expect(try store.listKeys(expiringWithin: ExpiryWindow(seconds: 1)).items == [soon])
            // With another status nothing can match; the API refuses the combination before asking.
            #expect(try store.listKeys(status: .expired, expiringWithin: week).items.isEmpty)
            #expect(try store.listKeys(status: .inactive, expiringWithin: week).items.isEmpty)
            // `now` given by the caller wins over the store's clock.
            #expect(try store.listKeys(expiringWithin: week, now: testEpoch).items.map(\.name) == ["soon", "expires now"])
        }
    }

    @Test func listKeys_expiringWithin_countsARolledKeyOnce_throughItsSuccessor() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let week = try #require(ExpiryWindow(parsing: "7d"))
            let old = try store.createTestKey("rolled", expiresAt: testEpoch.addingTimeInterval(3 * 86_400)).record
            let rolled = try #require(try store.rollKey(id: old.id, grace: 3600, actor: "cli", remoteAddress: nil))
            #expect(rolled.new.expiresAt == old.expiresAt, "a roll copies the expiry")

            // In its grace the old key works and counts down to its expiry, but only the successor is listed.
            #expect(rolled.old.status(at: clock.now()) == .active)
            #expect(rolled.old.expiresInSeconds(at: clock.now()) == 3 * 86_400)
            #expect(try store.listKeys(expiringWithin: week).items.map(\.id) == [rolled.new.id])
            clock.advance(by: 3600)
            #expect(rolled.old.expiresInSeconds(at: clock.now()) == nil, "inactive once the grace is over")
            #expect(try store.listKeys(expiringWithin: week).items.map(\.id) == [rolled.new.id])
        }
    }

    @Test func listKeys_expiringWithin_pagesNewestFirstWithACursor() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(testEpoch))
            let week = try #require(ExpiryWindow(parsing: "7d"))
            var expiring: [String] = []
            for number in 1...5 {
                expiring.append(try store.createTestKey("soon \(number)", expiresAt: testEpoch.addingTimeInterval(3600)).record.id)
                _ = try store.createTestKey("forever \(number)")
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try store.listKeys(expiringWithin: week, limit: 2, after: cursor)
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == expiring.reversed())
        }
    }

    /// The filter must not scan the table or sort: it walks `api_keys_by_status (status, seq)`.
    @Test(arguments: [nil, KeyStatus.active])
    func listKeys_expiringWithin_walksTheStatusIndex(_ status: KeyStatus?) throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(testEpoch))
            let (sql, arguments) = KeyStore.listKeysQuery(status: status, expiringWithin: ExpiryWindow(seconds: 60), now: 0)
            let plan = try store.read { db in
                try db.rows("EXPLAIN QUERY PLAN " + sql, [Int64.max] + arguments + [21]).map { try $0[3] as String }
            }
            #expect(plan.count == 1, "\(plan)")
            #expect(plan.first?.contains("USING INDEX api_keys_by_status (status=? AND seq<?)") == true, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }
}
