import FoundationEssentials

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
        // A read first: an up-to-date database (every start but the first) takes no write lock, and
        // a new one gets schema_migrations in its first migration's transaction rather than one
        // of its own, which was a commit (an fsync) more on every first start.
        var applied = try db.transaction(.deferred) { () -> [String: String]? in
            try Self.hasTable(db) ? try verifiedApplied(db) : nil
        }
        let pending = migrations.filter { applied?[$0.name] == nil }
        if pending.isEmpty && applied == nil {
            try db.transaction { try Self.createTable(db) }
        }
        for migration in pending where applied?[migration.name] == nil {
            applied = try db.transaction {
                try Self.createTable(db)
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

    private static func hasTable(_ db: Connection) throws -> Bool {
        let count: Int = try db.value(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") ?? 0
        return count > 0
    }

    private static func createTable(_ db: Connection) throws {
        try db.run("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name        TEXT    PRIMARY KEY,
                checksum    TEXT    NOT NULL,
                applied_at  INTEGER NOT NULL
            )
            """)
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
