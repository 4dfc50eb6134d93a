import FoundationEssentials
import KeyStore

/// A key the leak scanner found, with what the database says about it: the one shape that
/// `POST /v1/leaks` and `theta-console scan` print.
public struct LeakFinding: Sendable {
    public let finding: LeakScanner.Finding
    /// The key's record; nil when no database was asked or it holds no such key.
    public let record: APIKeyRecord?
    /// `active`, `inactive`, `expired`, or `unknown` (no record).
    public let status: String

    public init(_ finding: LeakScanner.Finding, record: APIKeyRecord?, now: Date) {
        self.finding = finding
        self.record = record
        self.status = record?.status(at: now).rawValue ?? "unknown"
    }

    /// Whether the key may still work: active, or unknown (no database vouches that it does not).
    /// Inactive and expired keys are refused for good (decisions.md, Leak scanner).
    public var isLive: Bool { status == KeyStatus.active.rawValue || status == "unknown" }

    /// Whether a deactivation applies: the database has the key, and it is active.
    public var isDeactivatable: Bool { status == KeyStatus.active.rawValue }

    /// `{"line", "column", "key_id", "status", "hint"}`, after `file` when given; `deactivated` when given.
    public func writeJSON(to json: inout JSONWriter, file: String? = nil, deactivated: Bool? = nil) {
        json.beginObject()
        if let file { json.field("file", file) }
        json.field("line", finding.line)
        json.field("column", finding.column)
        json.field("key_id", record?.id)
        json.field("status", status)
        json.field("hint", finding.hint)
        if let deactivated { json.field("deactivated", deactivated) }
        json.endObject()
    }

    /// The keys in `bytes`, each with its record from one read of `store` (or none).
    public static func scan(_ bytes: [UInt8], store: KeyStore?) throws -> (findings: [LeakFinding], lookalikes: Int) {
        let result = LeakScanner.scan(bytes)
        return (try lookUp(result.findings, in: store), result.lookalikes)
    }

    /// `findings` with their records, from one read of `store`; all unknown without one.
    public static func lookUp(_ findings: [LeakScanner.Finding], in store: KeyStore?) throws -> [LeakFinding] {
        let records = try store?.keys(secretSHA256: findings.map(\.secretSHA256)) ?? [:]
        let now = store?.clock.now() ?? Date()
        return findings.map { LeakFinding($0, record: records[$0.secretSHA256], now: now) }
    }
}
