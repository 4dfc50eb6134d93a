import CSQLite

/// One sqlite3 connection and its statement cache.
///
/// Not Sendable: a connection and its statements have exactly one owner, which serializes access
/// (STYLE.md, GRDB habits). `KeyStore` is that owner.
public final class Connection {
    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// Takes the read snapshot at the first read; for reads that must agree with each other.
        case deferred = "BEGIN DEFERRED"
        /// Takes the write lock at once, so a read-then-write can't fail half way with SQLITE_BUSY.
        case immediate = "BEGIN IMMEDIATE"
        case exclusive = "BEGIN EXCLUSIVE"
    }

    /// Read-write, create if missing, no SQLite-level mutex (the owner serializes), extended codes from open.
    public static let defaultFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        | SQLITE_OPEN_EXRESCODE

    public let path: String
    private var db: OpaquePointer?
    private var statements: [String: Statement] = [:]

    /// Opens `path` (`:memory:` works) and applies the settings every connection needs.
    public init(path: String, flags: Int32 = Connection.defaultFlags, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = DatabaseError.last(on: handle, code: rc, sql: nil)
            sqlite3_close_v2(handle)  // open may allocate a handle even when it fails
            throw error
        }
        db = handle
        try check(sqlite3_extended_result_codes(handle, 1))
        try check(sqlite3_busy_timeout(handle, busyTimeoutMilliseconds))
        // One-off statements run uncached (`execute`, `uncachedText`): the cache is for hot SQL.
        try execute("PRAGMA foreign_keys = ON")
        // WAL lets readers go on while a writer fsyncs. SQLite answers with the mode it really set:
        // in-memory databases stay "memory"; anything else means WAL is unavailable here.
        let journal = "PRAGMA journal_mode = WAL"
        let mode = try uncachedText(journal)?.lowercased()
        guard let mode, mode == "wal" || mode == "memory" else {
            throw DatabaseError(code: SQLITE_ERROR, message: "journal_mode is \(mode ?? "unknown"), expected wal",
                                sql: journal)
        }
        // Durability promise: a create or deactivation is on disk before its response is sent.
        try execute("PRAGMA synchronous = FULL")
    }

    deinit {
        try? close()
    }

    /// True when the connection is inside BEGIN … COMMIT.
    public var isInTransaction: Bool {
        guard let db else { return false }
        return sqlite3_get_autocommit(db) == 0
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int {
        guard let db else { return 0 }
        return Int(sqlite3_changes64(db))
    }

    /// Runs a script of one or more statements without arguments, e.g. a migration.
    public func execute(_ sql: String) throws {
        let db = try open()
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw DatabaseError.last(on: db, sql: sql) }
    }

    /// Runs one statement to completion, discarding any rows it returns.
    public func run(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws {
        try withStatement(sql, arguments) { statement in
            while try statement.step() {}
        }
    }

    /// All rows of one query.
    public func rows(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> [Row] {
        try withStatement(sql, arguments) { statement in
            let names = statement.columnNames
            var rows: [Row] = []
            while try statement.step() {
                rows.append(Row(columnNames: names, values: statement.currentValues()))
            }
            return rows
        }
    }

    /// The first row of one query, or nil when it returns none.
    public func row(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> Row? {
        try withStatement(sql, arguments) { statement in
            guard try statement.step() else { return nil }
            return Row(columnNames: statement.columnNames, values: statement.currentValues())
        }
    }

    /// The first column of the first row, or nil when there is no row or the value is NULL.
    public func value<T: DatabaseValueConvertible>(
        _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []
    ) throws -> T? {
        guard let row = try row(sql, arguments) else { return nil }
        let value: T? = try row[0]
        return value
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try run(kind.rawValue)
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            // SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR, …);
            // ROLLBACK then fails with "no transaction is active", which adds nothing to `error`.
            if isInTransaction { try? run("ROLLBACK") }
            throw error
        }
    }

    /// Finalizes cached statements and closes; later calls throw SQLITE_MISUSE. Safe to call twice.
    public func close() throws {
        guard let db else { return }
        for statement in statements.values { statement.finalize() }
        statements = [:]
        self.db = nil
        try check(sqlite3_close_v2(db), on: db)
    }

    /// How many statements are prepared and cached; lets tests check that hot SQL is not re-prepared.
    var cachedStatementCount: Int { statements.count }

    // MARK: - Private

    private func open() throws -> OpaquePointer {
        guard let db else { throw DatabaseError(code: SQLITE_MISUSE, message: "the connection is closed") }
        return db
    }

    private func check(_ rc: Int32, on handle: OpaquePointer? = nil) throws {
        guard rc == SQLITE_OK else { throw DatabaseError.last(on: handle ?? db, code: rc, sql: nil) }
    }

    /// The first column of the first row of a statement that runs once, e.g. at open.
    private func uncachedText(_ sql: String) throws -> String? {
        let statement = try Statement(db: try open(), sql: sql)
        defer { statement.finalize() }
        guard try statement.step() else { return nil }
        return String(databaseValue: statement.currentValues()[0])
    }

    /// Prepares `sql` once per connection and reuses it; always resets it afterwards.
    private func withStatement<T>(
        _ sql: String, _ arguments: [(any DatabaseValueConvertible)?], _ body: (Statement) throws -> T
    ) throws -> T {
        let statement = try cached(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        return try body(statement)
    }

    /// For a hot query: the cached statement for `sql`, parameters bound by `bind` and columns read
    /// by `body` straight from SQLite (Statement's typed accessors), with no `Row` or
    /// `DatabaseValue` in between. Reset afterwards, like every statement.
    func withPrepared<T>(_ sql: String, bind: (Statement) throws -> Void, _ body: (Statement) throws -> T) throws -> T {
        let statement = try cached(sql)
        defer { statement.reset() }
        try bind(statement)
        return try body(statement)
    }

    private func cached(_ sql: String) throws -> Statement {
        if let cached = statements[sql] { return cached }
        let statement = try Statement(db: try open(), sql: sql)
        statements[sql] = statement
        return statement
    }
}

// Connections are confined to one owner at a time; see the type's documentation.
@available(*, unavailable)
extension Connection: Sendable {}
