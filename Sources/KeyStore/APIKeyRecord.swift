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

    public init(
        id: String, name: String, hint: String, createdAt: Date, expiresAt: Date?, rateLimitRPM: Int,
        deactivatedAt: Date?, lastUsedAt: Date?, succeededRequests: Int = 0, refusedRequests: Int = 0
    ) {
        self.succeededRequests = succeededRequests
        self.refusedRequests = refusedRequests
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

    /// Inactive wins over expired; a key expires at the instant `now` reaches `expiresAt`.
    public func status(at now: Date) -> KeyStatus {
        if isDeactivated { return .inactive }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }
}
