import Foundation
import KeyStore
import Testing

@Suite struct MigratorTests {
    private let first = (name: "0001_first.sql", sql: "CREATE TABLE one (id INTEGER PRIMARY KEY);")
    private let second = (name: "0002_second.sql", sql: "CREATE TABLE two (id INTEGER PRIMARY KEY);")

    private func applied(_ db: Connection) throws -> [(name: String, checksum: String, appliedAt: Int64)] {
        try db.rows("SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name").map {
            (try $0[0], try $0[1], try $0[2])
        }
    }

    @Test func migrations_applyInNameOrder_andAreRecordedWithChecksums() throws {
        let db = try Connection(path: ":memory:")
        try Migrator(migrations: [second, first]).migrate(db, now: testEpoch)
        let records = try applied(db)
        #expect(records.map(\.name) == ["0001_first.sql", "0002_second.sql"])
        #expect(records[0].checksum == SHA256.hexDigest(of: Array(first.sql.utf8)))
        #expect(records.allSatisfy { $0.appliedAt == 1_795_737_600 })
        #expect(try db.value("SELECT count(*) FROM two") == 0)
    }

    @Test func embeddedMigrations_createTheKeyStoreSchema() throws {
        let db = try Connection(path: ":memory:")
        try Migrator(migrations: embeddedMigrations).migrate(db)
        #expect(embeddedMigrations.map(\.name).first == "0001_keys_and_audit.sql")
        for table in ["api_keys", "audit_events", "settings", "schema_migrations"] {
            #expect(try db.value("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", [table]) == 1)
        }
    }

    @Test func reopening_doesNotReapplyMigrations() throws {
        try withTemporaryDatabase { path in
            try Migrator(migrations: [first]).migrate(try Connection(path: path), now: testEpoch)
            // CREATE TABLE would fail if it ran twice.
            let db = try Connection(path: path)
            try Migrator(migrations: [first]).migrate(db, now: testEpoch.addingTimeInterval(3600))
            #expect(try applied(db).map(\.appliedAt) == [1_795_737_600])
        }
    }

    @Test func newMigration_isAppliedOnTopOfEarlierOnes() throws {
        try withTemporaryDatabase { path in
            try Migrator(migrations: [first]).migrate(try Connection(path: path))
            let db = try Connection(path: path)
            try Migrator(migrations: [first, second]).migrate(db)
            #expect(try applied(db).map(\.name) == ["0001_first.sql", "0002_second.sql"])
        }
    }

    @Test func migrationEditedAfterItWasApplied_isRefused() throws {
        try withTemporaryDatabase { path in
            try Migrator(migrations: [first]).migrate(try Connection(path: path))
            let edited = (name: first.name, sql: first.sql + " CREATE TABLE sneaky (x);")
            let error = try #require(throws: MigrationError.self) {
                try Migrator(migrations: [edited]).migrate(try Connection(path: path))
            }
            #expect(error == .editedAfterApplied(name: "0001_first.sql"))
            #expect(error.description.hasPrefix("migration 0001_first.sql was edited after it was applied"))
            #expect(try Connection(path: path).value("SELECT count(*) FROM sqlite_schema WHERE name = 'sneaky'") == 0)
        }
    }

    @Test func databaseWithAMigrationThisBuildDoesNotKnow_isRefused() throws {
        try withTemporaryDatabase { path in
            try Migrator(migrations: [first, second]).migrate(try Connection(path: path))
            let error = try #require(throws: MigrationError.self) {
                try Migrator(migrations: [first]).migrate(try Connection(path: path))
            }
            #expect(error == .unknownMigration(name: "0002_second.sql"))
            #expect(error.description
                == "database was written by a newer theta-console: unknown migration 0002_second.sql")
        }
    }

    @Test func failingMigration_rollsBackEntirely_andIsNotRecorded() throws {
        let db = try Connection(path: ":memory:")
        let broken = (name: "0002_broken.sql", sql: "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);")
        #expect(throws: DatabaseError.self) { try Migrator(migrations: [first, broken]).migrate(db) }
        #expect(try applied(db).map(\.name) == ["0001_first.sql"])
        #expect(try db.value("SELECT count(*) FROM sqlite_schema WHERE name = 'half'") == 0)
    }

    @Test func duplicateMigrationNames_areRefused() throws {
        let db = try Connection(path: ":memory:")
        #expect(throws: MigrationError.duplicateName("0001_first.sql")) {
            try Migrator(migrations: [first, first]).migrate(db)
        }
    }
}
