/// A request method. The methods of RFC 9110 §9, PATCH (RFC 5789) and QUERY (the IETF's safe method
/// with a body) are recognised, so a route that lacks them answers 405; any other well-formed token
/// is answered with 501 (RFC 9110 §9.1).
public enum HTTPMethod: String, Sendable, CaseIterable {
    case GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, QUERY

    init?(bytes: ArraySlice<UInt8>) {
        switch bytes.count {
        case 3:
            if bytes.elementsEqual("GET".utf8) { self = .GET; return }
            if bytes.elementsEqual("PUT".utf8) { self = .PUT; return }
        case 4:
            if bytes.elementsEqual("POST".utf8) { self = .POST; return }
            if bytes.elementsEqual("HEAD".utf8) { self = .HEAD; return }
        default:
            break
        }
        guard let method = HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = method
    }
}
