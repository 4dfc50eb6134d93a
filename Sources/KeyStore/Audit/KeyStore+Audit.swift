import FoundationEssentials

extension KeyStore {
    /// Appends an event to the audit log. Callers must not put secrets or tokens in `detail`.
    @discardableResult
    public func recordAudit(
        action: String, keyID: String? = nil, actor: String, remoteAddress: String? = nil, detail: String? = nil
    ) throws -> AuditEvent {
        let event = try auditEvent(action: action, keyID: keyID, actor: actor, remoteAddress: remoteAddress, detail: detail)
        try write { db in try Self.insert(event, into: db) }
        return event
    }

    /// `recordAudit` for an event loop: `done` runs on the writer thread after the commit.
    public func recordAudit(
        action: String, keyID: String? = nil, actor: String, remoteAddress: String? = nil, detail: String? = nil,
        then done: @escaping @Sendable (Result<AuditEvent, any Error>) -> Void
    ) {
        write({
            let event = try self.auditEvent(action: action, keyID: keyID, actor: actor, remoteAddress: remoteAddress,
                                            detail: detail)
            return { db in
                try Self.insert(event, into: db)
                return event
            }
        }, then: done)
    }

    private func auditEvent(action: String, keyID: String?, actor: String, remoteAddress: String?, detail: String?) throws
        -> AuditEvent
    {
        AuditEvent(
            id: try APIKeyFormat.generateEventID(), at: clock.now().wholeSeconds, action: action, keyID: keyID,
            actor: actor, remoteAddress: remoteAddress, detail: detail)
    }

    /// Audit events newest first. `after` is the id of the last event of the previous page.
    public func auditEvents(limit: Int = 50, after cursor: String? = nil) throws -> Page<AuditEvent> {
        try Self.checkLimit(limit)
        return try read { db in
            try db.transaction(.deferred) {
                let start = try Self.sequence(after: cursor, in: "audit_events", db)
                let rows = try db.rows(
                    """
                    SELECT id, at, action, key_id, actor, remote_addr, detail FROM audit_events
                    WHERE seq < ? ORDER BY seq DESC LIMIT ?
                    """,
                    [start, limit + 1])
                return Self.page(try rows.map(Self.event), limit: limit, id: \.id)
            }
        }
    }

    /// Deletes up to `limit` audit events older than `cutoff`, oldest first, in one short write, and
    /// returns how many it deleted. Keys and the ledger are never touched. Call it again until it
    /// returns less than `limit`, so a large backlog goes in small transactions that never hold the
    /// writer for long.
    public func pruneAuditEvents(olderThan cutoff: Date, limit: Int = 500) throws -> Int {
        let seconds = cutoff.unixSeconds
        return try write { db in
            try db.run(
                """
                DELETE FROM audit_events WHERE seq IN (
                    SELECT seq FROM audit_events WHERE at < ? ORDER BY seq LIMIT ?)
                """, [seconds, limit])
            return db.changes
        }
    }

    static func insert(_ event: AuditEvent, into db: Connection) throws {
        try db.run(
            """
            INSERT INTO audit_events (id, at, action, key_id, actor, remote_addr, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [event.id, event.at.unixSeconds, event.action, event.keyID, event.actor, event.remoteAddress, event.detail])
    }

    private static func event(_ row: Row) throws -> AuditEvent {
        AuditEvent(
            id: try row[0], at: Date(unixSeconds: try row[1]), action: try row[2], keyID: try row[3],
            actor: try row[4], remoteAddress: try row[5], detail: try row[6])
    }
}
