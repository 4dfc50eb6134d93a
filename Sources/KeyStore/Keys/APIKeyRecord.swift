import FoundationEssentials

/// What the store knows about a key: everything except the secret, which it never had.
public struct APIKeyRecord: Sendable, Equatable {
    public let id: String
    public let name: String
    /// `sk-theta-abcd…wxyz`: enough to recognise a key, useless to an attacker.
    public let hint: String
    public let createdAt: Date
    public let expiresAt: Date?
    public let rateLimitRPM: Int
    public let deactivatedAt: Date?
    public let lastUsedAt: Date?
    /// Requests answered 200 with this key (flushed in batches, so up to a second behind).
    public let succeededRequests: Int
    /// Requests with this key answered 4xx (401 inactive or expired, 402, 429, 400, 413).
    public let refusedRequests: Int
    /// The key this one was rolled from, and the one it was rolled to (see `graceUntil`).
    public let rolledFrom: String?
    public let rolledTo: String?
    /// A rolled key works until this instant, then counts as inactive, for good.
    public let graceUntil: Date?
    /// The first key of this key's roll chain, whose rate-limit window the chain shares; nil for a
    /// key never rolled from another (its own id is its group).
    public let rateGroup: String?
    /// The addresses the key may be used from; empty allows every address.
    public let allowedCIDRs: [CIDR]

    public init(
        id: String, name: String, hint: String, createdAt: Date, expiresAt: Date?, rateLimitRPM: Int,
        deactivatedAt: Date?, lastUsedAt: Date?, succeededRequests: Int = 0, refusedRequests: Int = 0,
        rolledFrom: String? = nil, rolledTo: String? = nil, graceUntil: Date? = nil, rateGroup: String? = nil,
        allowedCIDRs: [CIDR] = []
    ) {
        self.succeededRequests = succeededRequests
        self.refusedRequests = refusedRequests
        self.rolledFrom = rolledFrom
        self.rolledTo = rolledTo
        self.graceUntil = graceUntil
        self.rateGroup = rateGroup
        self.allowedCIDRs = allowedCIDRs
        self.id = id
        self.name = name
        self.hint = hint
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.rateLimitRPM = rateLimitRPM
        self.deactivatedAt = deactivatedAt
        self.lastUsedAt = lastUsedAt
    }

    /// Deactivation is final; the schema's triggers enforce it.
    public var isDeactivated: Bool { deactivatedAt != nil }

    /// When the key stopped working for good: deactivated, or the end of a roll's grace that has
    /// passed; nil while it can still work.
    public func endedAt(_ now: Date) -> Date? {
        if let deactivatedAt { return deactivatedAt }
        if let graceUntil, graceUntil <= now { return graceUntil }
        return nil
    }

    /// Inactive wins over expired; a key expires at the instant `now` reaches `expiresAt`, and a
    /// rolled key ends at the instant `now` reaches `graceUntil`.
    public func status(at now: Date) -> KeyStatus {
        if endedAt(now) != nil { return .inactive }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }

    /// The rate-limit window this key counts against: its roll chain's, so a roll never doubles a
    /// client's requests per minute.
    public var rateLimitKey: String { rateGroup ?? id }

    /// Whether a request from `address` (as the server reports the peer) may use this key.
    public func allows(address: String) -> Bool {
        guard !allowedCIDRs.isEmpty else { return true }
        guard let bytes = CIDR.address(address) else { return false }
        return allowedCIDRs.contains { $0.contains(bytes) }
    }
}
