import COpenSSL

/// SHA-256 from OpenSSL's libcrypto: how secrets and tokens are stored (only ever as digests).
public enum SHA256 {
    public static let digestLength = 32

    /// SHA-256 fetched from the default provider once. The one-shot `SHA256()` is `EVP_Q_digest` in
    /// OpenSSL 3, which fetches the algorithm again on every call (5,700 instructions of every API
    /// request). A fetched `EVP_MD` is immutable and shared safely between threads; swift_once
    /// initialises it. Nil only if the provider has no SHA-256, and then `SHA256()` is used.
    nonisolated(unsafe) fileprivate static let fetched: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestLength)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                if let fetched, EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, fetched, nil) == 1 {
                    return
                }
                // The one-shot SHA256() only fails for a NULL output buffer, which this never passes.
                _ = COpenSSL.SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return digest
    }

    /// The digest of the UTF-8 bytes of `string`.
    public static func digest(_ string: String) -> [UInt8] {
        digest(Array(string.utf8))
    }

    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hexDigest(of bytes: [UInt8]) -> String {
        hex(digest(bytes))
    }

    /// SHA-256 over bytes that arrive in pieces (an upload). One owner at a time.
    public final class Streaming {
        private let context: OpaquePointer?

        public init() {
            context = EVP_MD_CTX_new()
            _ = EVP_DigestInit_ex(context, SHA256.fetched ?? EVP_sha256(), nil)
        }

        deinit { EVP_MD_CTX_free(context) }

        public func update(_ bytes: ArraySlice<UInt8>) {
            bytes.withUnsafeBufferPointer { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }

        /// The digest of everything given so far, as 64 lowercase hex digits. Call once.
        public func finishHex() -> String {
            var digest = [UInt8](repeating: 0, count: SHA256.digestLength)
            var length: UInt32 = 0
            _ = EVP_DigestFinal_ex(context, &digest, &length)
            return SHA256.hex(digest)
        }
    }

    /// Lowercase hex of any bytes.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
