import Dispatch
import Foundation
import KeyStore
import Synchronization
import Testing
import TestSupport

/// What must hold on disk: across reopen, against raw SQL, and in the bytes of the files.
@Suite(.onOwnThreads) struct KeyStoreDurabilityTests {
    @Test func createdKey_survivesCloseAndReopen() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (record, secret) = try store.createTestKey()
            try store.close()
            let reopened = try KeyStore(path: path)
            #expect(try reopened.key(id: record.id) == record)
            #expect(try reopened.gate(secret: secret).auth == .valid(record))
        }
    }

    @Test func deactivation_survivesCloseAndReopen() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (record, secret) = try store.createTestKey()
            let inactive = try #require(try store.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil))
            try store.close()
            let reopened = try KeyStore(path: path)
            #expect(try reopened.key(id: record.id) == inactive)
            #expect(try reopened.gate(secret: secret).auth == .inactive(inactive))
        }
    }

    @Test func reopening_doesNotReapplyMigrations() throws {
        try withTemporaryDatabase { path in
            try KeyStore(path: path, clock: ManualClock(testEpoch)).close()
            try KeyStore(path: path, clock: ManualClock(testEpoch.addingTimeInterval(99))).close()
            let db = try Connection(path: path)
            let applied = try db.rows("SELECT applied_at FROM schema_migrations").map { try $0[0] as Int64 }
            #expect(applied == Array(repeating: 1_795_737_600, count: embeddedMigrations.count))
            #expect(embeddedMigrations.count >= 2)
        }
    }

    @Test func editedMigration_keepsTheStoreFromOpening() throws {
        try withTemporaryDatabase { path in
            try KeyStore(path: path).close()
            let edited = embeddedMigrations.map { (name: $0.name, sql: $0.sql + "\n-- edited") }
            #expect(throws: MigrationError.editedAfterApplied(name: "0001_keys_and_audit.sql")) {
                try KeyStore(path: path, migrations: edited)
            }
        }
    }

    @Test func databaseFromANewerBuild_keepsTheStoreFromOpening() throws {
        try withTemporaryDatabase { path in
            let newer = embeddedMigrations + [(name: "9999_future.sql", sql: "CREATE TABLE future (x);")]
            try KeyStore(path: path, migrations: newer).close()
            #expect(throws: MigrationError.unknownMigration(name: "9999_future.sql")) { try KeyStore(path: path) }
        }
    }

    @Test func triggers_refuseToReviveOrDeleteAKey_throughRawSQL() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let record = try store.createTestKey().record
            _ = try store.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil)

            let raw = try Connection(path: path)
            for sql in [
                "UPDATE api_keys SET status = 'active' WHERE id = ?",
                "UPDATE api_keys SET status = 'active', deactivated_at = NULL WHERE id = ?",
                "UPDATE api_keys SET deactivated_at = 0 WHERE id = ?",
                "DELETE FROM api_keys WHERE id = ?",
            ] {
                let error = try #require(throws: DatabaseError.self) { try raw.run(sql, [record.id]) }
                #expect(error.isConstraint, "\(sql)")
            }
            #expect(try store.key(id: record.id)?.status(at: Date()) == .inactive)
        }
    }

    @Test func secret_isNeverWrittenToDisk_butTheHintIs() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("keys.sqlite3").path
            let store = try KeyStore.unlimited(path: path)
            let created = try (0..<5).map { try store.createTestKey("key \($0)") }
            _ = try store.deactivateKey(id: created[0].record.id, actor: "cli", remoteAddress: nil)

            func diskBytes() throws -> Data {
                try FileManager.default.contentsOfDirectory(atPath: directory.path).reduce(into: Data()) { bytes, name in
                    bytes += try Data(contentsOf: directory.appendingPathComponent(name))
                }
            }
            func check(_ bytes: Data) {
                for (record, secret) in created {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil)
                    #expect(bytes.range(of: Data(secret.dropFirst(9).prefix(32).utf8)) == nil)
                    #expect(bytes.range(of: Data(record.hint.utf8)) != nil)
                }
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(names.contains("keys.sqlite3-wal"))
            check(try diskBytes())  // main file, -wal and -shm while open
            try store.close()
            check(try diskBytes())  // after the checkpoint into the main file
        }
    }

    @Test func fullDatabase_isClassifiedAsFull_andStaysIntact() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, maxDatabaseBytes: 96 * 1024)
            var created: [(record: APIKeyRecord, secret: String)] = []
            let error = try #require(throws: DatabaseError.self) {
                for index in 0..<10_000 {
                    created.append(try store.createTestKey("key \(index) " + String(repeating: "x", count: 80)))
                }
            }
            #expect(error.isFull)
            #expect(!created.isEmpty)
            #expect(try store.integrityCheck() == "ok")
            // The failed create left neither a key nor an orphan audit event behind.
            #expect(try store.listKeys(limit: 1000).items.count == created.count)
            #expect(try store.auditEvents(limit: 1000).items.count == created.count)
            #expect(try store.gate(secret: created[0].secret).auth == .valid(created[0].record))
            try store.close()
            let unlimited = try KeyStore(path: path)
            _ = try unlimited.createTestKey()
            #expect(try unlimited.integrityCheck() == "ok")
        }
    }

    @Test func concurrentCallers_allSucceedAndSeeEachOthersKeys() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let failures = Failures()
            onThreads(8) { worker in
                do {
                    for index in 0..<10 {
                        let (record, secret) = try store.createTestKey("w\(worker)-\(index)")
                        guard try store.gate(secret: secret).auth == .valid(record) else {
                            return failures.add("key \(record.id) did not authenticate")
                        }
                        _ = try store.listKeys(limit: 5)
                    }
                } catch {
                    failures.add("\(error)")
                }
            }
            #expect(failures.all == [])
            #expect(try store.countActiveKeys() == 80)
        }
    }
}

/// Collects failures from worker threads.
private final class Failures: Sendable {
    private let messages = Mutex<[String]>([])
    func add(_ message: String) { messages.withLock { $0.append(message) } }
    var all: [String] { messages.withLock { $0 } }
}
