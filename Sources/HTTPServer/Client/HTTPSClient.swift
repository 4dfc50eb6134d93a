import CLinux
import CTLS
import Glibc

/// A small blocking HTTPS/1.1 client with one deadline per request, for the recording proxy's
/// calls to its upstream (`serve --upstream`). It runs on a thread of its own, never on a loop.
/// The peer's certificate is verified, with its host name, against the system's trust store or a
/// given CA file. One connection per request (`Connection: close`): the upstream is slow next to
/// a handshake, and nothing is shared between threads but the context.
public final class HTTPSClient: @unchecked Sendable {
    /// What went wrong, in words that name the upstream but nothing sent to it.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No address answered: refused, unreachable or unresolvable.
        case unreachable(String)
        /// The certificate did not verify, or the handshake failed.
        case tls(String)
        /// The deadline passed before the whole answer came.
        case timedOut
        /// The answer stopped before its end, or was not HTTP.
        case broken(String)

        public var description: String {
            switch self {
            case .unreachable(let why): "unreachable: \(why)"
            case .tls(let why): "TLS: \(why)"
            case .timedOut: "timed out"
            case .broken(let why): "broken answer: \(why)"
            }
        }
    }

    public struct Answer: Sendable {
        public let status: Int
        public let headers: [(name: String, value: String)]
        public let body: [UInt8]

        public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.name.lowercased() == lower }?.value
        }
    }

    public let host: String
    public let port: Int
    private let context: OpaquePointer
    private let maxBody: Int

    /// `authority`: a PEM file of the CAs to trust instead of the system's.
    public init(host: String, port: Int, authority: String?, maxBody: Int) throws(TLSError) {
        var message = [CChar](repeating: 0, count: 512)
        guard let made = theta_tls_client_context(authority, &message, message.count) else { throw TLSError(message) }
        context = made
        self.host = host
        self.port = port
        self.maxBody = maxBody
    }

    deinit { SSL_CTX_free(context) }

    /// Sends one request and reads its whole answer, or fails, by `timeout` seconds from now.
    /// `headers` must not hold Host, Content-Length or Connection: they are written here.
    public func send(method: String, path: String, headers: [(String, String)], body: [UInt8],
                     timeout: Double) -> Result<Answer, Failure> {
        let deadline = monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9)
        let fd: Int32
        switch Socket.connect(host: host, port: port, deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(.timedOut): return .failure(.timedOut)
        case .failure(.unreachable(let why)): return .failure(.unreachable(why))
        }
        defer { close(fd) }
        var address = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
        guard let ssl = theta_tls_client_session(context, fd, host, isAddress ? 1 : 0) else {
            return .failure(.tls("cannot start a TLS session"))
        }
        defer {
            theta_tls_close_notify(ssl)
            SSL_free(ssl)
        }
        // The handshake.
        while true {
            let step = theta_tls_handshake(ssl)
            if step == 1 { break }
            if step == THETA_TLS_WANT_READ || step == THETA_TLS_WANT_WRITE {
                guard Socket.wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
                continue
            }
            var message = [CChar](repeating: 0, count: 512)
            theta_tls_client_failure(ssl, &message, message.count)
            return .failure(.tls(TLSError(message).description))
        }
        // The request.
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var out = Array(request.utf8)
        out.append(contentsOf: body)
        var sent = 0
        while sent < out.count {
            let step = out[sent...].withUnsafeBytes { theta_tls_write(ssl, $0.baseAddress, $0.count) }
            if step > 0 {
                sent += step
            } else if step == THETA_TLS_WANT_READ || step == THETA_TLS_WANT_WRITE {
                guard Socket.wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
            } else {
                // The upstream may have answered early (a refusal from the head) and closed: read it.
                break
            }
        }
        // The answer.
        var parser = HTTPResponseParser(maxBody: maxBody)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let step = buffer.withUnsafeMutableBytes { theta_tls_read(ssl, $0.baseAddress, $0.count) }
            do {
                if step > 0 {
                    if try parser.feed(buffer[0..<step]) { break }
                } else if step == THETA_TLS_WANT_READ || step == THETA_TLS_WANT_WRITE {
                    guard Socket.wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
                } else {
                    // The end of the stream, clean or not: complete only when the framing says so.
                    try parser.finishAtClose()
                    break
                }
            } catch {
                return .failure(.broken(error.description))
            }
        }
        return .success(Answer(status: parser.status, headers: parser.headers, body: parser.body))
    }

    private var hostHeader: String {
        let name = bracketedHost(host)
        return port == 443 ? name : "\(name):\(port)"
    }
}
