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
/// Every request passes here, so the usual answer ("127.0.0.1:PORT", not /v1/) is found by byte
/// comparisons alone, with no allocation.
struct RequestOrigins: Sendable {
    /// Lowercased names answered as they are, and suffixes (".example") whose subdomains are too.
    private let names: [[UInt8]]
    private let suffixes: [[UInt8]]
    /// Only a server on a loopback address can be reached by rebinding a public name to it; one
    /// bound elsewhere was put there to be reached by other names.
    let checksHosts: Bool

    init(bindHost: String, allowedHosts: [String]) {
        let bind = bindHost.lowercased()
        checksHosts = bind == "localhost" || bind == "::1" || bind.hasPrefix("127.")
        var names: [[UInt8]] = [Array(bind.utf8), Array("localhost".utf8)]
        var suffixes: [[UInt8]] = [Array(".localhost".utf8)]
        for value in allowedHosts.map({ $0.lowercased() }) {
            if value.hasPrefix(".") {
                suffixes.append(Array(value.utf8))
                names.append(Array(value.utf8.dropFirst()))
            } else {
                names.append(Array(value.utf8))
            }
        }
        self.names = names
        self.suffixes = suffixes
    }

    func check(_ head: RequestHead) -> Response? {
        let host = head.host
        if checksHosts, let host, let refusal = checkHost(host) { return refusal }
        let path = head.path.utf8
        if path.starts(with: "/v1/".utf8) || path.elementsEqual("/v1".utf8) { return checkSite(head, host: host) }
        return nil
    }

    private func checkHost(_ host: String) -> Response? {
        let allowed = host.utf8.withContiguousStorageIfAvailable { bytes in isAllowed(Self.name(of: bytes)) }
            ?? isAllowed(Self.name(of: Array(host.utf8)[...]))
        if allowed { return nil }
        let name = String(decoding: Self.name(of: Array(host.utf8)[...]), as: UTF8.self).lowercased()
        return .error(HTTPError(403, """
            Host "\(name)" is not allowed: on a loopback address theta-console answers only localhost, *.localhost, \
            IP addresses and its --host; to serve this name, start it with --allowed-host \(name)
            """))
    }

    private func isAllowed<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool where Bytes.Index == Int {
        if name.first == UInt8(ascii: "[") { return true }  // an IPv6 literal
        if Self.isIPv4Literal(name) { return true }
        for allowed in names where Self.equalIgnoringCase(name, allowed[...]) { return true }
        for suffix in suffixes where name.count > suffix.count
            && Self.equalIgnoringCase(name[(name.endIndex - suffix.count)...], suffix[...]) {
            return true
        }
        return false
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

    /// The name of a `host[:port]`: all of an IPv6 literal, else what comes before the last ":".
    static func name<Bytes: BidirectionalCollection<UInt8>>(of host: Bytes) -> Bytes.SubSequence {
        if host.first == UInt8(ascii: "[") { return host[...] }
        guard let colon = host.lastIndex(of: UInt8(ascii: ":")) else { return host[...] }
        return host[..<colon]
    }

    /// Four decimal octets of at most 255: what a browser sends for any IPv4 address it was given.
    static func isIPv4Literal<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
        var parts = 0, digits = 0, value = 0
        for byte in name {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                parts += 1
                digits = 0
                value = 0
            } else if byte >= 0x30 && byte <= 0x39 {
                digits += 1
                value = value * 10 + Int(byte - 0x30)
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return parts == 3 && digits > 0
    }

    private static func equalIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in (x >= 0x41 && x <= 0x5A ? x | 0x20 : x) == y }
    }

    private static func withoutDefaultPort(_ value: String) -> Substring {
        value.hasSuffix(":80") ? value.dropLast(3) : value[...]
    }
}
