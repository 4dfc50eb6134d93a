/// Everything the HTTP server can be told at start-up. Times are in seconds.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var limits = HTTPLimits()
    /// The whole header section must arrive within this time of its first byte (slowloris).
    public var headerTimeout = 10.0
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeout = 60.0
    /// A body that makes no progress for this long is answered 408 and closed.
    public var bodyTimeout = 30.0
    /// A response the peer does not read for this long is abandoned.
    public var writeTimeout = 30.0
    /// After an error response, how long to drain the peer before closing (lingering close).
    public var lingerTimeout = 2.0
    /// Connections beyond this are answered 503 and closed.
    public var maxConnections = 10_000
    /// Event-loop threads; 0 means one per core.
    public var threads = 0
    /// A body a handler answered early may be read and discarded up to this size; past it, close.
    public var maxDiscardBytes = 1024 * 1024
    /// HTTPS, on a port of its own beside `port` (same host, same limits and deadlines).
    public var tls: TLSListener?
    /// A TLS handshake must be done within this time of the connection's accept.
    public var handshakeTimeout = 10.0

    public init() {}
}

/// Where and with what HTTPS is served.
public struct TLSListener: Sendable {
    /// 0 picks a free port.
    public var port: Int
    public var context: TLSServerContext

    public init(port: Int, context: TLSServerContext) {
        self.port = port
        self.context = context
    }
}
