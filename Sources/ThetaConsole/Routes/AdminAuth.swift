import PosixThreads
import FoundationEssentials
import HTTPServer
import KeyStore

/// Checks `Authorization: Bearer <admin token>` on every `/v1/…` request, in constant time.
/// The token is never held in memory as text past this check, and never logged.
struct AdminAuth: Sendable {
    let store: KeyStore
    /// The hash of a token given on the command line or in the environment; otherwise the hash
    /// stored in the database is read on each request, so `admin-token rotate` takes effect at once.
    let fixedTokenHash: [UInt8]?
    let failures = FailureAuditor()

    static let challenge = HTTPHeaders([("WWW-Authenticate", "Bearer")])

    /// nil when the request carries the admin token; otherwise the 401 to answer with (after its
    /// audit event has committed, when one is written, so an audit read that follows sees it).
    func check(_ info: RequestInfo) -> HeadDecision? {
        guard let header = info.head.headers["Authorization"] else {
            return refuse(info, reason: "missing bearer token")
        }
        // Split by byte: a Character split runs grapheme breaking over the whole token.
        let parts = header.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1).map { Substring($0) }
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return refuse(info, reason: "not a bearer token")
        }
        let presented = KeyStore.hashToken(parts[1].trimmingWhitespace())
        let expected: [UInt8]?
        do {
            expected = try fixedTokenHash ?? store.adminTokenHash()
        } catch {
            return .respond(.error(HTTPError(503, "the database is unavailable", headers: HTTPHeaders([("Retry-After", "1")]))))
        }
        guard let expected, constantTimeEquals(presented, expected) else {
            return refuse(info, reason: "wrong bearer token")
        }
        return nil
    }

    private func refuse(_ info: RequestInfo, reason: String) -> HeadDecision {
        let refusal = Response.error(HTTPError(401, "missing or invalid admin token", headers: Self.challenge))
        guard failures.shouldRecord() else { return .respond(refusal) }
        let suppressed = failures.takeSuppressed()
        let detail = suppressed > 0 ? "\(reason) (and \(suppressed) more not recorded)" : reason
        return .later { [store] responder in
            // The 401 stands whether or not the event could be written.
            store.recordAudit(action: "admin.auth_failed", actor: "api", remoteAddress: info.remoteAddress, detail: detail) { _ in
                responder.respond(refusal)
            }
        }
    }
}

/// Records at most a few auth failures a second, so a flood of bad tokens cannot turn into a
/// flood of durable writes. The ones not written are counted into the next one that is.
final class FailureAuditor: Sendable {
    private struct State {
        var second = 0
        var recorded = 0
        var suppressed = 0
    }
    private let state = Lock(State())
    static let perSecond = 10

    func shouldRecord() -> Bool {
        let now = Int(Date().timeIntervalSince1970)
        return state.withLock { s in
            if s.second != now {
                s.second = now
                s.recorded = 0
            }
            guard s.recorded < Self.perSecond else {
                s.suppressed += 1
                return false
            }
            s.recorded += 1
            return true
        }
    }

    func takeSuppressed() -> Int {
        state.withLock { s in
            defer { s.suppressed = 0 }
            return s.suppressed
        }
    }
}
