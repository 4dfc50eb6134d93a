import FoundationEssentials

extension KeyStore {
    static let keyColumns =
        "id, name, hint, created_at, expires_at, rate_limit_rpm, deactivated_at, last_used_at, requests_2xx, requests_4xx"

    /// Creates a key and returns its secret, the only time the secret exists outside the caller.
    ///
    /// The key row and its `key.created` event commit together and are on disk when this returns
    /// (synchronous=FULL). Only SHA-256(secret) and the hint are stored.
    public func createKey(
        _ spec: KeySpec, actor: String, remoteAddress: String?
    ) throws -> (record: APIKeyRecord, secret: String) {
        try write(try createKeyWrite(spec, actor: actor, remoteAddress: remoteAddress))
    }

    /// `createKey` for an event loop: `done` runs on the writer thread after the commit.
    public func createKey(
        _ spec: KeySpec, actor: String, remoteAddress: String?,
        then done: @escaping @Sendable (Result<(record: APIKeyRecord, secret: String), any Error>) -> Void
    ) {
        write({ try self.createKeyWrite(spec, actor: actor, remoteAddress: remoteAddress) }, then: done)
    }

    private func createKeyWrite(
        _ spec: KeySpec, actor: String, remoteAddress: String?
    ) throws -> @Sendable (Connection) throws -> (record: APIKeyRecord, secret: String) {
        // Randomness is drawn here, before the write is queued, to keep the writer's work short.
        let (secret, id, eventID) = try APIKeyFormat.generateKey()
        let now = clock.now().wholeSeconds
        let record = APIKeyRecord(
            id: id, name: spec.name, hint: APIKeyFormat.hint(for: secret), createdAt: now,
            expiresAt: spec.expiresAt?.wholeSeconds, rateLimitRPM: spec.rateLimitRPM,
            deactivatedAt: nil, lastUsedAt: nil)
        let hash = SHA256.digest(secret)
        return { db in
            // Counted inside the write transaction, so two concurrent creates cannot both pass.
            let plan = try Self.account(in: db).plan
            if let limit = plan.keyLimit {
                let active: Int = try db.value(
                    "SELECT count(*) FROM api_keys WHERE status = 'active' AND (expires_at IS NULL OR expires_at > ?)",
                    [now.unixSeconds]) ?? 0
                if active >= limit { throw KeyStoreError.keyLimitReached(plan: plan, limit: limit) }
            }
            try db.run(
                """
                INSERT INTO api_keys (id, name, secret_sha256, hint, created_at, expires_at, rate_limit_rpm)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [record.id, record.name, hash, record.hint, now.unixSeconds, record.expiresAt?.unixSeconds,
                 record.rateLimitRPM])
            try Self.insert(
                AuditEvent(
                    id: eventID, at: now, action: AuditEvent.keyCreated, keyID: id, actor: actor,
                    remoteAddress: remoteAddress, detail: spec.name),
                into: db)
            return (record, secret)
        }
    }

    /// The key with public id `id`, or nil.
    public func key(id: String) throws -> APIKeyRecord? {
        try read { db in try Self.key(id: id, in: db) }
    }

    /// Keys newest first. `after` is the id of the last key of the previous page.
    ///
    /// `active` means stored active and not yet expired; `expired` means stored active with
    /// `expires_at <= now`. A cursor that names no key throws `KeyStoreError.unknownCursor`.
    public func listKeys(status: KeyStatus? = nil, limit: Int = 20, after cursor: String? = nil) throws
        -> Page<APIKeyRecord>
    {
        try Self.checkLimit(limit)
        let now = clock.now().unixSeconds
        var filter = ""
        var filterArguments: [(any DatabaseValueConvertible)?] = []
        switch status {
        case nil:
            break
        case .active:
            filter = "AND status = 'active' AND (expires_at IS NULL OR expires_at > ?)"
            filterArguments = [now]
        case .expired:
            filter = "AND status = 'active' AND expires_at <= ?"
            filterArguments = [now]
        case .inactive:
            filter = "AND status = 'inactive'"
        }
        let sql = """
            SELECT \(Self.keyColumns) FROM api_keys WHERE seq < ? \(filter) ORDER BY seq DESC LIMIT ?
            """
        let arguments = filterArguments
        return try read { db in
            // One snapshot for the cursor lookup and the page, so they agree.
            try db.transaction(.deferred) {
                let start = try Self.sequence(after: cursor, in: "api_keys", db)
                let rows = try db.rows(sql, [start] + arguments + [limit + 1])
                return Self.page(try rows.map(Self.record), limit: limit, id: \.id)
            }
        }
    }

    /// Deactivates a key for good. Nil if there is no such key.
    ///
    /// Idempotent: an already inactive key is returned unchanged and no second event is written.
    /// Expired keys can be deactivated too. The change and its `key.deactivated` event commit together.
    /// `detail` goes into that event (why, e.g. `leak_scan: path/to/file`); never a secret.
    public func deactivateKey(id: String, actor: String, remoteAddress: String?, detail: String? = nil) throws
        -> APIKeyRecord?
    {
        try write(try deactivateKeyWrite(id: id, actor: actor, remoteAddress: remoteAddress, detail: detail))
    }

    /// `deactivateKey` for an event loop: `done` runs on the writer thread after the commit.
    public func deactivateKey(id: String, actor: String, remoteAddress: String?, detail: String? = nil,
                              then done: @escaping @Sendable (Result<APIKeyRecord?, any Error>) -> Void) {
        write({ try self.deactivateKeyWrite(id: id, actor: actor, remoteAddress: remoteAddress, detail: detail) },
              then: done)
    }

    private func deactivateKeyWrite(
        id: String, actor: String, remoteAddress: String?, detail: String?
    ) throws -> @Sendable (Connection) throws -> APIKeyRecord? {
        let eventID = try APIKeyFormat.generateEventID()
        let now = clock.now().wholeSeconds
        return { db in
            guard let record = try Self.key(id: id, in: db) else { return nil }
            guard !record.isDeactivated else { return record }
            try db.run(
                "UPDATE api_keys SET status = 'inactive', deactivated_at = ? WHERE id = ?", [now.unixSeconds, id])
            try Self.insert(
                AuditEvent(
                    id: eventID, at: now, action: AuditEvent.keyDeactivated, keyID: id, actor: actor,
                    remoteAddress: remoteAddress, detail: detail),
                into: db)
            return try Self.key(id: id, in: db)
        }
    }

    /// Checks a presented secret: format first (no database), then a lookup of its SHA-256.
    ///
    /// Never cached: a deactivation by another process on the same file counts from the next call.
    public func authenticate(secret: String) throws -> AuthResult {
        guard APIKeyFormat.isWellFormed(secret) else { return .malformed }
        // Looking up by digest leaks at most timing about the digest, never about the secret.
        let hash = SHA256.digest(secret)
        let found = try read { db in
            try db.row("SELECT \(Self.keyColumns) FROM api_keys WHERE secret_sha256 = ?", [hash]).map(Self.record)
        }
        guard let record = found else { return .unknown }
        switch record.status(at: clock.now()) {
        case .active: return .valid(record)
        case .inactive: return .inactive(record)
        case .expired: return .expired(record)
        }
    }

    /// The keys whose secrets have these SHA-256 digests, by digest, from one read. Digests no key
    /// has are absent. For the leak scanner: it knows a found key only by its digest.
    public func keys(secretSHA256 digests: [[UInt8]]) throws -> [[UInt8]: APIKeyRecord] {
        let wanted = Array(Set(digests))
        guard !wanted.isEmpty else { return [:] }
        return try read { db in
            try db.transaction(.deferred) {
                var found: [[UInt8]: APIKeyRecord] = [:]
                for digest in wanted {
                    if let row = try db.row("SELECT \(Self.keyColumns) FROM api_keys WHERE secret_sha256 = ?", [digest]) {
                        found[digest] = try Self.record(row)
                    }
                }
                return found
            }
        }
    }

    /// Records when keys were last used, all in one transaction. Never moves a time backwards.
    public func touchLastUsed(_ times: [String: Date]) throws {
        guard !times.isEmpty else { return }
        try write { db in
            for (id, date) in times {
                let seconds = date.unixSeconds
                try db.run(
                    "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                    [seconds, id, seconds])
            }
        }
    }

    /// Keys that would authenticate now: stored active and not expired.
    public func countActiveKeys() throws -> Int {
        let now = clock.now().unixSeconds
        return try read { db in
            let count: Int? = try db.value(
                "SELECT count(*) FROM api_keys WHERE status = 'active' AND (expires_at IS NULL OR expires_at > ?)",
                [now])
            return count ?? 0
        }
    }

    // MARK: - Shared with the audit log

    /// The `seq` to list below: past the end for no cursor, else the cursor item's own.
    static func sequence(after cursor: String?, in table: String, _ db: Connection) throws -> Int64 {
        guard let cursor else { return .max }
        guard let seq: Int64 = try db.value("SELECT seq FROM \(table) WHERE id = ?", [cursor]) else {
            throw KeyStoreError.unknownCursor(cursor)
        }
        return seq
    }

    static func checkLimit(_ limit: Int) throws {
        guard (1...maxPageSize).contains(limit) else { throw KeyStoreError.invalidLimit(limit) }
    }

    /// Builds a page from up to `limit + 1` fetched items: the extra one only says there is more.
    static func page<Item>(_ fetched: [Item], limit: Int, id: (Item) -> String) -> Page<Item> {
        let items = Array(fetched.prefix(limit))
        let hasMore = fetched.count > limit
        return Page(items: items, hasMore: hasMore, nextCursor: hasMore ? items.last.map(id) : nil)
    }

    // MARK: - Private

    static func key(id: String, in db: Connection) throws -> APIKeyRecord? {
        try db.row("SELECT \(keyColumns) FROM api_keys WHERE id = ?", [id]).map(record)
    }

    static func record(_ row: Row) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row[0], name: try row[1], hint: try row[2], createdAt: Date(unixSeconds: try row[3]),
            expiresAt: try optionalDate(row, 4), rateLimitRPM: try row[5],
            deactivatedAt: try optionalDate(row, 6), lastUsedAt: try optionalDate(row, 7),
            succeededRequests: try row[8], refusedRequests: try row[9])
    }

    static func optionalDate(_ row: Row, _ index: Int) throws -> Date? {
        let seconds: Int64? = try row[index]
        return seconds.map(Date.init(unixSeconds:))
    }
}
