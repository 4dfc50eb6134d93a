import Foundation
import Testing
import TestSupport

/// Billing cycles and top-ups through the binary, with `--fake-time`.
@Suite("Billing: cycles and top-ups (the binary)", .keepsEvidence)
struct BillingCycleTests {
    @Test func severalCyclesInOneAdvance_applyInOrder_andARestartAppliesNoneTwice() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("cycles.sqlite3")
        let server = try ServerProcess(arguments: ["--fake-time", "2030-01-10T00:00:00Z", "--plan", "starter"],
                                       databasePath: path, directory: directory)
        try server.advanceClock(100 * 86_400)  // 2030-04-20: three cycle starts passed (Feb 10, Mar 10, Apr 10)
        let kinds = try server.ledgerEntries().compactMap { $0["kind"] as? String }
        #expect(Array(kinds.prefix(6)) == ["grant", "expire", "grant", "expire", "grant", "expire"])
        let grants = try server.ledgerEntries().filter { $0["kind"] as? String == "grant" }.prefix(3).compactMap { $0["time"] as? String }
        #expect(grants == ["2030-04-10T00:00:00Z", "2030-03-10T00:00:00Z", "2030-02-10T00:00:00Z"])
        let count = try server.ledgerEntries().count
        #expect(server.stop() == 0)

        // The same database, the same moment: nothing is applied twice.
        let again = try ServerProcess(arguments: ["--fake-time", "2030-04-20T00:00:00Z"], databasePath: path, directory: directory)
        #expect(try again.ledgerEntries().count == count)
        #expect(try again.get("/v1/account").object["cycle_end"] as? String == "2030-05-10T00:00:00Z")
        #expect(try again.get("/v1/account").text.contains(#""balance":5,"#))
    }

    @Test func freeAndStarter_cannotBuyCredits() throws {
        for plan in ["free", "starter"] {
            let server = try ServerProcess(arguments: ["--plan", plan])
            let refused = try server.post("/v1/account/top-ups", json: #"{"amount": 10}"#)
            #expect(refused.status == 402, "\(plan): \(refused.status)")
            #expect(refused.detail?.contains("cannot buy extra credits; top-ups need Pro, Pro+ or Enterprise") == true)
            #expect(try server.get("/v1/account").object["allows_top_ups"] as? Bool == false)
        }
        let cli = try ServerProcess(arguments: ["--plan", "pro"])
        let result = try runCLI(["account", "top-up", "12.5", "--db", cli.databasePath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try cli.get("/v1/account").text.contains(#""balance":36.5,"#))
    }
}
