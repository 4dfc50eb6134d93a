import COpenSSL

/// SHA-256 from OpenSSL's libcrypto: how secrets and tokens are stored (only ever as digests).
public enum SHA256 {
    public static let digestLength = 32

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestLength)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
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
