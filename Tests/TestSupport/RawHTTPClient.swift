import Foundation
import Glibc

/// A parsed HTTP response, as a test reads it off the wire.
public struct WireResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (or array), for assertions.
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }

    public var object: [String: Any] { json as? [String: Any] ?? [:] }

    public var detail: String? { object["detail"] as? String }
}

public struct ClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking HTTP/1.1 client on a raw socket, so tests control every byte: pipelining,
/// trickled heads, half-sent bodies. Every read has a timeout; nothing waits forever.
public final class RawHTTPClient {
    public let fd: Int32
    private var buffer: [UInt8] = []

    /// A client on a descriptor that is already connected (a socketpair's end, say); it closes the
    /// descriptor when it goes.
    public init(connected fd: Int32, timeout: Double = 10 * timeoutScale) {
        self.fd = fd
        setTimeout(timeout)
    }

    /// Connects to `host` (IPv4 or IPv6) on `port`; with `source`, from that local address (for
    /// tests of per-address rules: 127.0.0.2 is a second loopback address).
    /// `receiveBuffer` fixes the socket's receive buffer (no autotuning), for tests of a peer that
    /// reads slowly.
    public init(port: Int, host: String = "127.0.0.1", source: String? = nil, timeout: Double = 10 * timeoutScale,
                receiveBuffer: Int? = nil) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            guard Self.withAddress(source, port: 0, { bind(fd, $0, $1) }) == 0 else {
                throw ClientError("bind to \(source) failed: errno \(errno)")
            }
        }
        let ok = Self.withAddress(host, port: port) { connect(fd, $0, $1) }
        // No close here: every stored property is set, so deinit runs and closes the descriptor.
        // Closing it here too would close whatever another thread opened with the same number.
        guard ok == 0 else { throw ClientError("connect to port \(port) failed: errno \(errno)") }
        setTimeout(timeout)
    }

    private static func withAddress(_ host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    deinit { Glibc.close(fd) }

    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - floor(seconds)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads until the peer closes or the timeout passes; true if it closed.
    public func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
            buffer += chunk[0..<n]
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n == 0 { throw ClientError("connection closed by server") }
        if n < 0 { throw ClientError(errno == EAGAIN ? "timed out waiting for the server" : "recv failed: errno \(errno)") }
        buffer += chunk[0..<n]
    }

    /// Reads one response. `headRequest` means no body follows even with a Content-Length.
    public func readResponse(headRequest: Bool = false) throws -> WireResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findCRLFCRLF() { headEnd = range } else { try fill() }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var response = try WireResponse.parseHead(head)
        if headRequest || !response.mayHaveBody { return response }
        guard let lengthText = response.header("Content-Length"), let length = Int(lengthText) else {
            throw ClientError("response without Content-Length")
        }
        while buffer.count < length { try fill() }
        response.body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return response
    }

    private func findCRLFCRLF() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Sends one request and reads its response.
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil) throws -> WireResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + (body ?? []))
        return try readResponse(headRequest: method == "HEAD")
    }

    /// One request on a new connection.
    public static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:],
                               body: [UInt8]? = nil) throws -> WireResponse {
        try RawHTTPClient(port: port).request(method, path, headers: headers, body: body)
    }

    public static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:],
                               json: String) throws -> WireResponse {
        var headers = headers
        headers["Content-Type"] = headers["Content-Type"] ?? "application/json"
        return try request(port: port, method, path, headers: headers, body: Array(json.utf8))
    }
}
