import PosixThreads
import FoundationEssentials
import Synchronization

/// Gathers usage in memory and writes it in one transaction per flush (the server flushes once a
/// second), instead of one durable write per request. A crash loses at most the batch not yet
/// flushed: request counts, last-used times and the charges in it. Never a key or a deactivation,
/// which are written at once.
///
/// The balance a request is judged on is the stored balance less the charges not yet in it, so a
/// batch in flight is never counted twice: each batch has a number, and the account row records the
/// last one applied.
public final class UsageRecorder: Sendable {
    private struct State {
        var open: UsageBatch
        /// `open.chargedMicro`, kept as charges arrive: summing the batch's charges on every request
        /// made the gate O(charges since the last flush), 3.6% of an accepted request at 9,000/s.
        var openMicro: Int64 = 0
        /// Taken for writing, not yet known to be in the stored balance.
        var inFlight: [(number: Int64, micro: Int64)] = []
        /// Bumped when a fixture reset starts and again when it has committed; usage of a request
        /// admitted before the second bump is dropped.
        var epoch: UInt64 = 0
        /// A reset is on its way to the writer: every usage is dropped until it has committed.
        var resetting = false
    }

    private let store: KeyStore
    private let state: Lock<State>
    /// Held from taking a batch to queueing its write, so batches reach the writer thread in number
    /// order; `state` is held only for the swap, so a loop recording usage never waits on this.
    private let submitting = Lock(())
    /// `State.epoch`, readable without the lock (a request reads it once, at its gate).
    private let currentEpoch = Atomic<UInt64>(0)

    public init(store: KeyStore) throws {
        self.store = store
        let applied = try store.account().usageBatches
        state = Lock(State(open: UsageBatch(number: applied + 1)))
    }

    /// The usage epoch now: pass it back with a request's usage, so a reset in between drops it.
    public var epoch: UInt64 { currentEpoch.load(ordering: .acquiring) }

    /// Counts a request answered for a known key, by its status: 200, or the refusal's 400, 401
    /// (after the key lookup), 402, 413 or 429. Goes into the key's minute at `at`.
    public func record(keyID: String, status: Int, at: Date, epoch: UInt64? = nil) {
        state.withLock { s in
            if s.resetting { return }
            if let epoch, epoch != s.epoch { return }
            s.open.keys[keyID, default: UsageBatch.KeyUsage()].count(status: status, at: at)
        }
    }

    public func charge(_ charge: UsageBatch.Charge, epoch: UInt64? = nil) {
        state.withLock { s in
            if s.resetting { return }
            if let epoch, epoch != s.epoch { return }
            s.open.charges.append(charge)
            s.openMicro += charge.costMicro
        }
    }

    /// Charges not yet included in a stored balance that was read with `appliedBatches`.
    public func pendingMicro(appliedBatches: Int64) -> Int64 {
        state.withLock { s in
            var pending = s.openMicro
            for batch in s.inFlight where batch.number > appliedBatches { pending += batch.micro }
            return pending
        }
    }

    /// True while some answered request's usage is not yet known to be written.
    public var hasPending: Bool {
        state.withLock { s in !s.open.isEmpty || !s.inFlight.isEmpty }
    }

    /// Writes what has gathered and waits for it. On failure the batch is kept and retried with the
    /// next flush. For threads that may block (the flush thread, shutdown); a loop uses `flush(then:)`.
    public func flush() throws {
        try waitForResult { done in flush(then: done) }
    }

    /// Queues what has gathered for the writer thread. `done` runs (on the writer thread, or here
    /// when nothing is pending) once every request's usage gathered before this call is written:
    /// this batch, and any batch another flush queued before it. On failure the batch is put back.
    public func flush(then done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let queued = submitting.withLock { _ -> Bool in
            let taken: UsageBatch? = state.withLock { s in
                guard !s.open.isEmpty else { return nil }
                let taken = s.open
                s.inFlight.append((taken.number, s.openMicro))
                s.open = UsageBatch(number: taken.number + 1)
                s.openMicro = 0
                return taken
            }
            if let batch = taken {
                store.applyUsage(batch) { [self] result in
                    if case .failure = result { putBack(batch) }
                    state.withLock { s in s.inFlight.removeAll { $0.number <= batch.number } }
                    done(result)
                }
                return true
            }
            // Nothing new, but an earlier batch may still be on its way: wait behind it.
            guard state.withLock({ !$0.inFlight.isEmpty }) else { return false }
            store.afterQueuedWrites { done(.success(())) }
            return true
        }
        if !queued { done(.success(())) }
    }

    /// For a fixture reset: drops the usage gathered so far and every usage from now until
    /// `finishReset()`, and calls `queue` (the reset's write) while no flush can queue a batch, so
    /// every batch already queued is written before the reset, and none after it holds usage from
    /// before. A request admitted before `finishReset()` (it saw the old keys) never bills the new
    /// account: its epoch is an old one.
    public func discardPending(_ queue: () -> Void) {
        submitting.withLock { _ in
            state.withLock { s in
                s.open = UsageBatch(number: s.open.number)
                s.openMicro = 0
                s.resetting = true
                s.epoch &+= 1
                currentEpoch.store(s.epoch, ordering: .releasing)
            }
            queue()
        }
    }

    /// The reset has committed: usage counts again, from requests admitted from now on.
    public func finishReset() {
        state.withLock { s in
            s.resetting = false
            s.epoch &+= 1
            currentEpoch.store(s.epoch, ordering: .releasing)
        }
    }

    /// A batch whose write failed goes back in front of what gathered since, under the open number.
    private func putBack(_ batch: UsageBatch) {
        state.withLock { s in
            s.inFlight.removeAll { $0.number == batch.number }
            var merged = batch
            merged.number = s.open.number
            for (id, usage) in s.open.keys {
                merged.keys[id, default: UsageBatch.KeyUsage()].merge(usage)
            }
            merged.charges += s.open.charges
            s.open = merged
            s.openMicro = merged.chargedMicro
        }
    }
}
