import Foundation
import Testing
import TestSupport

/// The emulated API's gatekeeping, status by status, through the real binary.
@Suite("Emulated API: 401, 402, 429, 400 and 413 (the binary)", .keepsEvidence)
struct SpeechGateTests {
    static let gold = [("options", #"{"gold_text": "Wow, check out this castle."}"#)]

    @Test func inactiveKey_gets401_onTheVeryNextRequest_evenWhenTheCLIDeactivatesIt() throws {
        let server = try ServerProcess()
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try runCLI(["keys", "deactivate", key.id, "--db", server.databasePath]).status == 0)
        let refused = try server.upload("/transcribe", key: key.secret)
        #expect(refused.status == 401)
        #expect(refused.detail == "API key is inactive.")
    }

}
