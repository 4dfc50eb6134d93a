import PosixThreads
import FoundationEssentials

/// Per-key rate limiting over an exact sliding 60-second window: a request is admitted when fewer
/// than `limit` requests of that key were admitted in the 60 seconds before it (`(now - 60, now]`).
/// Only admitted requests are remembered, so refused ones never count. In memory: a restart forgets.
public final class RateLimiter: Sendable {
    public static let window: TimeInterval = 60

    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        public let limit: Int
        /// Requests still admissible in the current window, after this one.
        public let remaining: Int
        /// Whole seconds until the oldest admitted request leaves the window (0 when none is in it).
        public let resetSeconds: Int
        /// Whole seconds until a refused request would be admitted.
        public let retryAfterSeconds: Int?
    }

    /// One key's admissions still inside the window, oldest first.
    ///
    /// A queue over an array: expired times are dropped by moving `head`, and the array is compacted
    /// only once the dropped prefix is at least half of it, so admitting is O(1) amortized. (It was
    /// an array copied out of the dictionary, trimmed with `removeFirst` and written back: two
    /// copies of the whole window per request, O(n) in the admissions of the last minute, which
    /// made a 100,000-RPM key slower with every request. See docs/benchmarks.md.)
    struct Window {
        private(set) var times: [TimeInterval] = []
        private var head = 0

        /// The admissions still remembered, oldest first.
        var live: ArraySlice<TimeInterval> { times[head...] }
        var count: Int { times.count - head }

        /// Forgets admissions up to the first one after `cutoff`, or all of them if none is.
        mutating func dropThrough(_ cutoff: TimeInterval) {
            while head < times.count, times[head] <= cutoff { head += 1 }
            if head == times.count {
                times.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64 && head * 2 >= times.count {
                times.removeFirst(head)
                head = 0
            }
        }

        mutating func append(_ time: TimeInterval) { times.append(time) }
    }

    /// Keys spread over a few locks, so event-loop threads rarely wait on each other.
    private final class Shard: Sendable {
        let windows = Lock<[String: Window]>([:])
    }
    private let shards: [Shard]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    public func admit(keyID: String, limit: Int, now: Date) -> Decision {
        let t = now.timeIntervalSince1970
        let shard = shards[Int(stableHash(keyID) % UInt64(shards.count))]
        return shard.windows.withLock { windows in
            // Mutated in place through the dictionary (no copy of the window).
            Self.admit(&windows[keyID, default: Window()], limit: limit, at: t)
        }
    }

    private static func admit(_ window: inout Window, limit: Int, at t: TimeInterval) -> Decision {
        // Admitted at or before now - 60 is outside the window.
        window.dropThrough(t - Self.window)
        if window.count < limit {
            window.append(t)
            let live = window.live
            return Decision(allowed: true, limit: limit, remaining: limit - live.count,
                            resetSeconds: Self.secondsUntil(live[live.startIndex] + Self.window, from: t),
                            retryAfterSeconds: nil)
        }
        // The slot frees when the oldest of the last `limit` admissions leaves the window.
        let frees = window.times[window.times.count - limit] + Self.window
        let wait = max(1, Self.secondsUntil(frees, from: t))
        return Decision(allowed: false, limit: limit, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait)
    }

    /// The state of a key's window without admitting anything (for refusals made before the limiter).
    public func peek(keyID: String, limit: Int, now: Date) -> Decision {
        let t = now.timeIntervalSince1970
        let shard = shards[Int(stableHash(keyID) % UInt64(shards.count))]
        let (inside, first) = shard.windows.withLock { windows -> (Int, TimeInterval?) in
            guard let live = windows[keyID]?.live else { return (0, nil) }
            let cutoff = t - Self.window
            return (live.lazy.filter { $0 > cutoff }.count, live.first { $0 > cutoff })
        }
        let remaining = max(0, limit - inside)
        let reset = first.map { Self.secondsUntil($0 + Self.window, from: t) } ?? 0
        return Decision(allowed: remaining > 0, limit: limit, remaining: remaining, resetSeconds: reset, retryAfterSeconds: nil)
    }

    /// Forgets every window (a fixture reset).
    public func removeAll() {
        for shard in shards { shard.windows.withLock { $0.removeAll() } }
    }

    /// Drops windows with nothing left in them, so keys that went quiet cost no memory.
    public func prune(now: Date) {
        let cutoff = now.timeIntervalSince1970 - Self.window
        for shard in shards {
            shard.windows.withLock { windows in windows = windows.filter { ($0.value.live.last ?? 0) > cutoff } }
        }
    }

    private static func secondsUntil(_ time: TimeInterval, from now: TimeInterval) -> Int {
        max(0, Int((time - now).rounded(.up)))
    }

    /// FNV-1a: stable across runs, unlike Hasher.
    private func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
