/// What a handler sees of a request when its head arrives.
public struct RequestInfo: Sendable {
    public var head: RequestHead
    /// Values of `{name}` segments in the route's path.
    public var parameters: [String: String]
    public var remoteAddress: String

    public init(head: RequestHead, parameters: [String: String] = [:], remoteAddress: String = "") {
        self.head = head
        self.parameters = parameters
        self.remoteAddress = remoteAddress
    }

    /// The query string's parameters, percent-decoded.
    public var query: QueryParameters { QueryParameters(head.query.map(String.init) ?? "") }
}

/// A request with its whole body, for handlers that buffer (JSON admin routes).
public struct Request: Sendable {
    public var info: RequestInfo
    public var body: [UInt8]

    public var head: RequestHead { info.head }
    public var parameters: [String: String] { info.parameters }
    public var remoteAddress: String { info.remoteAddress }
}

/// Receives a request body as it arrives, on the connection's thread, then produces the reply.
/// Throwing from `consume` answers at once with that error; the rest of the body is discarded.
public protocol BodySink: AnyObject {
    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError)
    func finish() -> Reply
    /// The 413 for a body that passed its limit while streaming (a chunked body: a declared one is
    /// refused before it is read). Routes with their own wording and headers override it.
    func oversized(limit: Int) -> Response
}

extension BodySink {
    public func oversized(limit: Int) -> Response {
        .error(.bodyTooLarge(limit: limit))
    }
}

/// What a route decides once it has seen a request's head.
public enum HeadDecision {
    /// Answer now, without reading the body (e.g. 401 before a 50 MiB upload).
    case respond(Response)
    /// Read a body of at most `limit` bytes into the sink. A declared length over the limit gets
    /// 413 before any of it is read.
    case consume(any BodySink, limit: Int)
    /// Answer later, from another thread (see `Reply.later`); a body, if any, is discarded.
    case later(@Sendable (Responder) -> Void)
    /// Decide later, after work on another thread (a write the decision depends on): nothing more
    /// of the request is read until the `Decider` is given the decision, which is then carried out
    /// as if it had been returned now, body and all. Called once on the loop thread; must not block.
    case decideLater(@Sendable (Decider) -> Void)

    /// The decision that gives `reply`.
    public init(_ reply: Reply) {
        switch reply {
        case .now(let response): self = .respond(response)
        case .later(let start): self = .later(start)
        }
    }
}

public typealias HeadHandler = @Sendable (RequestInfo) -> HeadDecision
public typealias RequestHandler = @Sendable (Request) throws -> Response
/// A buffered handler that may answer later (`Reply.later`), e.g. after a durable write.
public typealias ReplyingHandler = @Sendable (Request) throws -> Reply

/// One method and path pattern (`/v1/keys/{id}`) with its handler.
public struct Route: Sendable {
    public let method: HTTPMethod
    let segments: [PathSegment]
    let handler: HeadHandler

    enum PathSegment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public init(_ method: HTTPMethod, _ pattern: String, handler: @escaping HeadHandler) {
        self.method = method
        self.segments = pattern.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        self.handler = handler
    }

    /// The parameters if the path matches this route's pattern.
    func match(_ path: [Substring]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, path) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .parameter(let name):
                guard let decoded = String(part).removingPercentEncoding(), !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}

/// Collects a body up to its limit, then calls a buffered handler.
final class BufferingSink: BodySink {
    private var body: [UInt8] = []
    private let info: RequestInfo
    private let handler: ReplyingHandler

    init(info: RequestInfo, handler: @escaping ReplyingHandler) {
        self.info = info
        self.handler = handler
    }

    func consume(_ bytes: ArraySlice<UInt8>) throws(HTTPError) {
        body.append(contentsOf: bytes)
    }

    func finish() -> Reply {
        Router.run(handler, Request(info: info, body: body))
    }
}
