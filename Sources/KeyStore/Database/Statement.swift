import CSQLite

/// A prepared statement owned by one `Connection`, which caches and finalizes it.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private let db: OpaquePointer

    init(db: OpaquePointer, sql: String) throws {
        var handle: OpaquePointer?
        var trailing = ""
        // PERSISTENT: these statements live in the connection's cache for its whole life.
        let rc = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, &tail)
            if let tail { trailing = String(cString: tail) }
            return rc
        }
        guard rc == SQLITE_OK else {
            sqlite3_finalize(handle)
            throw DatabaseError.last(on: db, code: rc, sql: sql)
        }
        guard let handle else {
            throw DatabaseError(code: SQLITE_MISUSE, message: "no statement in the SQL text", sql: sql)
        }
        // A second statement would be silently ignored by prepare; scripts go through `execute`.
        guard trailing.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            sqlite3_finalize(handle)
            throw DatabaseError(code: SQLITE_MISUSE, message: "more than one statement; use execute(_:)", sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.db = db
    }

    func finalize() {
        // finalize reports the last step's error again, which was already thrown; nothing new to check.
        sqlite3_finalize(handle)
    }

    /// Binds `arguments` to parameters 1…n, all with SQLITE_TRANSIENT so SQLite copies them.
    func bind(_ arguments: [(any DatabaseValueConvertible)?]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw DatabaseError(
                code: SQLITE_RANGE, message: "statement takes \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch argument?.databaseValue ?? .null {
            case .null:
                rc = sqlite3_bind_null(handle, index)
            case .integer(let value):
                rc = sqlite3_bind_int64(handle, index, value)
            case .real(let value):
                rc = sqlite3_bind_double(handle, index, value)
            case .text(var value):
                rc = try value.withUTF8 { utf8 in
                    // An empty buffer may have no base address, and a NULL pointer would bind NULL, not ''.
                    guard let base = utf8.baseAddress else { return theta_sqlite3_bind_text_transient(handle, index, "", 0) }
                    return theta_sqlite3_bind_text_transient(
                        handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), try length(utf8.count))
                }
            case .blob(let value):
                rc = try value.withUnsafeBytes { bytes in
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
                    return theta_sqlite3_bind_blob_transient(handle, index, base, try length(bytes.count))
                }
            }
            guard rc == SQLITE_OK else { throw DatabaseError.last(on: db, code: rc, sql: sql) }
        }
    }

    // MARK: Typed access for hot queries (Connection.withPrepared)

    func bindBlob(_ index: Int32, _ bytes: [UInt8]) throws {
        let rc = try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return theta_sqlite3_bind_blob_transient(handle, index, base, try length(raw.count))
        }
        guard rc == SQLITE_OK else { throw DatabaseError.last(on: db, code: rc, sql: sql) }
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// An INTEGER column; throws SQLITE_MISMATCH for NULL or another type, as `Row` does.
    func int64(_ column: Int32) throws -> Int64 {
        guard sqlite3_column_type(handle, column) == SQLITE_INTEGER else { throw mismatch(column, expected: "INTEGER") }
        return sqlite3_column_int64(handle, column)
    }

    func optionalInt64(_ column: Int32) throws -> Int64? {
        isNull(column) ? nil : try int64(column)
    }

    /// A TEXT column; throws SQLITE_MISMATCH for NULL or another type.
    func text(_ column: Int32) throws -> String {
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT else { throw mismatch(column, expected: "TEXT") }
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) throws -> String? {
        isNull(column) ? nil : try text(column)
    }

    private func mismatch(_ column: Int32, expected: String) -> DatabaseError {
        // Names the column and types, never the stored value: it may be a hash.
        let name = sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "\(column)"
        return DatabaseError(code: SQLITE_MISMATCH, message: "column \(name) holds type \(sqlite3_column_type(handle, column)), expected \(expected)")
    }

    /// Steps once: true when a row is ready, false when the statement is done.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw DatabaseError.last(on: db, code: rc, sql: sql)
        }
    }

    /// Ends this use: an un-reset statement would keep its read snapshot open and hide newer commits.
    func reset() {
        // reset repeats the error of a failed step, which the caller has already thrown.
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// The result columns' names. Read once and kept, as every row carries them (ten `String`s per
    /// row of a key listing); read again if SQLite has re-prepared the statement since, after a
    /// schema change, when the names of a `SELECT *` could differ.
    var columnNames: [String] {
        let prepared = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        if let cached = cachedColumnNames, cached.prepared == prepared { return cached.names }
        let names = (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
        cachedColumnNames = (prepared, names)
        return names
    }
    private var cachedColumnNames: (prepared: Int32, names: [String])?

    /// Copies the current row's values out of SQLite's buffers.
    func currentValues() -> [DatabaseValue] {
        (0..<sqlite3_column_count(handle)).map { column in
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER:
                return .integer(sqlite3_column_int64(handle, column))
            case SQLITE_FLOAT:
                return .real(sqlite3_column_double(handle, column))
            case SQLITE_TEXT:
                // Ask for the pointer before the byte count, as sqlite3_column_bytes documents.
                guard let text = sqlite3_column_text(handle, column) else { return .text("") }
                let count = Int(sqlite3_column_bytes(handle, column))
                return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
            case SQLITE_BLOB:
                guard let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
                let count = Int(sqlite3_column_bytes(handle, column))
                return .blob([UInt8](UnsafeRawBufferPointer(start: blob, count: count)))
            default:
                return .null
            }
        }
    }

    private func length(_ count: Int) throws -> Int32 {
        guard let length = Int32(exactly: count) else {
            throw DatabaseError(code: SQLITE_TOOBIG, message: "argument of \(count) bytes is too big", sql: sql)
        }
        return length
    }
}
