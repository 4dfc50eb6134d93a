import FoundationEssentials

extension KeyStore {
    /// The select list of a key row (`APIKeyRecord.columns`).
    static let keyColumns = APIKeyRecord.columns.selectList()

    /// SQL for "this key works now" (bind `now` twice): stored active, not expired, no grace over.
    static let worksNowSQL = "status = 'active' AND (expires_at IS NULL OR expires_at > ?) AND (grace_until IS NULL OR grace_until > ?)"

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

    /// Adds a key whose secret the caller already has (a fixture's fixed key): checked like any
    /// presented key (prefix, length, alphabet, checksum) and stored only as its SHA-256. A secret
    /// some key already has is refused with `duplicateSecret`, without saying which key. The
    /// secret is not returned: the caller has it.
    public func importKey(_ spec: KeySpec, secret: String, actor: String, remoteAddress: String?) throws -> APIKeyRecord {
        try write(try createKeyWrite(spec, importing: secret, actor: actor, remoteAddress: remoteAddress)).record
    }

    /// `importKey` for an event loop: `done` runs on the writer thread after the commit.
    public func importKey(_ spec: KeySpec, secret: String, actor: String, remoteAddress: String?,
                          then done: @escaping @Sendable (Result<APIKeyRecord, any Error>) -> Void) {
        write({ try self.createKeyWrite(spec, importing: secret, actor: actor, remoteAddress: remoteAddress) }) { result in
            done(result.map(\.record))
        }
    }

    /// Imports each key whose secret is not stored yet, all in one transaction; returns how many
    /// were added (the rest were already there). For `serve --seed-keys`.
    public func seedKeys(_ keys: [(spec: KeySpec, secret: String)], actor: String) throws -> Int {
        let writes = try keys.map { try createKeyWrite($0.spec, importing: $0.secret, actor: actor, remoteAddress: nil) }
        return try write { db in
            var added = 0
            for write in writes {
                do {
                    _ = try write(db)
                    added += 1
                } catch KeyStoreError.duplicateSecret {
                    continue
                }
            }
            return added
        }
    }

    private func createKeyWrite(
        _ spec: KeySpec, importing imported: String? = nil, actor: String, remoteAddress: String?
    ) throws -> @Sendable (Connection) throws -> (record: APIKeyRecord, secret: String) {
        // Randomness is drawn here, before the write is queued, to keep the writer's work short.
        let (generated, id, eventID) = try APIKeyFormat.generateKey()
        if let imported, !APIKeyFormat.isWellFormed(imported) { throw KeySpecError.keyMalformed }
        let secret = imported ?? generated
        let now = clock.now().wholeSeconds
        let record = APIKeyRecord(
            id: id, name: spec.name, hint: APIKeyFormat.hint(for: secret), createdAt: now,
            expiresAt: spec.expiresAt?.wholeSeconds, rateLimitRPM: spec.rateLimitRPM,
            deactivatedAt: nil, lastUsedAt: nil, allowedCIDRs: spec.allowedCIDRs)
        let hash = SHA256.digest(secret)
        let action = imported == nil ? AuditEvent.keyCreated : AuditEvent.keyImported
        let returned = imported == nil ? secret : ""
        return { db in
            if imported != nil {
                let exists: Int? = try db.value("SELECT 1 FROM api_keys WHERE secret_sha256 = ?", [hash])
                if exists != nil { throw KeyStoreError.duplicateSecret }
            }
            // Counted inside the write transaction, so two concurrent creates cannot both pass.
            try Self.checkKeyLimit(now: now, in: db)
            try db.run(
                """
                INSERT INTO api_keys (id, name, secret_sha256, hint, created_at, expires_at, rate_limit_rpm, allowed_cidrs)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [record.id, record.name, hash, record.hint, now.unixSeconds, record.expiresAt?.unixSeconds,
                 record.rateLimitRPM, CIDR.stored(record.allowedCIDRs)])
            try Self.insert(
                AuditEvent(
                    id: eventID, at: now, action: action, keyID: id, actor: actor,
                    remoteAddress: remoteAddress, detail: spec.name),
                into: db)
            return (record, returned)
        }
    }

    /// Refuses one more active key past the plan's count. A rolled key in its grace and its
    /// successor count as one: only keys without a successor are counted.
    private static func checkKeyLimit(now: Date, in db: Connection) throws {
        let plan = try account(in: db).plan
        guard let limit = plan.keyLimit else { return }
        let active: Int = try db.value(
            "SELECT count(*) FROM api_keys WHERE \(worksNowSQL) AND rolled_to IS NULL",
            [now.unixSeconds, now.unixSeconds]) ?? 0
        if active >= limit { throw KeyStoreError.keyLimitReached(plan: plan, limit: limit) }
    }

    /// Rolls a key: a new key with the old one's name, expiry, rate limit and allowlist, and the
    /// old one kept working until `grace` seconds from now (0 ends it at once). Only an active key
    /// that was not already rolled can be rolled. The new key, the old one's link and end, and the
    /// `key.rolled` event commit together. Nil if there is no such key.
    public func rollKey(id: String, grace: Int, actor: String, remoteAddress: String?) throws
        -> (old: APIKeyRecord, new: APIKeyRecord, secret: String)?
    {
        try write(try rollKeyWrite(id: id, grace: grace, actor: actor, remoteAddress: remoteAddress))
    }

    /// `rollKey` for an event loop: `done` runs on the writer thread after the commit.
    public func rollKey(id: String, grace: Int, actor: String, remoteAddress: String?,
                        then done: @escaping @Sendable (Result<(old: APIKeyRecord, new: APIKeyRecord, secret: String)?, any Error>) -> Void) {
        write({ try self.rollKeyWrite(id: id, grace: grace, actor: actor, remoteAddress: remoteAddress) }, then: done)
    }

    private func rollKeyWrite(
        id: String, grace: Int, actor: String, remoteAddress: String?
    ) throws -> @Sendable (Connection) throws -> (old: APIKeyRecord, new: APIKeyRecord, secret: String)? {
        precondition(grace >= 0, "the API and the CLI check the grace")
        let (secret, newID, eventID) = try APIKeyFormat.generateKey()
        let now = clock.now().wholeSeconds
        let hash = SHA256.digest(secret)
        return { db in
            guard let old = try Self.key(id: id, in: db) else { return nil }
            let status = old.status(at: now)
            guard status == .active else { throw KeyStoreError.notRollable(id: id, status: status) }
            if let successor = old.rolledTo { throw KeyStoreError.alreadyRolled(id: id, successor: successor) }
            let graceUntil = now.addingTimeInterval(TimeInterval(grace))
            try db.run(
                """
                INSERT INTO api_keys (id, name, secret_sha256, hint, created_at, expires_at, rate_limit_rpm, allowed_cidrs,
                                      rolled_from, rate_group)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [newID, old.name, hash, APIKeyFormat.hint(for: secret), now.unixSeconds, old.expiresAt?.unixSeconds,
                 old.rateLimitRPM, CIDR.stored(old.allowedCIDRs), old.id, old.rateLimitKey])
            if grace == 0 {
                try db.run(
                    """
                    UPDATE api_keys SET rolled_to = ?, grace_until = ?, status = 'inactive', deactivated_at = ? WHERE id = ?
                    """, [newID, graceUntil.unixSeconds, now.unixSeconds, id])
            } else {
                try db.run("UPDATE api_keys SET rolled_to = ?, grace_until = ? WHERE id = ?",
                           [newID, graceUntil.unixSeconds, id])
            }
            try Self.insert(
                AuditEvent(
                    id: eventID, at: now, action: AuditEvent.keyRolled, keyID: id, actor: actor,
                    remoteAddress: remoteAddress,
                    detail: "rolled to \(newID); the old key works until \(RFC3339.string(from: graceUntil)) (grace \(grace) s)"),
                into: db)
            guard let updated = try Self.key(id: id, in: db), let created = try Self.key(id: newID, in: db) else {
                throw KeyStoreError.missingAccount
            }
            return (updated, created, secret)
        }
    }

    /// The key with public id `id`, or nil.
    public func key(id: String) throws -> APIKeyRecord? {
        try read { db in try Self.key(id: id, in: db) }
    }

    /// Keys newest first. `after` is the id of the last key of the previous page.
    ///
    /// `active` means stored active and not yet expired; `expired` means stored active with
    /// `expires_at <= now`. `expiringWithin` keeps only the active keys not rolled to a successor
    /// whose `expiresInSeconds(at:)` is at most the window (the boundary included); with a status
    /// other than active nothing is left. `now` defaults to the store's clock: a caller that shows each record's status passes
    /// the instant it shows them at, so the filter and the records agree. A cursor that names no key
    /// throws `KeyStoreError.unknownCursor`.
    public func listKeys(
        status: KeyStatus? = nil, expiringWithin window: ExpiryWindow? = nil, limit: Int = 20,
        after cursor: String? = nil, now: Date? = nil
    ) throws -> Page<APIKeyRecord> {
        try Self.checkLimit(limit)
        let (sql, arguments) = Self.listKeysQuery(
            status: status, expiringWithin: window, now: (now ?? clock.now()).unixSeconds)
        return try read { db in
            // One snapshot for the cursor lookup and the page, so they agree.
            try db.transaction(.deferred) {
                let start = try Self.sequence(after: cursor, in: "api_keys", db)
                let rows = try db.rows(sql, [start] + arguments + [limit + 1])
                return Self.page(try rows.map { try APIKeyRecord(reading: $0) }, limit: limit, id: \.id)
            }
        }
    }

    /// The page query, whose arguments are the start `seq`, `arguments`, then the row count. Every
    /// filter names `status` as a constant, so SQLite walks `api_keys_by_status (status, seq)`
    /// backwards from the cursor and stops after a page (`KeyStoreTests` checks the plan).
    static func listKeysQuery(status: KeyStatus?, expiringWithin window: ExpiryWindow?, now: Int64)
        -> (sql: String, arguments: [(any DatabaseValueConvertible)?])
    {
        var filter = ""
        var arguments: [(any DatabaseValueConvertible)?] = []
        switch status {
        case nil:
            break
        case .active:
            filter = "AND \(worksNowSQL)"
            arguments = [now, now]
        case .expired:
            filter = "AND status = 'active' AND expires_at <= ? AND (grace_until IS NULL OR grace_until > ?)"
            arguments = [now, now]
        case .inactive:
            filter = "AND (status = 'inactive' OR grace_until <= ?)"
            arguments = [now]
        }
        if let window {
            // Working now, with 1 to `window.seconds` seconds left (expires_in_seconds as the API
            // shows it). A rolled key is left out: its successor carries the same expiry and is
            // listed itself, so a chain counts once, as against the plan's key count.
            filter += " AND \(worksNowSQL) AND rolled_to IS NULL AND expires_at <= ?"
            arguments += [now, now, now + window.seconds]
        }
        let sql = "SELECT \(keyColumns) FROM api_keys WHERE seq < ? \(filter) ORDER BY seq DESC LIMIT ?"
        return (sql, arguments)
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
            // Already ended (deactivated, or a roll's grace is over): unchanged, no second event.
            guard record.endedAt(now) == nil else { return record }
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
                        found[digest] = try APIKeyRecord(reading: row)
                    }
                }
                return found
            }
        }
    }

    /// Keys counted against the plan's limit: those that work now, a rolled key in its grace and
    /// its successor counted once.
    public func countActiveKeys() throws -> Int {
        let now = clock.now().unixSeconds
        return try read { db in
            let count: Int? = try db.value(
                "SELECT count(*) FROM api_keys WHERE \(Self.worksNowSQL) AND rolled_to IS NULL", [now, now])
            return count ?? 0
        }
    }

    // MARK: - Private

    static func key(id: String, in db: Connection) throws -> APIKeyRecord? {
        try db.row("SELECT \(keyColumns) FROM api_keys WHERE id = ?", [id]).map { try APIKeyRecord(reading: $0) }
    }
}
