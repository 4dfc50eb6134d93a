import FoundationEssentials

extension APIKeyRecord {
    /// The `api_keys` columns a record is read from, in `init(reading:at:)`'s order.
    static let columns = [
        "id", "name", "hint", "created_at", "expires_at", "rate_limit_rpm", "deactivated_at", "last_used_at",
        "requests_2xx", "requests_4xx", "rolled_from", "rolled_to", "grace_until", "rate_group", "allowed_cidrs",
    ]
    static let columnCount = Int32(columns.count)

    /// The one decoder of a key row: `columns`, starting at column `offset`.
    init(reading row: some ColumnReader, at offset: Int32 = 0) throws {
        func date(_ column: Int32) throws -> Date? { try row.optionalInt64(offset + column).map(Date.init(unixSeconds:)) }
        self.init(
            id: try row.text(offset), name: try row.text(offset + 1), hint: try row.text(offset + 2),
            createdAt: Date(unixSeconds: try row.int64(offset + 3)), expiresAt: try date(4),
            rateLimitRPM: Int(try row.int64(offset + 5)), deactivatedAt: try date(6), lastUsedAt: try date(7),
            succeededRequests: Int(try row.int64(offset + 8)), refusedRequests: Int(try row.int64(offset + 9)),
            rolledFrom: try row.optionalText(offset + 10), rolledTo: try row.optionalText(offset + 11),
            graceUntil: try date(12), rateGroup: try row.optionalText(offset + 13),
            allowedCIDRs: CIDR.list(stored: try row.optionalText(offset + 14)))
    }
}
