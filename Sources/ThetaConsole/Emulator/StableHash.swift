/// A hash that is the same in every process and on every platform, unlike Swift's `Hasher`, which
/// is seeded randomly per process. Emulated scores come from it, so they repeat exactly.
enum StableHash {
    /// A value in `0..<count`, from the hash of the parts.
    static func pick(_ count: Int, _ parts: String...) -> Int {
        precondition(count > 0)
        return Int(of(parts) % UInt64(count))
    }

    /// FNV-1a over the UTF-8 of the parts joined by U+001F, then the SplitMix64 finalizer, so the
    /// low bits that `%` keeps are well mixed.
    static func of(_ parts: [String]) -> UInt64 {
        var hash = fnv1a(Array(parts.joined(separator: "\u{1F}").utf8))
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }

    /// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
