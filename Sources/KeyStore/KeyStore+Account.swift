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
        let ids = try (0..<3).map { _ in try APIKeyFormat.generateEventID() }
        return { db in
            let before = try Self.account(in: db)
            var changes: [String] = []
            _ = try Self.applyDueCycles(now: now, in: db)
            if let plan, plan != before.plan {
                try Self.insertLedger(id: "led_" + ids[0].dropFirst(4), at: now, kind: .planChange, amount: 0,
                                      balanceAfter: try Self.account(in: db).balanceMicro, plan: plan, detail: reason, into: db)
                try db.run("UPDATE account SET plan = ? WHERE id = 1", [plan.rawValue])
                // A new plan starts a new cycle with its own grant (decisions.md).
                try Self.startCycleForPlanChange(to: plan, at: now, in: db)
                changes.append("plan \(before.plan.rawValue) → \(plan.rawValue)")
            }
            let current = try Self.account(in: db).balanceMicro
            if let balanceMicro, balanceMicro != current {
                try Self.insertLedger(id: "led_" + ids[1].dropFirst(4), at: now, kind: .adjustment,
                                      amount: balanceMicro - current, balanceAfter: balanceMicro,
                                      plan: nil, detail: reason, into: db)
                try Self.setBalanceLots(balanceMicro, at: now, in: db)
                // Said from before the whole change: what the caller saw, and what it asked for.
                changes.append("balance \(Credits.format(micro: before.balanceMicro)) → \(Credits.format(micro: balanceMicro))")
            }
            guard !changes.isEmpty else { return before }
            try db.run("UPDATE account SET balance_micro = ?, updated_at = ? WHERE id = 1",
                       [balanceMicro ?? (try Self.account(in: db).balanceMicro), now.unixSeconds])
            try Self.insert(AuditEvent(id: ids[2], at: now, action: "account.updated", keyID: nil, actor: actor,
                                       remoteAddress: remoteAddress, detail: changes.joined(separator: "; ")), into: db)
            return try Self.account(in: db)
        }
    }

    /// A test fixture's reset: every key, the ledger, the audit log, the credit lots and the usage
    /// buckets are deleted, and the account starts a new cycle on `plan`, with `balanceMicro` as a
    /// non-expiring lot when given, else the plan's monthly grant (one `grant` entry, one
    /// `fixture.reset` event), in one transaction. The admin token and the usage batch counter stay. `done` runs on the writer
    /// thread after the commit.
    public func resetForFixture(plan: Plan, balanceMicro: Int64?, actor: String, remoteAddress: String?,
                                then done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        write({
            let now = self.clock.now().wholeSeconds
            let eventID = try APIKeyFormat.generateEventID()
            return { db in
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
                                      plan: plan, in: db)
                } else {
                    try Self.grantLot(.monthly, micro: Self.monthlyGrant(plan, state), expiresAt: current.end, cycle: cycle,
                                      at: now, ledgerKind: .grant, detail: "fixture reset: \(plan.displayName) monthly credits",
                                      plan: plan, in: db)
                }
                try Self.insert(AuditEvent(id: eventID, at: now, action: AuditEvent.fixtureReset, keyID: nil, actor: actor,
                                           remoteAddress: remoteAddress, detail: "every key, the ledger, the audit log and usage"),
                                into: db)
            }
        }, then: done)
    }

    /// The credit history, newest first. `after` is the id of the last entry of the previous page.
    public func ledger(limit: Int = 20, after cursor: String? = nil) throws -> Page<LedgerEntry> {
        try Self.checkLimit(limit)
        return try read { db in
            try db.transaction(.deferred) {
                let start = try Self.sequence(after: cursor, in: "ledger", db)
                let rows = try db.rows(
                    """
                    SELECT id, at, kind, amount_micro, balance_after_micro, plan, key_id, endpoint, audio_seconds, detail, lots
                    FROM ledger WHERE seq < ? ORDER BY seq DESC LIMIT ?
                    """, [start, limit + 1])
                return Self.page(try rows.map(Self.ledgerEntry), limit: limit, id: \.id)
            }
        }
    }

    /// What the API's gate needs for one request, from one read: the key's state and the account's.
    /// A deactivation or a plan change by another process counts at once: an answer is reused only
    /// while the wal-index header is the one seen before it was read, i.e. while nothing committed.
    /// A malformed secret is refused with no database access at all, and no account.
    public func gate(secret: String) throws -> (auth: AuthResult, account: Account?) {
        guard APIKeyFormat.isWellFormed(secret) else { return (.malformed, nil) }
        let hash = SHA256.digest(secret)
        // The header is read before the database, so an answer is filed under a header no newer
        // than the data it holds: a commit in between only makes the next lookup miss.
        let header = walWatcher?.snapshot()
        if let header, let hit = gateCache.withLock({ $0.answer(for: hash, at: header) }) {
            gateCacheHits.add(1, ordering: .relaxed)
            return classify(hit.record, hit.account)
        }
        let (found, account) = try readGate(hash)
        if let header {
            gateCache.withLock { $0.keep(GateCache.Answer(record: found, account: account), for: hash, at: header) }
        }
        return classify(found, account)
    }

    private func classify(_ found: APIKeyRecord?, _ account: Account) -> (auth: AuthResult, account: Account?) {
        guard let record = found else { return (.unknown, account) }
        switch record.status(at: clock.now()) {
        case .active: return (.valid(record), account)
        case .inactive: return (.inactive(record), account)
        case .expired: return (.expired(record), account)
        }
    }

    private func readGate(_ hash: [UInt8]) throws -> (APIKeyRecord?, Account) {
        // One statement, so one snapshot, as the BEGIN DEFERRED … COMMIT around two SELECTs it
        // replaces gave: the account row joined with the key, if any (4 statements → 1 per request).
        // Columns read straight from the statement: this runs for every API request.
        try read { db in
            try db.withPrepared(Self.gateSQL, bind: { try $0.bindBlob(1, hash) }) { row in
                guard try row.step() else { throw KeyStoreError.missingAccount }
                let a = Self.keyColumnCount  // the account's columns follow the key's
                guard let plan = Plan(rawValue: try row.text(a)) else { throw KeyStoreError.missingAccount }
                let account = Account(plan: plan, balanceMicro: try row.int64(a + 1), usageBatches: try row.int64(a + 2))
                // api_keys.id is NOT NULL: NULL means no key has this hash.
                guard !row.isNull(0) else { return (nil as APIKeyRecord?, account) }
                let record = APIKeyRecord(
                    id: try row.text(0), name: try row.text(1), hint: try row.text(2),
                    createdAt: Date(unixSeconds: try row.int64(3)),
                    expiresAt: try row.optionalInt64(4).map(Date.init(unixSeconds:)),
                    rateLimitRPM: Int(try row.int64(5)),
                    deactivatedAt: try row.optionalInt64(6).map(Date.init(unixSeconds:)),
                    lastUsedAt: try row.optionalInt64(7).map(Date.init(unixSeconds:)),
                    succeededRequests: Int(try row.int64(8)), refusedRequests: Int(try row.int64(9)),
                    rolledFrom: try row.optionalText(10), rolledTo: try row.optionalText(11),
                    graceUntil: try row.optionalInt64(12).map(Date.init(unixSeconds:)), rateGroup: try row.optionalText(13),
                    allowedCIDRs: CIDR.list(stored: try row.optionalText(14)))
                return (record, account)
            }
        }
    }

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
        let ids = try Self.chargeIDs(count: batch.charges.count, at: now)
        return { db in
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
                for (charge, id) in zip(batch.charges, ids) {
                    balance -= charge.costMicro
                    let drawn = Self.spend(charge.costMicro, at: charge.at.wholeSeconds, from: &lots, debt: &debt)
                    try Self.insertLedger(id: id, at: charge.at.wholeSeconds, kind: .charge, amount: -charge.costMicro,
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

    /// Ledger ids for a batch of charges, in the documented form (`led_` and 20 base62 symbols):
    /// the flush time in milliseconds as 8 base62 digits, then 12 random symbols (71 bits) each.
    ///
    /// Why not 20 random symbols, as before: `ledger.id` is UNIQUE, and random ids land all over its
    /// index, so a flush of n charges rewrote up to n index pages, more as the ledger grew (10,000
    /// charges took 110 ms at 40,000 rows and 320 ms at 400,000). Ids that start with the time are
    /// appended at the end of the index, so a flush touches a handful of pages at any ledger size.
    /// The random bytes come from one RAND_bytes call for the batch, not one per charge.
    static func chargeIDs(count: Int, at time: Date) throws -> [String] {
        guard count > 0 else { return [] }
        let random = Array(try SecureRandom.base62(12 * count).utf8)
        var prefix = Array("led_".utf8) + [UInt8](repeating: Base62.alphabet[0], count: 8)
        var milliseconds = UInt64(max(0, (time.timeIntervalSince1970 * 1000).rounded(.down)))
        for index in (4..<12).reversed() {
            prefix[index] = Base62.alphabet[Int(milliseconds % 62)]
            milliseconds /= 62
        }
        return (0..<count).map { i in
            String(decoding: prefix + random[(12 * i)..<(12 * i + 12)], as: UTF8.self)
        }
    }

    /// Request counts per key: (2xx, 4xx).
    public func requestCounts(id: String) throws -> (succeeded: Int, refused: Int)? {
        try read { db in
            try db.row("SELECT requests_2xx, requests_4xx FROM api_keys WHERE id = ?", [id]).map { row in
                (try row[0] as Int, try row[1] as Int)
            }
        }
    }

    // MARK: - Rows

    static func account(in db: Connection) throws -> Account {
        guard let row = try db.row("SELECT plan, balance_micro, usage_batches FROM account WHERE id = 1") else {
            throw KeyStoreError.missingAccount
        }
        return try account(row, from: 0)
    }

    /// The account from `plan, balance_micro, usage_batches` at `offset` in `row`.
    private static func account(_ row: Row, from offset: Int) throws -> Account {
        let planName: String = try row[offset]
        guard let plan = Plan(rawValue: planName) else { throw KeyStoreError.missingAccount }
        return Account(plan: plan, balanceMicro: try row[offset + 1], usageBatches: try row[offset + 2])
    }

    /// `gate`'s query: the key's columns (all NULL when no key has this hash), then the account's.
    private static let gateSQL = """
        SELECT \(keyColumns.split(separator: ",").map { "k." + $0.trimmingWhitespaceAndNewlines() }.joined(separator: ", ")),
            a.plan, a.balance_micro, a.usage_batches
        FROM account AS a LEFT JOIN api_keys AS k ON k.secret_sha256 = ?
        WHERE a.id = 1
        """

    private static func ledgerEntry(_ row: Row) throws -> LedgerEntry {
        let kind: String = try row[2]
        let plan: String? = try row[5]
        return LedgerEntry(
            id: try row[0], at: Date(unixSeconds: try row[1]), kind: LedgerEntry.Kind(rawValue: kind) ?? .adjustment,
            amountMicro: try row[3], balanceAfterMicro: try row[4], plan: plan.flatMap(Plan.init(rawValue:)),
            keyID: try row[6], endpoint: try row[7], audioSeconds: try row[8], detail: try row[9], lots: try row[10])
    }

    private static func insertLedger(id: String, at: Date, kind: LedgerEntry.Kind, amount: Int64, balanceAfter: Int64,
                                     plan: Plan?, keyID: String? = nil, endpoint: String? = nil, audioSeconds: Int? = nil,
                                     detail: String?, lots: String? = nil, into db: Connection) throws {
        try db.run(
            """
            INSERT INTO ledger (id, at, kind, amount_micro, balance_after_micro, plan, key_id, endpoint, audio_seconds, detail, lots)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [id, at.unixSeconds, kind.rawValue, amount, balanceAfter, plan?.rawValue, keyID, endpoint, audioSeconds, detail, lots])
    }
}
