import Foundation
import KeyStore

/// Runs `body` with a fresh directory that is removed afterwards; each test gets its own database.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("keystore-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Runs `body` with the path of a database file that does not exist yet, in its own directory.
func withTemporaryDatabase<T>(_ body: (String) throws -> T) throws -> T {
    try withTemporaryDirectory { try body($0.appendingPathComponent("keys.sqlite3").path) }
}

/// 2026-11-27T00:00:00Z: a fixed "now" for tests that use a ManualClock.
let testEpoch = Date(timeIntervalSince1970: 1_795_737_600)

let base62Alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

extension KeyStore {
    /// Creates a key from a name with default limits, as the CLI would.
    func createTestKey(_ name: String = "test", expiresAt: Date? = nil) throws -> (record: APIKeyRecord, secret: String) {
        try createKey(KeySpec(name: name, expiresAt: expiresAt), actor: "cli", remoteAddress: nil)
    }
}

extension KeyStore {
    /// A store whose account is on Enterprise (no key-count limit), set with raw SQL so no ledger
    /// entry or audit event is added: for tests about keys, not plans.
    static func unlimited(path: String, clock: any Clock = SystemClock(), maxDatabaseBytes: Int64? = nil) throws -> KeyStore {
        let store = try KeyStore(path: path, clock: clock, maxDatabaseBytes: maxDatabaseBytes)
        if path == ":memory:" {
            try store.updateAccount(plan: .enterprise, actor: "test")
        } else {
            let connection = try Connection(path: path)
            try connection.run("UPDATE account SET plan = 'enterprise'")
            try connection.close()
        }
        return store
    }
}
