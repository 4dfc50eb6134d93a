import Foundation
import Testing
import TestSupport

@Suite("Emulated API: account, credits and billing (the binary)", .keepsEvidence)
struct BillingTests {
    @Test func keyCountBeyondThePlan_isRefused_inTheAPIAndTheCLI() throws {
        let server = try ServerProcess()
        _ = try server.createKey(name: "only")
        let refused = try server.post("/v1/keys", json: #"{"name": "second"}"#)
        #expect(refused.status == 403)
        #expect(refused.detail == "the Free plan allows 1 active API key; deactivate one or change the plan")
        let cli = try runCLI(["keys", "create", "--name", "second", "--db", server.databasePath])
        #expect(cli.status == 1)
        #expect(cli.stderr.contains("the Free plan allows 1 active API key"))
        #expect(try runCLI(["account", "set", "--plan", "starter", "--db", server.databasePath]).status == 0)
        #expect(try server.post("/v1/keys", json: #"{"name": "second"}"#).status == 201)
    }

    @Test func accountCLI_showsAndSets() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("account.sqlite3")
        let shown = try runCLI(["account", "show", "--db", db])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("plan: Free (free)") && shown.stdout.contains("balance: 0.2 credits"))
        // It reads the file, so it says how far behind a running server it can be.
        #expect(shown.stdout.contains("a running server's usage may be up to 1 s newer"))
        let set = try runCLI(["account", "set", "--plan", "pro", "--balance", "24", "--db", db])
        #expect(set.status == 0 && set.stdout.contains("plan: Pro; balance: 24 credits"))
        #expect(try runCLI(["account", "set", "--db", db]).status == 64)
        #expect(try runCLI(["account", "set", "--plan", "gold", "--db", db]).status == 64)
        #expect(try runCLI(["account", "set", "--balance", "abc", "--db", db]).status == 64)
        let json = try runCLI(["account", "show", "--json", "--db", db])
        #expect(json.stdout.contains(#""plan":"pro""#) && json.stdout.contains(#""balance":24"#))
        #expect(json.stdout.contains(#""may_lag_seconds":1"#) && json.stdout.contains(#""written_at":""#))
    }
}
