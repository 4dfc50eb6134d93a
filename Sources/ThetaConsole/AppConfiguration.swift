import HTTPServer

/// Everything `serve` can be told.
public struct AppConfiguration: Sendable {
    public var server = ServerConfiguration()
    public var databasePath = "./theta-console.sqlite3"
    /// An admin token from the command line or environment; otherwise the database's.
    public var adminToken: String?
    /// The highest per-key rate limit a key may be given (100 unless a "separate contract" raises it).
    public var maxKeyRPM = 100
    /// Where the browser console's files are; nil serves none.
    public var publicDirectory: String?

    public init() {}
}
