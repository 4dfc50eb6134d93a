import Foundation

/// Applies SQL migrations in name order, each in its own transaction, and guards against drift.
///
/// STYLE.md (GRDB habits): record each migration with its checksum, refuse an applied file that was
/// edited, refuse a database that holds a migration this build does not know.
public struct Migrator: Sendable {
    /// One migration: its file name, its SQL and the SHA-256 (hex) of that SQL.
    public struct Migration: Sendable, Equatable {
        public let name: String
        public let sql: String
        public let checksum: String
    }

    /// This build's migrations, sorted by name.
    public let migrations: [Migration]

    public init(migrations: [(name: String, sql: String)]) {
        self.migrations = migrations
            .map { Migration(name: $0.name, sql: $0.sql, checksum: SHA256.hexDigest(of: Array($0.sql.utf8))) }
            .sorted { $0.name < $1.name }
    }

    /// Brings `db` up to date. Safe when several processes start at once: each step re-reads the
    /// applied list under the write lock.
    public func migrate(_ db: Connection, now: Date = Date()) throws {
        try checkNamesAreUnique()
        var applied = try db.transaction {
            try db.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name        TEXT    PRIMARY KEY,
                    checksum    TEXT    NOT NULL,
                    applied_at  INTEGER NOT NULL
                )
                """)
            return try verifiedApplied(db)
        }
        for migration in migrations where applied[migration.name] == nil {
            applied = try db.transaction {
                let current = try verifiedApplied(db)
                guard current[migration.name] == nil else { return current }  // another process got here first
                try db.execute(migration.sql)
                try db.run(
                    "INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
                    [migration.name, migration.checksum, now.unixSeconds])
                return try verifiedApplied(db)
            }
        }
    }

    /// The applied migrations as name → checksum, after checking them against this build.
    public func appliedMigrations(_ db: Connection) throws -> [String: String] {
        try checkNamesAreUnique()
        return try db.transaction(.deferred) { try verifiedApplied(db) }
    }

    private func checkNamesAreUnique() throws {
        for (earlier, later) in zip(migrations, migrations.dropFirst()) where earlier.name == later.name {
            throw MigrationError.duplicateName(later.name)
        }
    }

    private func verifiedApplied(_ db: Connection) throws -> [String: String] {
        let known = Dictionary(migrations.map { ($0.name, $0.checksum) }, uniquingKeysWith: { first, _ in first })
        var applied: [String: String] = [:]
        for row in try db.rows("SELECT name, checksum FROM schema_migrations ORDER BY name") {
            let name: String = try row[0]
            let checksum: String = try row[1]
            guard let expected = known[name] else { throw MigrationError.unknownMigration(name: name) }
            guard expected == checksum else { throw MigrationError.editedAfterApplied(name: name) }
            applied[name] = checksum
        }
        return applied
    }
}
