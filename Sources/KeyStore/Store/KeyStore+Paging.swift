/// Cursor paging, shared by the keys, the audit log and the ledger.
extension KeyStore {
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
}
