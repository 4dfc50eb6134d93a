import FoundationEssentials
import HTTPServer
import KeyStore

/// Everything `serve` can be told.
public struct AppConfiguration: Sendable {
    public var server = ServerConfiguration()
    public var databasePath = "./theta-console.sqlite3"
    /// An admin token from the command line or environment; otherwise the database's.
    public var adminToken: String?
    /// Where a fixed `adminToken` came from, as a user would name it ("--admin-token-file").
    public var adminTokenSource = "--admin-token"
    /// The highest per-key rate limit a key may be given (100 unless a "separate contract" raises it).
    public var maxKeyRPM = 100
    /// Serve the console from this folder instead of the copy built into the binary.
    public var publicDirectory: String?
    /// Host names answered besides localhost, *.localhost, IP literals and the bind address
    /// (`--allowed-host`; ".example" allows the names under it too).
    public var allowedHosts: [String] = []
    /// The largest upload the emulated endpoints accept, in bytes.
    public var maxUploadBytes = 50 * 1024 * 1024
    /// Set the account to this plan and/or balance at start-up.
    public var plan: Plan?
    public var creditsMicro: Int64?
    /// Start a manual clock at this time, controlled through `/v1/clock`, instead of the system clock.
    public var fakeTime: Date?
    /// Delete audit events older than this many days, checked once an hour of the store's clock
    /// (nil: keep them all).
    public var auditRetentionDays: Int?
    /// `POST /v1/keys` may carry a key's secret (`"key"`), for fixtures that need a fixed key.
    public var allowKeyImport = false
    /// The emulated service's processing timeout: a `timeout` fault answers 504 after it.
    public var processingTimeoutSeconds = 60.0
    /// `POST /v1/reset` exists (a test fixture's reset between tests).
    public var allowReset = false
    /// Keep the last this-many emulated requests for `GET /v1/requests`; nil keeps none.
    public var recordRequests: Int?
    /// `serve --upstream`: send speech requests that pass the local gate on to the real service.
    public var upstream: UpstreamSettings?
    /// `serve --replay DIR`: answer from the recordings in this folder; with `replayStrict`, a
    /// request no recording matches gets a 404 instead of the emulated answer.
    public var replayDirectory: String?
    public var replayStrict = false

    public init() {}
}
