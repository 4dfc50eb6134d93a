import FoundationEssentials

extension KeyStore {
    /// The account as stored (without charges the server has not flushed yet).
    public func account() throws -> Account {
        try read { db in try Self.account(in: db) }
    }

    /// When the account row was last written (a change, or a usage flush from a server).
    public func accountUpdatedAt() throws -> Date {
        try read { db in
            Date(unixSeconds: try db.value("SELECT updated_at FROM account WHERE id = 1") ?? 0)
        }
    }

    /// An emulator control: sets the plan and/or the balance. Each change is a ledger entry and an
    /// audit event, committed together.
    @discardableResult
    public func updateAccount(plan: Plan? = nil, balanceMicro: Int64? = nil, actor: String, remoteAddress: String? = nil,
                              reason: String? = nil) throws -> Account {
        try write(try updateAccountWrite(plan: plan, balanceMicro: balanceMicro, actor: actor,
                                         remoteAddress: remoteAddress, reason: reason))
    }

    /// `updateAccount` for an event loop: `done` runs on the writer thread after the commit.
    public func updateAccount(plan: Plan?, balanceMicro: Int64?, actor: String, remoteAddress: String?, reason: String?,
                              then done: @escaping @Sendable (Result<Account, any Error>) -> Void) {
        write({
            try self.updateAccountWrite(plan: plan, balanceMicro: balanceMicro, actor: actor,
                                        remoteAddress: remoteAddress, reason: reason)
        }, then: done)
    }

    private func updateAccountWrite(
        plan: Plan?, balanceMicro: Int64?, actor: String, remoteAddress: String?, reason: String?
    ) throws -> @Sendable (Connection) throws -> Account {
        let now = clock.now().wholeSeconds
        let mint = try IDMint(at: now)
        return { db in
            var ids = mint
            let before = try Self.account(in: db)
            var changes: [String] = []
            _ = try Self.applyDueCycles(now: now, ids: &ids, in: db)
            if let plan, plan != before.plan {
                try Self.insertLedger(id: ids.next("led_"), at: now, kind: .planChange, amount: 0,
                                      balanceAfter: try Self.account(in: db).balanceMicro, plan: plan, detail: reason, into: db)
                try db.run("UPDATE account SET plan = ? WHERE id = 1", [plan.rawValue])
                // A new plan starts a new cycle with its own grant (decisions.md).
                try Self.startCycleForPlanChange(to: plan, at: now, ids: &ids, in: db)
                changes.append("plan \(before.plan.rawValue) → \(plan.rawValue)")
            }
            let current = try Self.account(in: db).balanceMicro
            if let balanceMicro, balanceMicro != current {
                try Self.insertLedger(id: ids.next("led_"), at: now, kind: .adjustment,
                                      amount: balanceMicro - current, balanceAfter: balanceMicro,
                                      plan: nil, detail: reason, into: db)
                try Self.setBalanceLots(balanceMicro, at: now, ids: &ids, in: db)
                // Said from before the whole change: what the caller saw, and what it asked for.
                changes.append("balance \(Credits.format(micro: before.balanceMicro)) → \(Credits.format(micro: balanceMicro))")
            }
            guard !changes.isEmpty else { return before }
            try db.run("UPDATE account SET balance_micro = ?, updated_at = ? WHERE id = 1",
                       [balanceMicro ?? (try Self.account(in: db).balanceMicro), now.unixSeconds])
            try Self.insert(AuditEvent(id: ids.next(APIKeyFormat.eventIDPrefix), at: now, action: "account.updated", keyID: nil, actor: actor,
                                       remoteAddress: remoteAddress, detail: changes.joined(separator: "; ")), into: db)
            return try Self.account(in: db)
        }
    }

    // MARK: - Rows

    static func account(in db: Connection) throws -> Account {
        guard let row = try db.row("SELECT \(Account.columns.selectList()) FROM account WHERE id = 1") else {
            throw KeyStoreError.missingAccount
        }
        return try Account(reading: row)
    }
}
