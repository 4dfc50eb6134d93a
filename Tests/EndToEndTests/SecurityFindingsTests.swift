import Foundation
import Testing
import TestSupport

/// The security review's finding on key names, through the binary and its CLI (the other findings
/// run in process: ThetaConsoleTests/SecurityFindingsTests).
@Suite("Security: names (the binary)", .keepsEvidence)
struct SecurityFindingsTests {
    /// Two keys whose names look the same cannot be made: an invisible character is refused, by
    /// the API and the CLI alike, naming the code point.
    @Test func keyNames_withInvisibleCharacters_areRefused_byTheAPIAndTheCLI() throws {
        let server = try ServerProcess()
        let refused = try server.post("/v1/keys", json: #"{"name": "ci\u200bkey"}"#)  // JSON's escape: U+200B
        #expect(refused.status == 422)
        #expect(refused.detail == "name must not contain invisible characters (found U+200B)")
        let cli = try runCLI(["keys", "create", "--name", "ci\u{FEFF}key", "--db", server.databasePath])
        #expect(cli.status == 64 && cli.stderr.contains("name must not contain invisible characters (found U+FEFF)"), "\(cli.stderr)")
        #expect(try server.post("/v1/keys", json: #"{"name": "ci 👩🏽‍💻"}"#).status == 201)
    }
}
