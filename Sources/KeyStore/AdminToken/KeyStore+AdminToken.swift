extension KeyStore {
    private static let adminTokenSetting = "admin_token_sha256"
    private static let fixedTokenSetting = "admin_token_fixed_by"

    /// SHA-256 of a token: the only form in which the admin token is stored.
    public static func hashToken(_ token: String) -> [UInt8] {
        SHA256.digest(token)
    }

    /// The stored admin token digest, or nil before one is set.
    public func adminTokenHash() throws -> [UInt8]? {
        try read { db in
            try db.value("SELECT value FROM settings WHERE name = ?", [Self.adminTokenSetting])
        }
    }

    /// Replaces the admin token digest (from `hashToken`).
    public func setAdminTokenHash(_ hash: [UInt8]) throws {
        precondition(hash.count == SHA256.digestLength, "pass KeyStore.hashToken(token), not the token")
        try write { db in
            try db.run(
                "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [Self.adminTokenSetting, hash])
        }
    }

    /// Where the server on this database takes a fixed admin token from ("--admin-token", …), or
    /// nil when it uses the stored digest. Recorded at each start, so `admin-token rotate` can
    /// refuse a rotation the server would never see.
    public func fixedAdminTokenSource() throws -> String? {
        try read { db in
            let bytes: [UInt8]? = try db.value("SELECT value FROM settings WHERE name = ?", [Self.fixedTokenSetting])
            return bytes.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    public func setFixedAdminTokenSource(_ source: String?) throws {
        try write { db in
            if let source {
                try db.run(
                    "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    [Self.fixedTokenSetting, Array(source.utf8)])
            } else {
                try db.run("DELETE FROM settings WHERE name = ?", [Self.fixedTokenSetting])
            }
        }
    }

    /// True when `token` is the admin token; compares digests in constant time.
    public func isAdminToken(_ token: String) throws -> Bool {
        guard let stored = try adminTokenHash() else { return false }
        return constantTimeEquals(Self.hashToken(token), stored)
    }
}
