import FoundationEssentials

/// One entry of the admin audit log. Never holds a secret, a token or a hash of one.
public struct AuditEvent: Sendable, Equatable {
    public static let keyCreated = "key.created"
    public static let keyDeactivated = "key.deactivated"
    public static let keyRolled = "key.rolled"
    /// A key added with a secret the caller supplied (`--allow-key-import`, `keys import`, `--seed-keys`).
    public static let keyImported = "key.imported"
    /// `POST /v1/reset` (only under `serve --allow-reset`).
    public static let fixtureReset = "fixture.reset"

    public let id: String
    public let at: Date
    /// `key.created`, `key.deactivated`, `admin.auth_failed`, …
    public let action: String
    public let keyID: String?
    /// `api`, `cli` or `console`.
    public let actor: String
    public let remoteAddress: String?
    public let detail: String?

    public init(
        id: String, at: Date, action: String, keyID: String?, actor: String, remoteAddress: String?, detail: String?
    ) {
        self.id = id
        self.at = at
        self.action = action
        self.keyID = keyID
        self.actor = actor
        self.remoteAddress = remoteAddress
        self.detail = detail
    }
}
