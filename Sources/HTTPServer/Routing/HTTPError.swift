/// An error a handler throws to answer with a status and `{"detail": …}`.
/// One place renders it (`Response.error`); the detail must never hold a secret.
public struct HTTPError: Error, Sendable {
    public var status: Int
    public var detail: String
    public var headers: HTTPHeaders

    public init(_ status: Int, _ detail: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }
}
