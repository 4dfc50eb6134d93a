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
        switch connect(deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(let failure): return .failure(failure)
        }
        defer { close(fd) }
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
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
                guard wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
                continue
            }
            var message = [CChar](repeating: 0, count: 512)
            _ = theta_tls_client_failure(ssl, &message, message.count)
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
                guard wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
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
                    guard wait(fd, writable: step == THETA_TLS_WANT_WRITE, deadline: deadline) else { return .failure(.timedOut) }
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
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }

    /// A connected non-blocking socket to the first of the host's addresses that answers.
    private func connect(deadline: UInt64) -> Result<Int32, Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, result != nil else {
            return .failure(.unreachable("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(result) }
        var why = "no address"
        var next = result
        while let info = next {
            next = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .success(fd) }
            guard errno == EINPROGRESS else {
                why = String(cString: strerror(errno))
                close(fd)
                continue
            }
            guard wait(fd, writable: true, deadline: deadline) else {
                close(fd)
                return .failure(.timedOut)
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return .success(fd) }
            why = String(cString: strerror(error))
            close(fd)
        }
        return .failure(.unreachable("\(host):\(port): \(why)"))
    }

    /// Waits until the socket is readable (or writable), or the deadline passes (false).
    private func wait(_ fd: Int32, writable: Bool, deadline: UInt64) -> Bool {
        while true {
            let now = monotonicNanoseconds()
            guard now < deadline else { return false }
            var entry = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
            let milliseconds = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return true }  // the next call reports the error
        }
    }
}
