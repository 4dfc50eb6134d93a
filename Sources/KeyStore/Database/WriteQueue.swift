import Dispatch
import PosixThreads
import Synchronization

/// The single writer: one thread runs every write transaction of a store, and commits all the
/// writes that queued while the previous commit's fsync ran in **one** transaction (group commit).
///
/// Each write runs inside its own SAVEPOINT, so a write that throws (a full disk, a constraint)
/// is rolled back alone and fails alone; the others in its group still commit. When SQLite has
/// rolled back the whole transaction itself (it may, after SQLITE_FULL or SQLITE_IOERR), the
/// writes that had succeeded are run again in a fresh transaction, without the one that failed.
/// A failed COMMIT fails every write of that group and no other. Completions run on the writer
/// thread after the commit (or the failure) and must not block: they hand the result on.
final class WriteQueue: Sendable {
    /// A write, type-erased: its body runs inside the group's transaction; `done` gets its result.
    /// A job without a body is a barrier: it writes nothing and completes with its group.
    struct Job: Sendable {
        let body: (@Sendable (Connection) throws -> any Sendable)?
        let done: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var stopping = false
        var stopped = false
    }

    /// The store's one writing connection. Its mutex is taken for each group and by `withConnection`
    /// (in-memory stores read through it; `close` closes it).
    private let connection: Lock<Connection?>
    private let state = Lock(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Groups committed and writes in them, for tests and the benchmarks' explanations.
    let groupsCommitted = Atomic<Int>(0)
    let writesCommitted = Atomic<Int>(0)

    /// Takes `connection` and starts the writer thread.
    init(connection: sending Connection, name: String = "sqlite-writer") throws {
        self.connection = Lock(connection)
        try Threads.start(name: name) { [self] in run() }
    }

    /// Runs `body` with the connection, outside the queue (reads of an in-memory store, closing).
    func withConnection<T>(_ body: (inout Connection?) throws -> T) rethrows -> T {
        try connection.withLock(body)
    }

    /// Queues `body`; `done` is called on the writer thread once its group has committed or failed.
    func submit<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T,
                             done: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let job = Job(body: { try body($0) }, done: { result in
            done(result.map { $0 as! T })  // the value is the body's own T
        })
        enqueue(job)
    }

    /// `done` runs once every write queued before it has committed or failed; nothing is written.
    func barrier(_ done: @escaping @Sendable () -> Void) {
        enqueue(Job(body: nil, done: { _ in done() }))
    }

    private func enqueue(_ job: Job) {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopping else { return false }
            s.jobs.append(job)
            return true
        }
        if accepted { wake.signal() } else { job.done(.failure(KeyStoreError.closed)) }
    }

    /// Queues `body` and waits for its commit. Never call it from the writer thread (a completion).
    func sync<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        try waitForResult { done in submit(body, done: done) }
    }

    /// Refuses new writes, commits those queued, then ends the thread. Safe to call twice.
    func stop() {
        let wasRunning = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return !s.stopping
        }
        guard wasRunning else { return }
        wake.signal()
        finished.wait()
    }

    // MARK: - The writer thread

    private func run() {
        // Below the event loops, as the usage flush is: a loop woken while a group runs gets the
        // core at once instead of after the scheduler's wake-up granularity (milliseconds).
        Threads.setCurrentThreadNice(10)
        while true {
            wake.wait()
            // Everything queued so far is one group; what queues while it commits is the next.
            let (group, stop) = state.withLock { s in
                defer { s.jobs.removeAll(keepingCapacity: true) }
                return (s.jobs, s.stopping)
            }
            if !group.isEmpty { commit(group) }
            if stop && state.withLock({ $0.jobs.isEmpty }) { break }
        }
        finished.signal()
    }

    private func commit(_ group: [Job]) {
        var results = [Result<any Sendable, any Error>?](repeating: nil, count: group.count)
        for (i, job) in group.enumerated() where job.body == nil { results[i] = .success(()) }
        if results.allSatisfy({ $0 != nil }) {
            for (job, result) in zip(group, results) { job.done(result!) }
            return
        }
        connection.withLock { connection in
            guard let connection else {
                for i in group.indices { results[i] = .failure(KeyStoreError.closed) }
                return
            }
            Self.commit(group, on: connection, into: &results)
        }
        groupsCommitted.add(1, ordering: .relaxed)
        writesCommitted.add(results.count { if case .success = $0 { true } else { false } }, ordering: .relaxed)
        for (job, result) in zip(group, results) { job.done(result!) }
    }

    private static func commit(_ group: [Job], on db: Connection, into results: inout [Result<any Sendable, any Error>?]) {
        // One write alone needs no savepoint: its transaction is its own.
        let isolate = group.count(where: { $0.body != nil }) > 1
        var pending = group.indices.filter { group[$0].body != nil }
        attempt: while !pending.isEmpty {
            do {
                try db.run(Connection.TransactionKind.immediate.rawValue)
            } catch {
                for i in pending { results[i] = .failure(error) }
                return
            }
            var succeeded: [(index: Int, value: any Sendable)] = []
            for (position, i) in pending.enumerated() {
                do {
                    if isolate { try db.run("SAVEPOINT write") }
                    let value = try group[i].body!(db)
                    if isolate { try db.run("RELEASE write") }
                    succeeded.append((i, value))
                } catch {
                    results[i] = .failure(error)
                    guard db.isInTransaction else {
                        // SQLite rolled back the whole transaction: run the others again, anew.
                        pending = succeeded.map(\.index) + pending[(position + 1)...]
                        continue attempt
                    }
                    if isolate {
                        try? db.run("ROLLBACK TO write")
                        try? db.run("RELEASE write")
                    } else {
                        try? db.run("ROLLBACK")
                        return
                    }
                }
            }
            do {
                try db.run("COMMIT")
                for (i, value) in succeeded { results[i] = .success(value) }
            } catch {
                if db.isInTransaction { try? db.run("ROLLBACK") }
                for (i, _) in succeeded { results[i] = .failure(error) }
            }
            return
        }
    }
}

/// Starts work that reports once through `done` (on any thread) and blocks until it has: the
/// blocking form of every queued write, for callers that may wait (the CLI, the flush thread).
func waitForResult<T: Sendable>(_ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void) throws -> T {
    // No handler writes on a loop thread (architecture.md): it queues the write and answers later.
    assert(!Threads.currentIsEventLoop, "a blocking wait for a write on an event loop thread")
    let result = Lock<Result<T, any Error>?>(nil)
    let ready = DispatchSemaphore(value: 0)
    start { outcome in
        result.withLock { $0 = outcome }
        ready.signal()
    }
    ready.wait()
    return try result.withLock { $0! }.get()
}
