import FoundationEssentials

/// Usage gathered in memory between flushes: per key, its requests by outcome and minute and its
/// last-used time, and the charges of accepted requests.
public struct UsageBatch: Sendable {
    public struct KeyUsage: Sendable, Equatable {
        public var lastUsed = Date(timeIntervalSince1970: 0)
        /// Requests by outcome, per minute (the minute's start in Unix seconds, UTC). Audio seconds
        /// and credits are not kept here: they come from `charges` when the batch is written.
        public var minutes: [Int64: UsageCounts] = [:]

        public init(lastUsed: Date = Date(timeIntervalSince1970: 0)) {
            self.lastUsed = lastUsed
        }

        /// Counts one answer with `status` at `at`. Mutates in place (called through the batch's
        /// dictionary), so the minutes are never copied.
        public mutating func count(status: Int, at: Date) {
            lastUsed = max(lastUsed, at)
            minutes[UsageGranularity.minute.bucketStart(at.unixSeconds), default: UsageCounts()].count(status: status)
        }

        /// Adds what `other` counted.
        public mutating func merge(_ other: KeyUsage) {
            lastUsed = max(lastUsed, other.lastUsed)
            for (minute, counts) in other.minutes { minutes[minute, default: UsageCounts()].add(counts) }
        }

        /// 200s, over every minute.
        public var succeeded: Int { minutes.values.reduce(0) { $0 + $1.succeeded } }
        /// Refusals, over every minute.
        public var refused: Int { minutes.values.reduce(0) { $0 + $1.refused } }
    }

    public struct Charge: Sendable, Equatable {
        public let keyID: String
        public let endpoint: String
        public let audioSeconds: Int
        public let costMicro: Int64
        public let at: Date

        public init(keyID: String, endpoint: String, audioSeconds: Int, costMicro: Int64, at: Date) {
            self.keyID = keyID
            self.endpoint = endpoint
            self.audioSeconds = audioSeconds
            self.costMicro = costMicro
            self.at = at
        }
    }

    /// Sequence number; the account records the last one applied.
    public var number: Int64
    public var keys: [String: KeyUsage] = [:]
    public var charges: [Charge] = []

    public init(number: Int64) {
        self.number = number
    }

    public var isEmpty: Bool { keys.isEmpty && charges.isEmpty }
    public var chargedMicro: Int64 { charges.reduce(0) { $0 + $1.costMicro } }
}
