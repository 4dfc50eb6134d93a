import Foundation
import KeyStore
import Testing
import TestSupport

/// Billing cycles and top-ups in process, with `--fake-time`; a restart is a new server on the same
/// database file. Through the binary they run in the browser's billing scenario
/// (BrowserTests/ChartScenarioTests).
@Suite("Billing: cycles and top-ups", .onOwnThreads)
struct BillingCycleTests {
    @Test func aMonthRollsOver_toTheSecond_expiringTheOldCreditsAndGrantingNew() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-31T12:00:00Z", "--plan", "pro"])
        let key = try server.createKey()
        let account = try server.get("/v1/account").object
        #expect(account["cycle_start"] as? String == "2030-01-31T12:00:00Z")
        #expect(account["cycle_end"] as? String == "2030-02-28T12:00:00Z", "the 31st: the month's last day")
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.get("/v1/account").text.contains(#""balance":23.9996,"#))

        try server.advanceClock(28 * 86_400 - 1)  // 2030-02-28T11:59:59Z
        #expect(try server.get("/v1/account").object["cycle_end"] as? String == "2030-02-28T12:00:00Z")
        try server.advanceClock(1)
        let after = try server.get("/v1/account")
        #expect(after.text.contains(#""balance":24,"#), "\(after.text)")
        #expect(after.object["cycle_start"] as? String == "2030-02-28T12:00:00Z")
        #expect(after.object["cycle_end"] as? String == "2030-03-31T12:00:00Z", "back to the 31st")
        let newest = try server.ledgerEntries().prefix(2)
        #expect(newest.map { $0["kind"] as? String } == ["grant", "expire"])
        #expect(newest.last?["amount"] as? NSNumber == -23.9996)
        let audit = try server.get("/v1/audit-events?limit=1").object["data"] as? [[String: Any]] ?? []
        #expect(audit.first?["action"] as? String == "billing.cycle_started")
    }

    @Test func aChargeJustBeforeTheEnd_spendsTheEndingCycle_evenWhenTheClockJumpsPastItAtOnce() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        let key = try server.createKey()
        try server.advanceClock(31 * 86_400 - 10)  // 10 s before the cycle ends
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 9)).status == 200)
        try server.advanceClock(20)  // straight past the end, before anything read the account
        let entries = try server.ledgerEntries()
        let expire = try #require(entries.first { $0["kind"] as? String == "expire" })
        #expect(expire["amount"] as? NSNumber == -23.9964, "the charge spent the old cycle's credits: \(expire)")
        let charge = try #require(entries.first { $0["kind"] as? String == "charge" })
        #expect(!((charge["lots"] as? [[String: Any]]) ?? []).contains { $0["lot"] as? String == "debt" })
        #expect(try server.get("/v1/account").text.contains(#""balance":24,"#))
    }

    @Test func aTopUp_isAllowedFromPro_atLeast10_neverExpires_andIsSpentLast() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        let key = try server.createKey()
        let small = try server.post("/v1/account/top-ups", json: #"{"amount": "9.99"}"#)
        #expect(small.status == 422 && small.detail?.contains("the minimum top-up is 10 credits") == true)
        let bought = try server.post("/v1/account/top-ups", json: #"{"amount": "10.00"}"#)
        #expect(bought.status == 201 && bought.text.contains(#""balance":34,"#), "\(bought.text)")
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        let charge = try #require(try server.ledgerEntries().first { $0["kind"] as? String == "charge" })
        let lots = try server.get("/v1/account/lots").object["data"] as? [[String: Any]] ?? []
        let monthly = try #require(lots.first { $0["kind"] as? String == "monthly" && ($0["remaining"] as? NSNumber)?.doubleValue ?? 0 > 0 })
        #expect((charge["lots"] as? [[String: Any]])?.first?["lot"] as? String == monthly["id"] as? String, "monthly credits first")
        #expect(lots.first { $0["kind"] as? String == "top_up" }?["expires_at"] is NSNull)

        // A month later the monthly credits are gone and renewed; the top-up is still whole.
        try server.advanceClock(31 * 86_400)
        #expect(try server.get("/v1/account").text.contains(#""balance":34,"#))
        let topUp = (try server.get("/v1/account/lots").object["data"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "top_up" }
        #expect(topUp?["remaining"] as? NSNumber == 10)
    }

    /// A real month can end between two rounds of the flush thread: the next request is then gated
    /// on the new cycle, whose grant is written first, without the loop waiting for the write
    /// (the gate decides later, once it has committed).
    @Test func aRequestJustAfterACycleEnds_isGatedOnTheNewCycle_whoseGrantIsWrittenFirst() throws {
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"],
                                         backgroundWork: false)
        let key = try server.createKey()
        let clock = try #require(server.app.clock as? ManualClock)
        // Past the cycle's end with no POST /v1/clock (which would start the cycle itself).
        clock.advance(by: 31 * 86_400 + 1)
        #expect(server.store.cycleMayBeDue)
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(!server.store.cycleMayBeDue)
        let entries = try server.ledgerEntries()
        #expect(entries.prefix(2).map { $0["kind"] as? String } == ["charge", "grant"])
        #expect((entries.dropFirst().first?["detail"] as? String)?.hasSuffix(": Pro monthly credits") == true, "\(entries.prefix(2))")
    }

    @Test func severalCyclesInOneAdvance_applyInOrder_andARestartAppliesNoneTwice() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("cycles.sqlite3")
        let server = try InProcessServer(arguments: ["--fake-time", "2030-01-10T00:00:00Z", "--plan", "starter"],
                                         databasePath: path)
        try server.advanceClock(100 * 86_400)  // 2030-04-20: three cycle starts passed (Feb 10, Mar 10, Apr 10)
        let kinds = try server.ledgerEntries().compactMap { $0["kind"] as? String }
        #expect(Array(kinds.prefix(6)) == ["grant", "expire", "grant", "expire", "grant", "expire"])
        let grants = try server.ledgerEntries().filter { $0["kind"] as? String == "grant" }.prefix(3).compactMap { $0["time"] as? String }
        #expect(grants == ["2030-04-10T00:00:00Z", "2030-03-10T00:00:00Z", "2030-02-10T00:00:00Z"])
        let count = try server.ledgerEntries().count
        #expect(server.stop() == 0)

        // The same database, the same moment: nothing is applied twice.
        let again = try InProcessServer(arguments: ["--fake-time", "2030-04-20T00:00:00Z"], databasePath: path)
        #expect(try again.ledgerEntries().count == count)
        #expect(try again.get("/v1/account").object["cycle_end"] as? String == "2030-05-10T00:00:00Z")
        #expect(try again.get("/v1/account").text.contains(#""balance":5,"#))
    }

    @Test func freeAndStarter_cannotBuyCredits() throws {
        for plan in ["free", "starter"] {
            let server = try InProcessServer(arguments: ["--plan", plan])
            let refused = try server.post("/v1/account/top-ups", json: #"{"amount": 10}"#)
            #expect(refused.status == 402, "\(plan): \(refused.status)")
            #expect(refused.detail?.contains("cannot buy extra credits; top-ups need Pro, Pro+ or Enterprise") == true)
            #expect(try server.get("/v1/account").object["allows_top_ups"] as? Bool == false)
        }
        let cli = try InProcessServer(arguments: ["--plan", "pro"])
        let result = try runCLIInProcess(["account", "top-up", "12.5", "--db", cli.databasePath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try cli.get("/v1/account").text.contains(#""balance":36.5,"#))
    }
}
