import FoundationEssentials

/// Ids for the rows one write transaction inserts (ledger entries, credit lots, audit events),
/// drawn on the caller's thread before the transaction: the writer thread never calls RAND_bytes
/// while it holds the write lock, and a transaction may insert any number of rows (a clock moved by
/// a century starts 1,200 cycles, each with its lot, ledger entry and audit event).
///
/// Each id is its prefix and 20 base62 symbols: the drawing time in milliseconds (8 symbols), then
/// a 12-symbol number drawn at random once (71 bits) and counted up by one for each id. Ids that
/// start with the time are appended at the end of their UNIQUE index: a flush of 10,000 charges
/// with fully random ids rewrote pages all over the `ledger.id` index (110 ms at 40,000 rows, 320 ms
/// at 400,000; benchmarks.md). Two transactions in the same millisecond collide only if their
/// random numbers fall within one transaction's row count of each other.
struct IDMint: Sendable {
    private var symbols: [UInt8]

    init(at time: Date) throws(SecureRandom.Failure) {
        var prefix = [UInt8](repeating: Base62.alphabet[0], count: 8)
        var milliseconds = UInt64(max(0, (time.timeIntervalSince1970 * 1000).rounded(.down)))
        for index in prefix.indices.reversed() {
            prefix[index] = Base62.alphabet[Int(milliseconds % 62)]
            milliseconds /= 62
        }
        symbols = prefix + Array(try SecureRandom.base62(12).utf8)
    }

    /// The next id: `prefix` (`led_`, `lot_`, `evt_`) and 20 symbols.
    mutating func next(_ prefix: String) -> String {
        defer { countUp() }
        return prefix + String(decoding: symbols, as: UTF8.self)
    }

    /// Adds one to the 12 counted symbols, in base62 (the alphabet is in ASCII order), wrapping.
    private mutating func countUp() {
        for index in (8..<symbols.count).reversed() {
            switch symbols[index] {
            case UInt8(ascii: "9"): symbols[index] = UInt8(ascii: "A"); return
            case UInt8(ascii: "Z"): symbols[index] = UInt8(ascii: "a"); return
            case UInt8(ascii: "z"): symbols[index] = UInt8(ascii: "0")  // and carry
            default: symbols[index] += 1; return
            }
        }
    }
}
