import COpenSSL

/// Random bytes and strings, from OpenSSL's CSPRNG only (project brief).
public enum SecureRandom {
    /// RAND_bytes did not return 1: the generator is unseeded or failed. Never fall back to anything weaker.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String { "RAND_bytes failed: OpenSSL's random generator is unavailable" }
    }

    /// `count` bytes from RAND_bytes.
    public static func bytes(_ count: Int) throws(Failure) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "byte count out of range")
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let rc = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // RAND_bytes returns 1 on success; 0 and -1 both mean the bytes must not be used.
        guard rc == 1 else { throw Failure() }
        return bytes
    }

    /// `count` symbols drawn uniformly from the base62 alphabet.
    public static func base62(_ count: Int) throws(Failure) -> String {
        var symbols: [UInt8] = []
        symbols.reserveCapacity(count)
        while symbols.count < count {
            // Rejection sampling: 248 = 4 × 62, so bytes 0…247 map evenly onto 62 symbols. Keeping
            // 248…255 would make the first 8 symbols 25% likelier (modulo bias). About 3% are dropped,
            // so ask for a few spare bytes.
            for byte in try bytes(count - symbols.count + 8) where byte < 248 && symbols.count < count {
                symbols.append(Base62.alphabet[Int(byte % 62)])
            }
        }
        return String(decoding: symbols, as: UTF8.self)
    }
}
