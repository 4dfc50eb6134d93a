import COpenSSL

/// Compares two byte arrays in time that depends only on their length, not on where they differ.
///
/// For admin token digests: an early-exit `==` would leak through timing how many leading bytes matched.
/// Lengths are not secret (digests have a fixed length), so a length mismatch returns at once.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard !lhs.isEmpty else { return true }
    return lhs.withUnsafeBytes { left in
        rhs.withUnsafeBytes { right in
            CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
        }
    }
}
