extension Account {
    /// The `account` columns an `Account` is read from, in `init(reading:at:)`'s order.
    static let columns = ["plan", "balance_micro", "usage_batches"]
    static let columnCount = Int32(columns.count)

    /// The one decoder of the account row: `columns`, starting at column `offset`.
    init(reading row: some ColumnReader, at offset: Int32 = 0) throws {
        guard let plan = Plan(rawValue: try row.text(offset)) else { throw KeyStoreError.missingAccount }
        self.init(plan: plan, balanceMicro: try row.int64(offset + 1), usageBatches: try row.int64(offset + 2))
    }
}
