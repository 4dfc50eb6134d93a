import Dispatch
import FoundationEssentials
import KeyStore
import Logging
import PosixThreads
import Synchronization

/// The chores that keep the store current while the server runs, one round per tick: write the
/// usage gathered in memory, start the billing cycles the clock has reached, prune usage rows past
/// their retention, forget idle rate-limit windows (every 60th tick) and prune the audit log
/// (`--audit-retention-days`, once an hour of the clock).
///
/// `start()` runs the rounds on a thread of its own, once per `tick`, at nice 10: a flush of a busy
/// second's charges takes tens of milliseconds of CPU, and a loop thread sharing the core must not
/// wait behind it (the scheduler lets a woken loop thread preempt it). Under full CPU saturation a
/// round can start late; the gate still counts every pending charge (UsageRecorder). Tests call
/// `runOnce()` instead of waiting for a tick. The clock is injected (the store's).
public final class Housekeeping: Sendable {
    let store: KeyStore
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let clock: any Clock
    let auditRetentionDays: Int?
    let tick: Double
    let logger: Logger

    /// What a round carries to the next; one round runs at a time.
    private struct Rounds {
        var count = 0
        var nextAuditPrune = Date.distantPast
        /// The minute rows' cutoff of the last usage pruning that left nothing behind.
        var usagePruned: Int64?
    }
    private let rounds = Lock(Rounds())
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let thread = Lock<DispatchSemaphore?>(nil)

    public init(store: KeyStore, recorder: UsageRecorder, limiter: RateLimiter, clock: any Clock,
                auditRetentionDays: Int?, tick: Double = 1, logger: Logger) {
        self.store = store
        self.recorder = recorder
        self.limiter = limiter
        self.clock = clock
        self.auditRetentionDays = auditRetentionDays
        self.tick = tick
        self.logger = logger
    }

    /// One round of every chore that is due.
    public func runOnce() {
        rounds.withLock { state in
            flushUsage()
            applyDueCyclesIfNeeded()
            pruneUsage(done: &state.usagePruned)
            state.count += 1
            if state.count % 60 == 0 { limiter.prune(now: clock.now()) }
            if let days = auditRetentionDays, clock.now() >= state.nextAuditPrune {
                pruneAudit(days: days)
                state.nextAuditPrune = clock.now().addingTimeInterval(3600)
            }
        }
    }

    /// Runs a round every `tick` seconds on the `usage-flush` thread, until `stop()`.
    public func start() throws {
        let finished = DispatchSemaphore(value: 0)
        try Threads.start(name: "usage-flush") { [self] in
            Threads.setCurrentThreadNice(10)
            var deadline = DispatchTime.now() + tick
            while !isStopping {
                _ = wake.wait(timeout: deadline)
                if isStopping { break }
                runOnce()
                deadline = max(deadline + tick, DispatchTime.now())
            }
            finished.signal()
        }
        // Only a thread that started can be stopped (stop() waits for it to finish).
        thread.withLock { $0 = finished }
    }

    /// Stops the thread (a round in progress completes first), then writes the last usage.
    public func stop() {
        if let finished = thread.withLock({ handle in defer { handle = nil }; return handle }) {
            stopping.store(true, ordering: .releasing)
            wake.signal()
            finished.wait()
        }
        flushUsage()
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Queues the cycles the clock has reached, after the usage gathered before them (so its
    /// charges spend the ending cycle's credits), without waiting: `done` runs on the writer thread
    /// once they are written, or failed (logged; a round retries). For a gate on a loop thread in
    /// the second after a real month ended.
    func applyDueCycles(then done: @escaping @Sendable () -> Void) {
        recorder.flush { [self] flushed in
            if case .failure(let error) = flushed {
                logger.error("writing usage failed; it will be retried", metadata: ["error": "\(error)"])
            }
            store.applyDueCycles { [self] applied in
                if case .failure(let error) = applied {
                    logger.error("starting a billing cycle failed; it will be retried", metadata: ["error": "\(error)"])
                }
                done()
            }
        }
    }

    /// Starts the cycles the clock has reached, waiting for the write (a round, on its own thread).
    func applyDueCyclesIfNeeded() {
        guard store.cycleMayBeDue else { return }
        do {
            // Charges of the ending cycle are written first, so they spend its credits.
            flushUsage()
            try store.applyDueCycles()
        } catch {
            logger.error("starting a billing cycle failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    func flushUsage() {
        do {
            try recorder.flush()
        } catch {
            logger.error("writing usage failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes audit events older than `days`, 500 per transaction, and records how many went.
    private func pruneAudit(days: Int) {
        let cutoff = clock.now().addingTimeInterval(-Double(days) * 86_400)
        var total = 0
        do {
            while true {
                let deleted = try store.pruneAuditEvents(olderThan: cutoff, limit: 500)
                total += deleted
                if deleted < 500 || isStopping { break }
            }
            if total > 0 {
                try store.recordAudit(action: "audit.pruned", actor: "server",
                                      detail: "\(total) events older than \(days) days deleted (--audit-retention-days)")
            }
        } catch {
            logger.error("pruning the audit log failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes usage rows past their retention (`KeyStore.pruneUsage`: minute rows after 48 hours,
    /// hour rows after 90 days; the flush wrote their counts into the wider rows already): 500
    /// rows a transaction, at most 10,000 a round, so the next flush is not held up; what is left
    /// waits for the next round. `done` is the minute rows' cutoff of the last pass that left
    /// nothing behind: the cutoff moves once an hour of the store's clock, and only then (or at
    /// start-up) is there anything new to do.
    private func pruneUsage(done: inout Int64?) {
        let now = clock.now()
        guard let due = UsageGranularity.minute.keptSince(now: now), done != due else { return }
        var deleted = 0
        do {
            while deleted < 10_000 && !isStopping {
                let rows = try store.pruneUsage(now: now, limit: 500)
                if rows == 0 {
                    done = due
                    return
                }
                deleted += rows
            }
        } catch {
            logger.error("pruning usage rows failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }
}
