import FoundationEssentials

/// Usage gathered in memory between flushes: per-key request counts and last-used times, and the
/// charges of accepted requests.
public struct UsageBatch: Sendable {
    public struct KeyUsage: Sendable, Equatable {
        public var succeeded = 0
        public var refused = 0
        public var lastUsed = Date(timeIntervalSince1970: 0)

        public init(succeeded: Int = 0, refused: Int = 0, lastUsed: Date = Date(timeIntervalSince1970: 0)) {
            self.succeeded = succeeded
            self.refused = refused
            self.lastUsed = lastUsed
        }
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
