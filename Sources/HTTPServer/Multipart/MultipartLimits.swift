/// Bounds on what a `MultipartParser` holds or accepts. Every one of them fails with a `MultipartError`.
public struct MultipartLimits: Sendable {
    /// RFC 2046 §5.1.1 allows 1 to 70 characters.
    public var maxBoundaryLength = 70
    /// Parts in one body.
    public var maxParts = 16
    /// One part's header section, CRLFs included.
    public var maxPartHeaderBytes = 8 * 1024
    /// Header fields in one part.
    public var maxPartHeaderFields = 16
    /// Bytes before the first boundary delimiter (RFC 2046's preamble), which are discarded.
    public var maxPreambleBytes = 1024

    public init() {}
}
