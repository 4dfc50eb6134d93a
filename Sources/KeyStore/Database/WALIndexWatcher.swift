import PosixThreads
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells, without a transaction or a lock, whether any connection in any process has committed
/// to a WAL-mode database since an earlier look.
///
/// SQLite keeps a header at the start of the wal-index (the `-shm` file, shared memory between all
/// connections to the database; https://sqlite.org/walformat.html, "the WAL-index header"). Every
/// commit rewrites it with an incremented change counter, the new last frame and its checksums, in
/// two copies: the second copy first, a memory barrier, then the first. A reader that reads the
/// first copy, a barrier, then the second, and finds them equal, has a consistent header; SQLite's
/// own readers do exactly that before they take a read lock. Equal headers at two moments mean no
/// transaction committed in between, so a value read from the database after the first moment is
/// still current at the second.
///
/// Only the header's bytes are compared; two fields are checked once, at open, to make sure the
/// file has the layout this relies on (version 3007000, initialised). Any doubt disables it: no
/// `-shm` file, a short one, a mapping that fails, or an unexpected layout give nil.
final class WALIndexWatcher: @unchecked Sendable {
    /// 48 bytes of header, as six words; compared, never interpreted.
    struct Header: Equatable, Sendable {
        let a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt64, f: UInt64
    }

    static let headerBytes = 48
    static let expectedVersion: UInt32 = 3_007_000
    private static let mappedBytes = 4096

    // Immutable after init; the memory it points at is shared with SQLite, which writes it.
    private let base: UnsafeRawPointer
    /// Open for as long as SQLite's connections are. POSIX record locks belong to the process, and
    /// closing *any* descriptor of a file drops every lock the process holds on it: closing this
    /// one while a connection is open would drop SQLite's shared lock on the -shm's dead-man-switch
    /// byte and its read marks. Another process (the CLI, the sqlite3 shell) would then take the
    /// switch, believe it was alone, truncate the -shm under this process's mappings (SIGBUS) and
    /// rebuild the wal-index while this process reads it. So it is closed only by `close()`, after
    /// the connections.
    private let lock = Lock<Int32>(-1)

    /// Maps the first page of `<databasePath>-shm` read-only. The database must be open in WAL
    /// mode by this process (so SQLite has created and initialised the file, and keeps it while
    /// this process has a connection: another process removes `-shm` only when it is the last).
    init?(databasePath: String) {
        let fd = open(databasePath + "-shm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        // Every way out below keeps the descriptor open (see `lock`): a watcher that gives up
        // still must not drop SQLite's locks.
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= Self.mappedBytes,
              let mapped = mmap(nil, Self.mappedBytes, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            Self.abandoned.withLock { $0.append(fd) }
            return nil
        }
        base = UnsafeRawPointer(mapped)
        let version = base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let isInit = base.load(fromByteOffset: 12, as: UInt8.self)
        guard version == Self.expectedVersion, isInit == 1, snapshot() != nil else {
            munmap(mapped, Self.mappedBytes)
            Self.abandoned.withLock { $0.append(fd) }
            return nil
        }
        lock.withLock { $0 = fd }
    }

    /// Descriptors of watchers that gave up at open: kept open for the same reason (a handful at
    /// most, one per store whose -shm had an unexpected layout).
    private static let abandoned = Lock<[Int32]>([])

    /// Closes the -shm descriptor. Call only once every SQLite connection of this process to the
    /// database is closed. The mapping stays readable (it is one page, which a truncation never
    /// removes), so a late `snapshot()` is harmless.
    func close() {
        lock.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit {
        // The store that owned it is gone, and with it every use of its connections.
        close()
        munmap(UnsafeMutableRawPointer(mutating: base), Self.mappedBytes)
    }

    /// The current header, or nil while a commit is rewriting it (the two copies differ).
    func snapshot() -> Header? {
        let first = header(at: 0)
        atomicMemoryFence(ordering: .acquiring)
        let second = header(at: Self.headerBytes)
        return first == second ? first : nil
    }

    private func header(at offset: Int) -> Header {
        Header(a: word(offset), b: word(offset + 8), c: word(offset + 16), d: word(offset + 24),
               e: word(offset + 32), f: word(offset + 40))
    }

    @inline(__always)
    private func word(_ offset: Int) -> UInt64 {
        base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
}
