import FoundationEssentials

extension KeyStore {
    /// Applies a batch of usage in one transaction: request counts and last-used times per key, and
    /// each charge as a ledger entry taken off the balance. Marks the account with the batch number.
    public func applyUsage(_ batch: UsageBatch) throws {
        try write(try applyUsageWrite(batch))
    }

    /// `applyUsage` queued without waiting; `done` runs on the writer thread after the commit.
    public func applyUsage(_ batch: UsageBatch, then done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        write({ try self.applyUsageWrite(batch) }, then: done)
    }

    private func applyUsageWrite(_ batch: UsageBatch) throws -> @Sendable (Connection) throws -> Void {
        let now = clock.now()
        let mint = try IDMint(at: now)
        return { db in
            var ids = mint
            for (id, usage) in batch.keys {
                try db.run(
                    """
                    UPDATE api_keys SET requests_2xx = requests_2xx + ?, requests_4xx = requests_4xx + ?,
                        last_used_at = max(coalesce(last_used_at, 0), ?)
                    WHERE id = ?
                    """, [usage.succeeded, usage.refused, usage.lastUsed.unixSeconds, id])
            }
            // The same requests and charges, per minute, hour and day: the buckets agree with the
            // keys' counts and the ledger because all are written from one batch in one transaction.
            try Self.addBuckets(of: batch, in: db)
            var balance = try Self.account(in: db).balanceMicro
            if !batch.charges.isEmpty {
                // Each charge spends the lots that expire first, then the oldest that never expire
                // (decisions.md); the lots are read once per batch and written back once.
                var debt = try Self.cycleState(in: db).debtMicro
                let earliest = batch.charges.map(\.at).min() ?? now
                var lots = try Self.spendableLots(from: earliest.wholeSeconds, in: db)
                let before = Dictionary(uniqueKeysWithValues: lots.map { ($0.id, $0.remaining) })
                for charge in batch.charges {
                    balance -= charge.costMicro
                    let drawn = Self.spend(charge.costMicro, at: charge.at.wholeSeconds, from: &lots, debt: &debt)
                    try Self.insertLedger(id: ids.next("led_"), at: charge.at.wholeSeconds, kind: .charge, amount: -charge.costMicro,
                                          balanceAfter: balance, plan: nil, keyID: charge.keyID, endpoint: charge.endpoint,
                                          audioSeconds: charge.audioSeconds, detail: nil, lots: drawn, into: db)
                }
                for lot in lots where lot.remaining != before[lot.id] {
                    try db.run("UPDATE credit_lots SET remaining_micro = ? WHERE id = ?", [lot.remaining, lot.id])
                }
                try db.run("UPDATE account SET debt_micro = ? WHERE id = 1", [debt])
            }
            try db.run("UPDATE account SET balance_micro = ?, usage_batches = ?, updated_at = ? WHERE id = 1",
                       [balance, batch.number, now.unixSeconds])
        }
    }
}
