import Foundation
import Testing
import TestSupport

/// The plan's key limit, in the API of the running binary and in the CLI beside it: a plan the CLI
/// sets is the running server's at once (the account's other cases, and the `account` CLI on its
/// own, run in process: ThetaConsoleTests/BillingTests).
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

}
