import Logging

/// Builds the routing table at start-up. `build()` freezes it into an immutable, `Sendable` Router.
public struct RouterBuilder {
    private var routes: [Route] = []
    private var fallback: HeadHandler?
    private var filters: [ResponseFilter] = []
    private var checks: [RequestCheck] = []
    private var everyResponse: [(name: String, value: String)] = []
    private var logger: Logger?

    public init() {}

    /// A route that sees the head first and decides how to read the body.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, handler: @escaping HeadHandler) {
        routes.append(Route(method, pattern, handler: handler))
    }

    /// A route whose body (at most `maxBody` bytes) is collected before the handler runs.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, maxBody: Int = 64 * 1024,
                            handler: @escaping RequestHandler) {
        on(method, pattern) { info in Router.buffer(info, maxBody: maxBody) { request in .now(try handler(request)) } }
    }

    /// What answers a GET or HEAD that no route matches (static files); 404 otherwise.
    public mutating func fallback(_ handler: @escaping HeadHandler) {
        fallback = handler
    }

    /// Runs on every request before routing, in the order added; the first response returned
    /// answers the request instead of its route (a policy that refuses whole classes of request).
    public mutating func check(_ check: @escaping RequestCheck) {
        checks.append(check)
    }

    /// A header every response carries, error answers to unparsable requests included. Checked
    /// once here and written as ready bytes, so it costs a copy per response. A handler must not
    /// set the same field.
    public mutating func headerOnEveryResponse(_ name: String, _ value: String) {
        precondition(!name.isEmpty && name.utf8.allSatisfy(isTokenByte) && !value.utf8.contains(where: { $0 == CR || $0 == LF || $0 == 0 }),
                     "not a valid header: \(name)")
        everyResponse.append((name, value))
    }

    /// Runs on every response sent for a parsed request, in the order added.
    public mutating func filter(_ filter: @escaping ResponseFilter) {
        filters.append(filter)
    }

    public func build() -> Router {
        Router(routes: routes, fallback: fallback, filters: filters, checks: checks,
               everyResponseHeaders: everyResponse.flatMap { Array("\($0.name): \($0.value)\r\n".utf8) })
    }
}

public typealias ResponseFilter = @Sendable (RequestHead, inout Response) -> Void
public typealias RequestCheck = @Sendable (RequestHead) -> Response?

/// The frozen routing table. Matching is a scan: there are a dozen routes.
public struct Router: Sendable {
    let routes: [Route]
    let fallback: HeadHandler?
    let filters: [ResponseFilter]
    let checks: [RequestCheck]
    /// `headerOnEveryResponse`'s fields, as wire bytes.
    let everyResponseHeaders: [UInt8]

    /// Decides what to do with a request: a check's refusal, a matched route, 405 with `Allow`,
    /// the fallback, or 404.
    public func decide(_ info: RequestInfo) -> HeadDecision {
        for check in checks {
            if let refusal = check(info.head) { return .respond(refusal) }
        }
        // RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole, a "ping"; the parser allows
        // "*" with OPTIONS only. Routes are per path, so there is nothing to add but yes.
        if info.head.method == .OPTIONS, info.head.target == "*" { return .respond(Response(status: 204)) }
        let path = info.head.path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Substring($0) }
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = route.match(path) else { continue }
            // RFC 9110 §9.3.2: HEAD is answered like GET, without the body.
            if route.method == info.head.method || (route.method == .GET && info.head.method == .HEAD) {
                var matched = info
                matched.parameters = parameters
                return route.handler(matched)
            }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            if allowed.contains(.GET) { allowed.append(.HEAD) }
            allowed.append(.OPTIONS)
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            if info.head.method == .OPTIONS {
                return .respond(Response(status: 204, headers: HTTPHeaders([("Allow", allow)])))
            }
            // RFC 9110 §15.5.6: 405 must carry Allow.
            return .respond(.error(HTTPError(405, "method not allowed", headers: HTTPHeaders([("Allow", allow)]))))
        }
        if let fallback, info.head.method == .GET || info.head.method == .HEAD {
            return fallback(info)
        }
        return .respond(.error(HTTPError(404, "not found")))
    }

    /// Applies the response filters.
    public func finalize(_ head: RequestHead, _ response: inout Response) {
        for filter in filters { filter(head, &response) }
    }

    /// Collects the body (at most `maxBody` bytes), then runs the handler. For head handlers that
    /// check something first (authentication) and then want the buffered behaviour.
    public static func buffer(_ info: RequestInfo, maxBody: Int, _ handler: @escaping ReplyingHandler) -> HeadDecision {
        switch info.head.framing {
        case .none, .length(0):
            return HeadDecision(run(handler, Request(info: info, body: [])))
        default:
            return .consume(BufferingSink(info: info, handler: handler), limit: maxBody)
        }
    }

    /// Runs a buffered handler: an HTTPError becomes its response; anything else a logged 500.
    static func run(_ handler: ReplyingHandler, _ request: Request) -> Reply {
        do {
            return try handler(request)
        } catch {
            return .now(response(for: error, path: request.head.path))
        }
    }

    /// An HTTPError as its response; anything else as a logged 500. Also for deferred answers.
    public static func response(for error: any Error, path: Substring) -> Response {
        if let error = error as? HTTPError { return .error(error) }
        // The error's description comes from our own code and never carries a secret.
        Logger(label: "theta-console.http").error("handler failed", metadata: [
            "path": "\(path)", "error": "\(error)",
        ])
        return .error(HTTPError(500, "internal server error"))
    }
}
