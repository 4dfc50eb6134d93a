import CTLS
import Glibc

/// A TLS server context on the system OpenSSL (libssl): TLS 1.2 and up, one certificate chain
/// and key. Made once at start-up and shared, read-only, by every loop (an `SSL_CTX` is safe to
/// use from many threads once set up).
public final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Reads the PEM certificate chain and private key, and checks that they match.
    public init(certificateFile: String, keyFile: String) throws(TLSError) {
        var message = [CChar](repeating: 0, count: 512)
        guard let made = theta_tls_server_context(certificateFile, keyFile, &message, message.count) else {
            throw TLSError(message)
        }
        context = made
    }

    deinit { SSL_CTX_free(context) }

    /// The files of a local certificate authority and a server certificate for `localhost`,
    /// `127.0.0.1` and `::1` in `folder`: made the first time (keys mode 0600), reused after.
    public struct LocalFiles: Sendable {
        public let authority: String
        public let certificate: String
        public let key: String
        /// False when the folder's files were reused.
        public let created: Bool
    }

    public static func localFiles(in folder: String) throws(TLSError) -> LocalFiles {
        var message = [CChar](repeating: 0, count: 512)
        let result = theta_tls_self_signed(folder, &message, message.count)
        guard result > 0 else { throw TLSError(message) }
        // Absolute, so the printed path works from any folder.
        let base = realpath(folder, nil).map { resolved in
            defer { Glibc.free(resolved) }
            return String(cString: resolved)
        } ?? (folder.hasSuffix("/") ? String(folder.dropLast()) : folder)
        return LocalFiles(authority: base + "/ca.pem", certificate: base + "/server.pem", key: base + "/server-key.pem",
                          created: result == 2)
    }
}

public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    /// The message a shim function wrote into `buffer`, up to its NUL.
    init(_ buffer: [CChar]) {
        description = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One connection's TLS session, used only on its loop's thread.
struct TLSSession {
    /// What a step of the session came to.
    enum Outcome {
        case bytes(Int)
        case endOfStream
        case wantRead
        case wantWrite
        case failed
    }

    private let ssl: OpaquePointer

    init?(_ context: TLSServerContext, fd: Int32) {
        guard let made = theta_tls_session(context.context, fd) else { return nil }
        ssl = made
    }

    /// Advances the handshake: `.bytes(0)` when it is done.
    func handshake() -> Outcome {
        let step = theta_tls_handshake(ssl)
        return step == 1 ? .bytes(0) : Self.outcome(Int(step))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        Self.outcome(theta_tls_read(ssl, buffer.baseAddress, buffer.count))
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> Outcome {
        Self.outcome(theta_tls_write(ssl, buffer.baseAddress, buffer.count))
    }

    func closeNotify() { theta_tls_close_notify(ssl) }

    func free() { SSL_free(ssl) }

    private static func outcome(_ value: Int) -> Outcome {
        switch value {
        case Int(THETA_TLS_WANT_READ): return .wantRead
        case Int(THETA_TLS_WANT_WRITE): return .wantWrite
        case 0: return .endOfStream
        default: return value > 0 ? .bytes(value) : .failed
        }
    }
}
