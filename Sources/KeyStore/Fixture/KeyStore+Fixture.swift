import FoundationEssentials

extension KeyStore {
    /// A test fixture's reset: every key, the ledger, the audit log, the credit lots and the usage
    /// buckets are deleted, and the account starts a new cycle on `plan`, with `balanceMicro` as a
    /// non-expiring lot when given, else the plan's monthly grant (one `grant` entry, one
    /// `fixture.reset` event), in one transaction. The admin token and the usage batch counter stay. `done` runs on the writer
    /// thread after the commit.
    public func resetForFixture(plan: Plan, balanceMicro: Int64?, actor: String, remoteAddress: String?,
                                then done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        write({
            let now = self.clock.now().wholeSeconds
            let mint = try IDMint(at: now)
            return { db in
                var ids = mint
                // The mark lets the trigger allow these deletes; it never outlives the transaction.
                try db.run("INSERT INTO settings (name, value) VALUES ('fixture_reset_in_progress', x'01')")
                try db.run("DELETE FROM api_keys")
                try db.run("DELETE FROM settings WHERE name = 'fixture_reset_in_progress'")
                try db.run("DELETE FROM ledger")
                try db.run("DELETE FROM audit_events")
                try db.run("DELETE FROM credit_lots")
                try db.run("DELETE FROM usage_buckets")
                let cycle = try Self.cycleState(in: db).cycle + 1
                try db.run("""
                    UPDATE account SET plan = ?, balance_micro = 0, debt_micro = 0, cycle_anchor = ?, cycle_base = ?, cycle = ?,
                        updated_at = ? WHERE id = 1
                    """, [plan.rawValue, now.unixSeconds, cycle, cycle, now.unixSeconds])
                let state = try Self.cycleState(in: db)
                let current = Self.cycle(state, cycle)
                if let balanceMicro {
                    try Self.grantLot(.adjustment, micro: balanceMicro, expiresAt: nil, cycle: nil, at: now, ledgerKind: .grant,
                                      detail: "fixture reset: \(plan.displayName) plan, \(Credits.format(micro: balanceMicro)) credits",
                                      plan: plan, ids: &ids, in: db)
                } else {
                    try Self.grantLot(.monthly, micro: Self.monthlyGrant(plan, state), expiresAt: current.end, cycle: cycle,
                                      at: now, ledgerKind: .grant, detail: "fixture reset: \(plan.displayName) monthly credits",
                                      plan: plan, ids: &ids, in: db)
                }
                try Self.insert(AuditEvent(id: ids.next(APIKeyFormat.eventIDPrefix), at: now, action: AuditEvent.fixtureReset, keyID: nil, actor: actor,
                                           remoteAddress: remoteAddress, detail: "every key, the ledger, the audit log and usage"),
                                into: db)
            }
        }, then: done)
    }
}
