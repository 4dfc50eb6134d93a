import CSQLite

/// A failed SQLite call: the extended result code, SQLite's message and the SQL text.
///
/// Bound values are never included: they can be secrets or hashes (STYLE.md, GRDB habits).
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    public let code: Int32
    public let message: String
    /// The statement that failed, if any. Never its arguments.
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code: the low byte of the extended code.
    public var primaryCode: Int32 { code & 0xFF }

    /// The disk is full or `max_page_count` was reached; the server answers 507.
    public var isFull: Bool { primaryCode == SQLITE_FULL }
    /// Another connection held a lock past the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// A CHECK, UNIQUE, NOT NULL or trigger `RAISE(ABORT)` refused the change.
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    /// The file or the connection cannot be written.
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }
    /// The operating system reported an I/O error.
    public var isIOError: Bool { primaryCode == SQLITE_IOERR }
    /// The file is damaged or is not a database.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    public var description: String {
        var text = "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))): \(message)"
        if let sql { text += " — in: \(sql)" }
        return text
    }

    /// The error SQLite recorded on `db` for its most recent failed call.
    static func last(on db: OpaquePointer?, code: Int32? = nil, sql: String?) -> DatabaseError {
        let code = code ?? (db.map { sqlite3_extended_errcode($0) } ?? SQLITE_ERROR)
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return DatabaseError(code: code, message: message, sql: sql)
    }
}
