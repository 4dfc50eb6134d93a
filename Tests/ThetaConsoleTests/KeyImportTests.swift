import Foundation
import Glibc
import KeyStore
import Testing
import TestSupport

/// Importing a key with a known secret is refused unless the server allows it (the imports that
/// work, and seeding from a file, are tested against the binary and its CLI).
@Suite("Keys: import and seed", .onOwnThreads)
struct KeyImportTests {
    /// A well-formed secret, as `keys generate` prints one.
    private func generate() throws -> String {
        try APIKeyFormat.generate()
    }

    @Test func importIsRefused_unlessTheServerAllowsIt() throws {
        let server = try InProcessServer()
        let secret = try generate()
        let refused = try server.post("/v1/keys", json: #"{"name": "fixture", "key": "\#(secret)"}"#)
        #expect(refused.status == 422)
        #expect(refused.detail == "key: importing a key's secret is not enabled (start the server with --allow-key-import)")
        #expect(!refused.text.contains(secret))
    }
}
