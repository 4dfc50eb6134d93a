import HTTPServer

/// Refuses what a web page on another site could make a browser send (docs/threat-model.md):
///
/// - **DNS rebinding.** A page on `evil.example` whose name is rebound to 127.0.0.1 reaches this
///   server with `Host: evil.example`. On a loopback address only the names a local user types are
///   answered: `localhost`, `*.localhost`, IP literals, the `--host` value and each `--allowed-host`
///   (a value starting with "." also allows the names under it). Anything else gets 403.
/// - **Cross-site requests to the admin API.** A request to `/v1/` with `Sec-Fetch-Site: cross-site`,
///   or with an `Origin` other than this server's own, gets 403 before the token is looked at, so
///   such a page can neither guess the token nor fill the audit log.
///
/// Clients that are not browsers send neither `Origin` nor `Sec-Fetch-Site`, and are unaffected.
struct RequestOrigins: Sendable {
    private let names: Set<String>
    private let suffixes: [String]
    /// Only a server on a loopback address can be reached by rebinding a public name to it; one
    /// bound elsewhere was put there to be reached by other names.
    let checksHosts: Bool

    init(bindHost: String, allowedHosts: [String]) {
        let bind = bindHost.lowercased()
        checksHosts = bind == "localhost" || bind == "::1" || bind.hasPrefix("127.")
        var names: Set<String> = [bind]
        var suffixes: [String] = []
        for value in allowedHosts.map({ $0.lowercased() }) {
            if value.hasPrefix(".") {
                suffixes.append(value)
                names.insert(String(value.dropFirst()))
            } else {
                names.insert(value)
            }
        }
        self.names = names
        self.suffixes = suffixes
    }

    func check(_ head: RequestHead) -> Response? {
        let host = head.host
        if checksHosts, let host, let refusal = checkHost(host) { return refusal }
        if head.path.hasPrefix("/v1/") || head.path == "/v1" { return checkSite(head, host: host) }
        return nil
    }

    private func checkHost(_ host: String) -> Response? {
        if host.utf8.first == UInt8(ascii: "[") { return nil }  // an IPv6 literal
        let name = Self.hostName(host)
        if name == "localhost" || name.hasSuffix(".localhost") || Self.isIPv4Literal(name) || names.contains(name)
            || suffixes.contains(where: { name.hasSuffix($0) }) {
            return nil
        }
        return .error(HTTPError(403, """
            Host "\(name)" is not allowed: on a loopback address theta-console answers only localhost, *.localhost, \
            IP addresses and its --host; to serve this name, start it with --allowed-host \(name)
            """))
    }

    private func checkSite(_ head: RequestHead, host: String?) -> Response? {
        if let site = head.headers["Sec-Fetch-Site"], site.lowercased() == "cross-site" {
            return .error(HTTPError(403, "the admin API refuses cross-site requests from browsers (Sec-Fetch-Site: cross-site)"))
        }
        guard let origin = head.headers["Origin"] else { return nil }
        let own = host.map { "http://" + Self.withoutDefaultPort($0.lowercased()) }
        guard let own, Self.withoutDefaultPort(origin.lowercased()) == own else {
            return .error(HTTPError(403, "the admin API refuses requests from another origin (Origin: \(origin.prefix(200)))"))
        }
        return nil
    }

    /// The name of a `host[:port]` (no IPv6 literal), lowercased.
    static func hostName(_ host: String) -> String {
        let name = host.utf8.lastIndex(of: UInt8(ascii: ":")).map { host[..<$0] } ?? host[...]
        return name.lowercased()
    }

    /// Four decimal octets: what a browser sends for any IPv4 address it was given.
    static func isIPv4Literal(_ name: String) -> Bool {
        let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                && Int(String(decoding: part, as: UTF8.self))! <= 255
        }
    }

    private static func withoutDefaultPort(_ value: String) -> Substring {
        value.hasSuffix(":80") ? value.dropLast(3) : value[...]
    }
}
