import FoundationEssentials

extension KeyStore {
    /// What the API's gate needs for one request, from one read: the key's state and the account's.
    /// A deactivation or a plan change by another process counts at once: an answer is reused only
    /// while the wal-index header is the one seen before it was read, i.e. while nothing committed.
    /// A malformed secret is refused with no database access at all, and no account.
    public func gate(secret: String) throws -> (auth: AuthResult, account: Account?) {
        guard APIKeyFormat.isWellFormed(secret) else { return (.malformed, nil) }
        // Looking up by digest leaks at most timing about the digest, never about the secret.
        let hash = SHA256.digest(secret)
        // The header is read before the database, so an answer is filed under a header no newer
        // than the data it holds: a commit in between only makes the next lookup miss.
        let header = walWatcher?.snapshot()
        if let header, let hit = gateCache.withLock({ $0.answer(for: hash, at: header) }) {
            gateCacheHits.add(1, ordering: .relaxed)
            return (AuthResult(hit.record, at: clock.now()), hit.account)
        }
        let (found, account) = try readGate(hash)
        if let header {
            gateCache.withLock { $0.keep(GateCache.Answer(record: found, account: account), for: hash, at: header) }
        }
        return (AuthResult(found, at: clock.now()), account)
    }

    private func readGate(_ hash: [UInt8]) throws -> (APIKeyRecord?, Account) {
        // One statement, so one snapshot: the account row joined with the key, if any. Read
        // straight from the statement, with no copied `Row`: this runs for every API request.
        try read { db in
            try db.withPrepared(Self.gateSQL, bind: { try $0.bindBlob(1, hash) }) { row in
                guard try row.step() else { throw KeyStoreError.missingAccount }
                let account = try Account(reading: row)
                // api_keys.id is NOT NULL: NULL means no key has this hash.
                let keyAt = Account.columnCount
                guard !row.isNull(keyAt) else { return (nil as APIKeyRecord?, account) }
                return (try APIKeyRecord(reading: row, at: keyAt), account)
            }
        }
    }

    /// `gate`'s query: the account's columns, then the key's (all NULL when no key has this hash).
    private static let gateSQL = """
        SELECT \(Account.columns.selectList(table: "a")), \(APIKeyRecord.columns.selectList(table: "k"))
        FROM account AS a LEFT JOIN api_keys AS k ON k.secret_sha256 = ?
        WHERE a.id = 1
        """
}
