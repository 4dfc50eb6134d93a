/// Size limits the parser enforces on what it has buffered, not per `read()`.
public struct HTTPLimits: Sendable {
    /// The request line, in bytes, before 414.
    public var maxRequestLine = 8 * 1024
    /// The whole header section, in bytes, before 431.
    public var maxHeaderBytes = 32 * 1024
    /// The number of header fields, before 431.
    public var maxHeaderCount = 100
    /// One chunk-size line including its extensions.
    public var maxChunkLine = 4 * 1024
    /// The trailer section of a chunked body.
    public var maxTrailerBytes = 8 * 1024
    /// Empty lines tolerated before a request line (RFC 9112 §2.2).
    public var maxLeadingEmptyLines = 8

    public init() {}
}
