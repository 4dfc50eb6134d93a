import PosixThreads
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The keys, the audit log and the admin token, in one SQLite file.
///
/// Sendable because it serializes access itself: one writer connection owned by the writer thread
/// (`WriteQueue`, which commits concurrent writes together), and a few reader connections, each
/// behind its own mutex, so reads go on while a write waits for fsync (WAL).
/// Another process (the CLI) may use the same file at the same time. The one thing kept in memory is
/// the API gate's last answers, and only while the database's wal-index header shows that no
/// transaction has committed since they were read (`WALIndexWatcher`), so any commit, from any
/// process, counts from the next request exactly as if nothing were kept.
public final class KeyStore: Sendable {
    /// The largest `limit` a listing accepts.
    public static let maxPageSize = 1000
    /// Reader connections per store.
    public static let readerCount = 4

    public let path: String
    public let clock: any Clock
    private let writer: WriteQueue
    private let readers: [ReaderSlot]
    private let nextReader = Atomic<UInt>(0)
    /// Nil for in-memory stores, or when the `-shm` file cannot be watched: then the gate always reads.
    let walWatcher: WALIndexWatcher?
    let gateCache = Lock(GateCache())
    /// Gate answers served from `gateCache` (for tests).
    let gateCacheHits = Atomic<Int>(0)
    /// When the current billing cycle ends, as this process last applied it (0: not known yet).
    let knownCycleEnd = Atomic<Int64>(0)

    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// - Parameter maxDatabaseBytes: caps the file size through `max_page_count`; writes past it fail
    ///   with a `DatabaseError` whose `isFull` is true, like a full disk.
    public init(
        path: String, clock: any Clock = SystemClock(),
        migrations: [(name: String, sql: String)] = embeddedMigrations, maxDatabaseBytes: Int64? = nil
    ) throws {
        // A new database file is readable by its owner only, and never made through a link; SQLite
        // gives -wal and -shm the same mode.
        try DatabaseFile.prepare(path)
        let writer = try Connection(path: path)
        try Migrator(migrations: migrations).migrate(writer, now: clock.now())
        if let maxDatabaseBytes {
            let pageSize: Int64 = try writer.value("PRAGMA page_size") ?? 4096
            try writer.execute("PRAGMA max_page_count = \(max(1, maxDatabaseBytes / pageSize))")
        }
        // Each in-memory (or temporary, "") connection is its own private database, so a separate
        // reader would see an empty one; such stores read through the writer.
        var readers: [ReaderSlot] = []
        if path != ":memory:" && !path.isEmpty {
            for _ in 0..<Self.readerCount {
                let reader = try Connection(path: path)
                try reader.execute("PRAGMA query_only = ON")  // a read path that writes is a bug; make it fail
                readers.append(ReaderSlot(reader))
            }
        }
        self.path = path
        self.clock = clock
        self.readers = readers
        self.writer = try WriteQueue(connection: writer)
        // After the connections: WAL mode has created and initialised the -shm file by now.
        self.walWatcher = readers.isEmpty ? nil : WALIndexWatcher(databasePath: path)
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try read { db in
            try db.rows("PRAGMA integrity_check").map { row -> String in try row[0] }.joined(separator: "\n")
        }
    }

    /// Closes every connection; later calls throw `KeyStoreError.closed`. Waits for calls in progress.
    public func close() throws {
        var errors: [any Error] = []
        for slot in readers {
            if let error = slot.connection.withLock({ Self.closeAndClear(&$0) }) { errors.append(error) }
        }
        // The writer commits what is queued, then closes last, so it is the last connection and
        // checkpoints the WAL into the file.
        writer.stop()
        if let error = writer.withConnection({ Self.closeAndClear(&$0) }) { errors.append(error) }
        // Only now: closing its -shm descriptor earlier would drop SQLite's locks (WALIndexWatcher).
        walWatcher?.close()
        if let first = errors.first { throw first }
    }

    // MARK: - Connection access

    /// Runs `body` in an IMMEDIATE transaction on the writer thread and waits for the commit.
    /// For callers that may block (the CLI, the flush thread); an event loop uses `write(_:then:)`.
    func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        try writer.sync(body)
    }

    /// Queues `body` for the writer thread; `done` runs there once the write has committed (or
    /// failed), and must not block.
    func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T,
                            then done: @escaping @Sendable (Result<T, any Error>) -> Void) {
        writer.submit(body, done: done)
    }

    /// Prepares a write on the caller's thread (ids, randomness, the clock), then queues it. A
    /// failure to prepare is reported through `done` too, so every caller has one path for errors.
    func write<T: Sendable>(_ prepare: () throws -> @Sendable (Connection) throws -> T,
                            then done: @escaping @Sendable (Result<T, any Error>) -> Void) {
        do {
            writer.submit(try prepare(), done: done)
        } catch {
            done(.failure(error))
        }
    }

    /// Waits on nothing: `done` runs on the writer thread after every write queued before this call
    /// has committed or failed. A barrier for read-your-writes.
    public func afterQueuedWrites(_ done: @escaping @Sendable () -> Void) {
        writer.barrier(done)
    }

    /// Groups and writes the writer thread has committed (for tests and benchmarks).
    public var writerStatistics: (groups: Int, writes: Int) {
        (writer.groupsCommitted.load(ordering: .relaxed), writer.writesCommitted.load(ordering: .relaxed))
    }

    /// Runs `body` on a free reader, or waits for one. Each statement sees the latest commit.
    ///
    /// `body` is @Sendable so that it cannot tie the connection to outside state: the connection
    /// must stay behind its mutex.
    func read<T: Sendable>(_ body: @Sendable (Connection) throws -> T) throws -> T {
        guard !readers.isEmpty else {
            return try writer.withConnection { connection in try Self.use(connection, body) }
        }
        for slot in readers {
            if let result = try slot.connection.withLockIfAvailable({ connection in try Self.use(connection, body) }) {
                return result
            }
        }
        let slot = readers[Int(nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(readers.count))]
        return try slot.connection.withLock { connection in try Self.use(connection, body) }
    }

    private static func use<T>(_ connection: Connection?, _ body: @Sendable (Connection) throws -> T) throws -> T {
        guard let connection else { throw KeyStoreError.closed }
        return try body(connection)
    }

    private static func closeAndClear(_ connection: inout Connection?) -> (any Error)? {
        defer { connection = nil }
        do {
            try connection?.close()
            return nil
        } catch {
            return error
        }
    }
}

/// One reader connection and the mutex that is its owner while a read runs.
private final class ReaderSlot: Sendable {
    let connection: Lock<Connection?>

    init(_ connection: sending Connection) {
        self.connection = Lock(connection)
    }
}
