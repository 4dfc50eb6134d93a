import FoundationEssentials

extension KeyStore {
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

    private static func ledgerEntry(_ row: Row) throws -> LedgerEntry {
        let kind: String = try row[2]
        let plan: String? = try row[5]
        return LedgerEntry(
            id: try row[0], at: Date(unixSeconds: try row[1]), kind: LedgerEntry.Kind(rawValue: kind) ?? .adjustment,
            amountMicro: try row[3], balanceAfterMicro: try row[4], plan: plan.flatMap(Plan.init(rawValue:)),
            keyID: try row[6], endpoint: try row[7], audioSeconds: try row[8], detail: try row[9], lots: try row[10])
    }

    /// The one ledger insert: every entry (grant, adjustment, charge, plan change, expiry, top-up)
    /// is written here, inside its write transaction, with an id minted before it (`IDMint`).
    static func insertLedger(id: String, at: Date, kind: LedgerEntry.Kind, amount: Int64, balanceAfter: Int64,
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
