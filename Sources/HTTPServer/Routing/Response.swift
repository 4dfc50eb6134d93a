import FoundationEssentials
import JSONText

/// A complete response. Bodies are small here (JSON and static files), so they are held whole.
public struct Response: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// How the bytes reach the peer: whole, or broken on purpose (a test fixture's network faults).
    public var delivery = Delivery.complete

    public enum Delivery: Sendable {
        case complete
        /// Send the head and the first half of the body, then close: the peer sees a short body.
        case halfThenClose
        /// Send nothing and reset the connection (RST, by SO_LINGER with a zero timeout).
        case reset
    }

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ status: Int = 200, _ body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> Response {
        var headers = headers
        headers.set("Content-Type", "application/json; charset=utf-8")
        return Response(status: status, headers: headers, body: body)
    }

    /// A JSON response from an Encodable value.
    public static func json<T: Encodable>(_ status: Int = 200, encoding value: T, headers: HTTPHeaders = HTTPHeaders()) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return .error(HTTPError(500, "response could not be encoded"))
        }
        return json(status, Array(data), headers: headers)
    }

    /// The one place an HTTPError becomes bytes: `{"detail": "…"}`.
    public static func error(_ error: HTTPError) -> Response {
        var body = Array(#"{"detail":"#.utf8)
        JSONString.append(error.detail, to: &body)
        body.append(UInt8(ascii: "}"))
        return json(error.status, body, headers: error.headers)
    }

    /// Whether a response with this status to this method carries no body (RFC 9110 §6.4.1).
    static func hasNoBody(status: Int) -> Bool {
        (100..<200).contains(status) || status == 204 || status == 304
    }
}
