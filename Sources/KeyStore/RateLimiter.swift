import Foundation
import Synchronization

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

    /// Keys spread over a few locks, so event-loop threads rarely wait on each other.
    private final class Shard: Sendable {
        let windows = Mutex<[String: [TimeInterval]]>([:])
    }
    private let shards: [Shard]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    public func admit(keyID: String, limit: Int, now: Date) -> Decision {
        let t = now.timeIntervalSince1970
        let shard = shards[Int(stableHash(keyID) % UInt64(shards.count))]
        return shard.windows.withLock { windows in
            var times = windows[keyID] ?? []
            // Admitted at or before now - 60 is outside the window.
            let cutoff = t - Self.window
            if let firstInside = times.firstIndex(where: { $0 > cutoff }) {
                if firstInside > 0 { times.removeFirst(firstInside) }
            } else {
                times.removeAll(keepingCapacity: true)
            }
            if times.count < limit {
                times.append(t)
                windows[keyID] = times
                return Decision(allowed: true, limit: limit, remaining: limit - times.count,
                                resetSeconds: Self.secondsUntil(times[0] + Self.window, from: t), retryAfterSeconds: nil)
            }
            windows[keyID] = times
            // The slot frees when the oldest of the last `limit` admissions leaves the window.
            let frees = times[times.count - limit] + Self.window
            let wait = max(1, Self.secondsUntil(frees, from: t))
            return Decision(allowed: false, limit: limit, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait)
        }
    }

    /// The state of a key's window without admitting anything (for refusals made before the limiter).
    public func peek(keyID: String, limit: Int, now: Date) -> Decision {
        let t = now.timeIntervalSince1970
        let shard = shards[Int(stableHash(keyID) % UInt64(shards.count))]
        let inside = shard.windows.withLock { windows in (windows[keyID] ?? []).filter { $0 > t - Self.window } }
        let remaining = max(0, limit - inside.count)
        let reset = inside.first.map { Self.secondsUntil($0 + Self.window, from: t) } ?? 0
        return Decision(allowed: remaining > 0, limit: limit, remaining: remaining, resetSeconds: reset, retryAfterSeconds: nil)
    }

    /// Drops windows with nothing left in them, so keys that went quiet cost no memory.
    public func prune(now: Date) {
        let cutoff = now.timeIntervalSince1970 - Self.window
        for shard in shards {
            shard.windows.withLock { windows in windows = windows.filter { ($0.value.last ?? 0) > cutoff } }
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
