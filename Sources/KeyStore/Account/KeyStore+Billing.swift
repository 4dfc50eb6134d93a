import FoundationEssentials
import Synchronization

/// One grant, top-up or adjustment, with what is left of it.
public struct CreditLot: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A plan's monthly credits; expire at the end of their cycle.
        case monthly
        /// Bought credits; never expire.
        case topUp = "top_up"
        /// A balance set by the emulator's controls; never expires.
        case adjustment
    }

    public let id: String
    public let kind: Kind
    public let amountMicro: Int64
    public let remainingMicro: Int64
    public let grantedAt: Date
    public let expiresAt: Date?
    public let cycle: Int?
}

/// A billing cycle: one calendar month from `start` (see `BillingCalendar`).
public struct BillingCycle: Sendable, Equatable {
    public let number: Int
    public let start: Date
    public let end: Date
}

/// Billing as the reference documents it: monthly credits that expire at the end of their cycle,
/// top-ups that never expire, and charges that spend the credits that expire first, then the
/// oldest top-up. `account.balance_micro` stays the total the gate reads: the lots' remaining
/// credits less any debt (an overdraft, paid from the next lot granted).
extension KeyStore {
    /// The smallest top-up: 10 credits ($10), as documented.
    public static let minimumTopUpMicro: Int64 = 10_000_000
    /// A bound against typos; no plan documents a larger purchase.
    public static let maximumTopUpMicro: Int64 = 1_000_000_000_000

    /// The account's current cycle (set up on first use).
    public func currentCycle() throws -> BillingCycle {
        try cycleAndGrant().cycle
    }

    /// The current cycle and the grant at each cycle's start (the plan's, or Enterprise's own),
    /// from one read.
    public func cycleAndGrant() throws -> (cycle: BillingCycle, monthlyMicro: Int64) {
        try read { db in
            let state = try Self.cycleState(in: db)
            let plan = try Self.account(in: db).plan
            return (Self.cycle(state, state.cycle), Self.monthlyGrant(plan, state))
        }
    }

    /// The credit lots, newest first, with what is left of each (spent and expired ones too).
    public func creditLots(limit: Int = 100) throws -> [CreditLot] {
        try Self.checkLimit(limit)
        return try read { db in
            try db.rows("""
                SELECT id, kind, amount_micro, remaining_micro, granted_at, expires_at, cycle FROM credit_lots
                ORDER BY seq DESC LIMIT ?
                """, [limit]).map(Self.lot)
        }
    }

    /// Applies every cycle start the clock has reached, in order, each exactly once (the account row
    /// records the last cycle started): the ending cycle's monthly credits expire and the plan's
    /// grant for the new one is added, each a ledger entry and an audit event. Returns the current
    /// cycle. Safe to call from any process at any time: a cycle that is not due changes nothing.
    @discardableResult
    public func applyDueCycles() throws -> BillingCycle {
        let now = clock.now().wholeSeconds
        let mint = try IDMint(at: now)
        let current = try write { db in
            var ids = mint
            return try Self.applyDueCycles(now: now, ids: &ids, in: db)
        }
        knownCycleEnd.store(current.end.unixSeconds, ordering: .relaxed)
        return current
    }

    /// `applyDueCycles` for an event loop: `done` runs on the writer thread after the commit.
    public func applyDueCycles(then done: @escaping @Sendable (Result<BillingCycle, any Error>) -> Void) {
        let now = clock.now().wholeSeconds
        write({
            let mint = try IDMint(at: now)
            return { db in
                var ids = mint
                return try Self.applyDueCycles(now: now, ids: &ids, in: db)
            }
        }) { [self] result in
            if case .success(let current) = result { knownCycleEnd.store(current.end.unixSeconds, ordering: .relaxed) }
            done(result)
        }
    }

    /// Whether the clock has reached the end of the cycle this process last applied (or it has
    /// applied none yet): the next request must not be gated before `applyDueCycles` runs. Another
    /// process's plan change may have moved the end later; applying then changes nothing.
    public var cycleMayBeDue: Bool {
        clock.now().unixSeconds >= knownCycleEnd.load(ordering: .relaxed)
    }

    /// Buys credits: a lot that never expires (it first pays any debt). Pro and above only.
    public func topUp(micro: Int64, actor: String, remoteAddress: String?,
                      then done: @escaping @Sendable (Result<Account, any Error>) -> Void) {
        write({ try self.topUpWrite(micro: micro, actor: actor, remoteAddress: remoteAddress) }, then: done)
    }

    public func topUp(micro: Int64, actor: String, remoteAddress: String?) throws -> Account {
        try write(try topUpWrite(micro: micro, actor: actor, remoteAddress: remoteAddress))
    }

    private func topUpWrite(micro: Int64, actor: String, remoteAddress: String?) throws
        -> @Sendable (Connection) throws -> Account
    {
        let now = clock.now().wholeSeconds
        let eventID = try APIKeyFormat.generateEventID()
        let mint = try IDMint(at: now)
        return { db in
            var ids = mint
            _ = try Self.applyDueCycles(now: now, ids: &ids, in: db)
            let plan = try Self.account(in: db).plan
            guard plan.allowsTopUps else { throw KeyStoreError.topUpNotAllowed(plan: plan) }
            try Self.grantLot(.topUp, micro: micro, expiresAt: nil, cycle: nil, at: now, ledgerKind: .topUp,
                              detail: "top-up of \(Credits.format(micro: micro)) credits", ids: &ids, in: db)
            try Self.insert(AuditEvent(id: eventID, at: now, action: "account.topped_up", keyID: nil, actor: actor,
                                       remoteAddress: remoteAddress, detail: "\(Credits.format(micro: micro)) credits"),
                            into: db)
            return try Self.account(in: db)
        }
    }

    /// `serve --plan enterprise --credits N`: Enterprise's grant at each cycle start.
    public func setEnterpriseMonthlyCredits(micro: Int64) throws {
        try write { db in try db.run("UPDATE account SET monthly_micro = ? WHERE id = 1", [max(0, micro)]) }
    }

    // MARK: - Inside a write transaction

    struct CycleState {
        var anchor: Date?
        var base: Int
        var cycle: Int
        var debtMicro: Int64
        var monthlyMicro: Int64
    }

    static func cycleState(in db: Connection) throws -> CycleState {
        guard let row = try db.row("SELECT cycle_anchor, cycle_base, cycle, debt_micro, monthly_micro FROM account WHERE id = 1") else {
            throw KeyStoreError.missingAccount
        }
        return CycleState(anchor: try row.optionalDate(0), base: try row[1], cycle: try row[2], debtMicro: try row[3],
                          monthlyMicro: try row[4])
    }

    /// Cycle `number`, counted from the anchor (a cycle before the anchor has no meaning; the
    /// anchor itself starts cycle `base`).
    static func cycle(_ state: CycleState, _ number: Int) -> BillingCycle {
        let anchor = state.anchor ?? Date(timeIntervalSince1970: 0)
        let offset = number - state.base
        return BillingCycle(number: number, start: BillingCalendar.start(anchor: anchor, months: offset),
                            end: BillingCalendar.start(anchor: anchor, months: offset + 1))
    }

    /// The plan's monthly grant (Enterprise's from the account row).
    static func monthlyGrant(_ plan: Plan, _ state: CycleState) -> Int64 {
        plan.monthlyCreditsMicro ?? state.monthlyMicro
    }

    static func applyDueCycles(now: Date, ids: inout IDMint, in db: Connection) throws -> BillingCycle {
        var state = try cycleState(in: db)
        if state.anchor == nil {
            try setUpCycles(now: now, ids: &ids, in: db)
            state = try cycleState(in: db)
        }
        var current = cycle(state, state.cycle)
        var applied = 0
        // A clock moved by years applies every cycle in between; 1,200 (a century) at most per call.
        while now >= current.end && applied < 1_200 {
            try expireMonthly(endingBy: current.end, cycle: current.number, at: current.end, ids: &ids, in: db)
            state.cycle += 1
            current = cycle(state, state.cycle)
            try db.run("UPDATE account SET cycle = ? WHERE id = 1", [state.cycle])
            let plan = try account(in: db).plan
            let grant = monthlyGrant(plan, state)
            try grantLot(.monthly, micro: grant, expiresAt: current.end, cycle: current.number, at: current.start,
                         ledgerKind: .grant, detail: "cycle \(current.number): \(plan.displayName) monthly credits", ids: &ids,
                         in: db)
            try insert(AuditEvent(id: ids.next(APIKeyFormat.eventIDPrefix), at: current.start, action: "billing.cycle_started",
                                  keyID: nil, actor: "server", remoteAddress: nil,
                                  detail: "cycle \(current.number) (\(RFC3339.string(from: current.start)) to \(RFC3339.string(from: current.end))): \(Credits.format(micro: grant)) credits granted"),
                       into: db)
            applied += 1
        }
        return current
    }

    /// A database from before billing cycles: cycle 0 starts now. A brand-new account's balance
    /// (its one initial grant, untouched) is cycle 0's monthly credits; any other balance carries
    /// over as a non-expiring adjustment lot, and a negative one as debt.
    private static func setUpCycles(now: Date, ids: inout IDMint, in db: Connection) throws {
        let account = try account(in: db)
        let entries: Int = try db.value("SELECT count(*) FROM ledger") ?? 0
        try db.run("UPDATE account SET cycle_anchor = ?, cycle_base = 0, cycle = 0 WHERE id = 1", [now.unixSeconds])
        let state = try cycleState(in: db)
        let first = cycle(state, 0)
        if account.balanceMicro > 0 {
            let fresh = entries == 1 && account.balanceMicro == monthlyGrant(account.plan, state)
            try insertLot(fresh ? .monthly : .adjustment, micro: account.balanceMicro, expiresAt: fresh ? first.end : nil,
                          cycle: fresh ? 0 : nil, at: now, ids: &ids, in: db)
        } else if account.balanceMicro < 0 {
            try db.run("UPDATE account SET debt_micro = ? WHERE id = 1", [-account.balanceMicro])
        }
    }

    /// The monthly lots with credits left that expire by a time (on the index `credit_lots_live`).
    static let expiringLotsSQL =
        "SELECT id, remaining_micro FROM credit_lots WHERE kind = 'monthly' AND remaining_micro > 0 AND expires_at <= ?"

    /// Takes away what is left of the monthly lots that expire by `end` (nil: all of them), as of `at`.
    private static func expireMonthly(endingBy end: Date?, cycle number: Int, at: Date, ids: inout IDMint,
                                      in db: Connection) throws {
        let rows = try db.rows(expiringLotsSQL, [end?.unixSeconds ?? Int64.max])
        for row in rows {
            let id: String = try row[0]
            let remaining: Int64 = try row[1]
            // A lot ended early (a plan change) reads as expired from then on.
            try db.run("UPDATE credit_lots SET remaining_micro = 0, expires_at = min(expires_at, ?) WHERE id = ?",
                       [at.unixSeconds, id])
            let balance = try account(in: db).balanceMicro - remaining
            try db.run("UPDATE account SET balance_micro = ? WHERE id = 1", [balance])
            try insertLedger(id: ids.next("led_"), at: at, kind: .expire, amount: -remaining, balanceAfter: balance, plan: nil,
                             detail: "cycle \(number): \(Credits.format(micro: remaining)) unspent monthly credits expired (\(id))",
                             into: db)
        }
    }

    /// Adds a lot, paying any debt from it first, and its ledger entry.
    static func grantLot(_ kind: CreditLot.Kind, micro: Int64, expiresAt: Date?, cycle: Int?, at: Date,
                         ledgerKind: LedgerEntry.Kind, detail: String, plan: Plan? = nil, ids: inout IDMint,
                         in db: Connection) throws {
        let state = try cycleState(in: db)
        let paid = min(state.debtMicro, micro)
        if paid > 0 { try db.run("UPDATE account SET debt_micro = ? WHERE id = 1", [state.debtMicro - paid]) }
        if micro > 0 {
            try insertLot(kind, micro: micro, remaining: micro - paid, expiresAt: expiresAt, cycle: cycle, at: at, ids: &ids,
                          in: db)
        }
        let balance = try account(in: db).balanceMicro + micro
        try db.run("UPDATE account SET balance_micro = ? WHERE id = 1", [balance])
        let note = paid > 0 ? "; \(Credits.format(micro: paid)) of it paid the overdraft" : ""
        try insertLedger(id: ids.next("led_"), at: at, kind: ledgerKind, amount: micro, balanceAfter: balance, plan: plan,
                         detail: detail + note, into: db)
    }

    /// Replaces every lot with one non-expiring adjustment lot of `balance` (or debt, below zero):
    /// what `PATCH /v1/account {"balance"}` and `account set --balance` do.
    static func setBalanceLots(_ balance: Int64, at: Date, ids: inout IDMint, in db: Connection) throws {
        try db.run("UPDATE credit_lots SET remaining_micro = 0 WHERE remaining_micro > 0")
        try db.run("UPDATE account SET debt_micro = ? WHERE id = 1", [max(0, -balance)])
        if balance > 0 { try insertLot(.adjustment, micro: balance, expiresAt: nil, cycle: nil, at: at, ids: &ids, in: db) }
    }

    /// A plan change starts a new cycle now: the old cycle's unspent monthly credits expire, and the
    /// new plan's grant is added, expiring a month from now.
    static func startCycleForPlanChange(to plan: Plan, at now: Date, ids: inout IDMint, in db: Connection) throws {
        var state = try cycleState(in: db)
        if state.anchor == nil { _ = try applyDueCycles(now: now, ids: &ids, in: db) }
        state = try cycleState(in: db)
        try expireMonthly(endingBy: nil, cycle: state.cycle, at: now, ids: &ids, in: db)
        state.cycle += 1
        state.base = state.cycle
        state.anchor = now
        try db.run("UPDATE account SET cycle_anchor = ?, cycle_base = ?, cycle = ? WHERE id = 1",
                   [now.unixSeconds, state.base, state.cycle])
        let current = cycle(state, state.cycle)
        try grantLot(.monthly, micro: monthlyGrant(plan, state), expiresAt: current.end, cycle: current.number, at: now,
                     ledgerKind: .grant, detail: "cycle \(current.number): \(plan.displayName) monthly credits (plan change)",
                     ids: &ids, in: db)
    }

    /// Spends `cost`, charged at `time`, from the lots live then: those that expire first, then the
    /// oldest that never expire; what they cannot cover becomes debt. Returns the lots drawn from,
    /// for the ledger. `lots` is the batch's working copy, kept in spending order. A charge made
    /// before a cycle ended spends that cycle's credits even when it is written after.
    static func spend(_ cost: Int64, at time: Date, from lots: inout [SpendableLot], debt: inout Int64) -> String {
        var left = cost
        var drawn: [String] = []
        let seconds = time.unixSeconds
        for index in lots.indices where left > 0 && lots[index].remaining > 0
            && (lots[index].expiresAt.map { $0 > seconds } ?? true) {
            let take = min(left, lots[index].remaining)
            lots[index].remaining -= take
            left -= take
            drawn.append("\(lots[index].id):\(take)")
        }
        if left > 0 {
            debt += left
            drawn.append("debt:\(left)")
        }
        return drawn.joined(separator: ",")
    }

    struct SpendableLot {
        let id: String
        var remaining: Int64
        let expiresAt: Int64?
    }

    /// `spendableLots`'s query (on the index `credit_lots_live`).
    static let spendableLotsSQL = """
        SELECT id, remaining_micro, expires_at FROM credit_lots
        WHERE remaining_micro > 0 AND (expires_at IS NULL OR expires_at > ?)
        ORDER BY expires_at IS NULL, expires_at, seq
        """

    /// The lots with credits left that a charge at or after `time` may spend, in spending order.
    static func spendableLots(from time: Date, in db: Connection) throws -> [SpendableLot] {
        try db.rows(spendableLotsSQL, [time.unixSeconds]).map { SpendableLot(id: try $0[0], remaining: try $0[1], expiresAt: try $0[2]) }
    }

    private static func insertLot(_ kind: CreditLot.Kind, micro: Int64, remaining: Int64? = nil, expiresAt: Date?, cycle: Int?,
                                  at: Date, ids: inout IDMint, in db: Connection) throws {
        try db.run("""
            INSERT INTO credit_lots (id, kind, amount_micro, remaining_micro, granted_at, expires_at, cycle)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [ids.next("lot_"), kind.rawValue, micro, remaining ?? micro, at.unixSeconds,
                  expiresAt?.unixSeconds, cycle])
    }

    private static func lot(_ row: Row) throws -> CreditLot {
        let kind: String = try row[1]
        let cycle: Int? = try row[6]
        return CreditLot(id: try row[0], kind: CreditLot.Kind(rawValue: kind) ?? .adjustment, amountMicro: try row[2],
                         remainingMicro: try row[3], grantedAt: Date(unixSeconds: try row[4]), expiresAt: try row.optionalDate(5),
                         cycle: cycle)
    }
}
