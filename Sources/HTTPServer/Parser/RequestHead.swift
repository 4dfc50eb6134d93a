/// The parsed request line and header section of one request.
public struct RequestHead: Sendable {
    public enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: HTTPMethod
    /// The request target as routing reads it: origin-form as sent, "*", or the path and query of
    /// an absolute-form target (whose authority is in `authority`).
    public var target: String
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var framing: Framing
    /// `Expect: 100-continue` was sent on an HTTP/1.1 request.
    public var expectsContinue: Bool
    /// The authority (`host[:port]`) of an absolute-form target; nil for the other forms.
    public var authority: String?

    public init(method: HTTPMethod, target: String, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(),
                framing: Framing = .none, expectsContinue: Bool = false, authority: String? = nil) {
        self.method = method
        self.target = target
        self.versionMinor = versionMinor
        self.headers = headers
        self.framing = framing
        self.expectsContinue = expectsContinue
        self.authority = authority
    }

    /// The host the request is for (`host[:port]`): an absolute-form target's authority, which
    /// overrides the Host field (RFC 9112 §3.2.2), else the Host field; nil when neither names one.
    public var host: String? {
        if let authority { return authority }
        guard let host = headers["Host"], !host.isEmpty else { return nil }
        return host
    }

    /// The path part of the target, without the query.
    public var path: Substring {
        // By byte: a Character search runs grapheme breaking, ~4,000 instructions for "/transcribe".
        target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
    }

    /// The query part of the target, without the `?`.
    public var query: Substring? {
        target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[target.utf8.index(after: $0)...] }
    }

    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let tokens = headers.values("Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
        if tokens.contains("close") { return false }
        return versionMinor >= 1 || tokens.contains("keep-alive")
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
