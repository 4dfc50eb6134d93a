import FoundationEssentials

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

/// Minimal JSON string escaping, for the hot error path where JSONEncoder is too heavy.
public enum JSONString {
    public static func append(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        // Runs of bytes that need no escape are copied whole; appending byte by byte was 26% of a
        // 100-key listing. The output is the same.
        string.withUTF8 { utf8 in
            var start = 0
            for (i, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                escape(byte, to: &out)
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func escape(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case 0x0A: out.append(contentsOf: #"\n"#.utf8)
        case 0x0D: out.append(contentsOf: #"\r"#.utf8)
        case 0x09: out.append(contentsOf: #"\t"#.utf8)
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: #"\u00"#.utf8)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
    }
}
