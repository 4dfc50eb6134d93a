/// A terminal parse error: the status to answer with, and a reason that is safe to show the peer.
/// After one of these the connection is answered (if nothing was sent yet) and closed.
public struct HTTPParseError: Error, Sendable, Equatable {
    public let status: Int
    public let reason: String

    public init(_ status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(400, reason) }
}
