/// Finds API keys in text: bytes in, findings out, no I/O. Shared by `theta-console scan` and
/// `POST /v1/leaks`.
///
/// A token is `sk-theta-` followed by 38 base62 symbols whose last 6 are the CRC-32 of the first
/// 41 bytes (docs/key-format.md). The checksum is the test; the neighbours are not: a key glued to
/// other letters or digits on either side is still found, since whoever reads the text can cut it
/// out (docs/decisions.md, Leak scanner). The same shape with a failing checksum is a look-alike:
/// counted, never reported.
///
/// Feed the input in any chunking with `scan(_:_:)`; a key split across chunks is found once. Only
/// the last 46 bytes are kept between calls (a key is 47). A finding carries the key's hint and
/// SHA-256, never the key.
public struct LeakScanner: Sendable {
    /// One key found.
    public struct Finding: Sendable, Equatable {
        /// 1-based; lines end at LF.
        public let line: Int
        /// 1-based, in Unicode code points from the start of the line (UTF-8 lead bytes: an invalid
        /// sequence counts each of its non-continuation bytes).
        public let column: Int
        /// The byte offset of the key's first byte from the start of the input.
        public let offset: Int
        /// `sk-theta-abcd…wxyz`, the form that may be shown (`APIKeyFormat.hint`).
        public let hint: String
        /// SHA-256 of the key: how the database knows it.
        public let secretSHA256: [UInt8]
    }

    /// Tokens of the key's shape whose checksum fails, so far.
    public private(set) var lookalikes = 0
    /// Bytes fed so far.
    public private(set) var bytesScanned = 0

    /// The last `carry` bytes fed (fewer at the start): candidates starting there lack bytes yet.
    private var tail: [UInt8] = []
    /// Lines and columns are counted up to this offset (always where `tail` starts).
    private var counted = 0
    private var line = 1
    /// Code points between the start of the line and `counted`.
    private var codePoints = 0

    static let prefix = Array(APIKeyFormat.prefix.utf8)
    /// "sk-theta" as one little-endian word, for an 8-byte compare.
    static let prefixWord: UInt64 = prefix[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    static let length = APIKeyFormat.length
    static let carry = APIKeyFormat.length - 1

    public init() {}

    /// Everything in `bytes`, as one input.
    public static func scan(_ bytes: [UInt8]) -> (findings: [Finding], lookalikes: Int) {
        var scanner = LeakScanner()
        var findings: [Finding] = []
        bytes.withUnsafeBytes { scanner.scan($0) { findings.append($0) } }
        return (findings, scanner.lookalikes)
    }

    /// Scans the next chunk of the input; `found` gets each key whose last byte is now known, in order.
    public mutating func scan(_ chunk: UnsafeRawBufferPointer, _ found: (Finding) -> Void) {
        let chunkStart = bytesScanned
        let carried = tail
        let tailStart = chunkStart - carried.count
        // Candidates that start in the carried bytes, completed by the chunk's first bytes.
        if !carried.isEmpty && carried.count + chunk.count >= Self.length {
            var joined = carried
            joined.append(contentsOf: chunk.prefix(Self.carry))
            joined.withUnsafeBytes { window in
                carried.withUnsafeBytes { tailBytes in
                    Self.search(window, starts: 0..<min(carried.count, window.count - Self.carry), base: tailStart) { start in
                        decide(window.baseAddress! + (start - tailStart), at: start, tailBytes, tailStart, chunk, chunkStart, found)
                    }
                }
            }
        }
        carried.withUnsafeBytes { tailBytes in
            if chunk.count >= Self.length {
                Self.search(chunk, starts: 0..<(chunk.count - Self.carry), base: chunkStart) { start in
                    decide(chunk.baseAddress! + (start - chunkStart), at: start, tailBytes, tailStart, chunk, chunkStart, found)
                }
            }
            bytesScanned += chunk.count
            let keep = min(Self.carry, bytesScanned)
            advance(to: bytesScanned - keep, tailBytes, tailStart, chunk, chunkStart)
            var next = [UInt8]()
            next.reserveCapacity(Self.carry)
            let fromChunk = min(keep, chunk.count)
            next.append(contentsOf: tailBytes.suffix(keep - fromChunk))
            next.append(contentsOf: chunk.suffix(fromChunk))
            tail = next
        }
    }

    // MARK: - Private

    /// Calls `candidate` with each absolute offset in `base + starts` where the prefix begins.
    /// Sixteen starts at a time: a start is a candidate when its byte is `s` and the byte 8 on is
    /// `-` (the prefix's first and last), two vector compares; only then are the 8 bytes compared.
    private static func search(_ buffer: UnsafeRawBufferPointer, starts: Range<Int>, base: Int, _ candidate: (Int) -> Void) {
        guard !starts.isEmpty, let bytes = buffer.baseAddress else { return }
        let last = prefix.count - 1
        let firstByte = SIMD16<UInt8>(repeating: prefix[0])
        let lastByte = SIMD16<UInt8>(repeating: prefix[last])
        var start = starts.lowerBound
        // The 16 windows' last bytes end 46 - 8 - 15 bytes before the buffer's end at the latest.
        while start + 16 <= starts.upperBound {
            let first = bytes.loadUnaligned(fromByteOffset: start, as: SIMD16<UInt8>.self) .== firstByte
            let ends = bytes.loadUnaligned(fromByteOffset: start + last, as: SIMD16<UInt8>.self) .== lastByte
            let both = first .& ends
            if any(both) {
                for lane in 0..<16 where both[lane] {
                    if UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + lane, as: UInt64.self)) == prefixWord {
                        candidate(base + start + lane)
                    }
                }
            }
            start += 16
        }
        while start < starts.upperBound {
            if bytes.load(fromByteOffset: start + last, as: UInt8.self) == prefix[last],
               UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)) == prefixWord {
                candidate(base + start)
            }
            start += 1
        }
    }

    /// Checks the candidate whose 47 bytes start at `key` (absolute offset `offset`).
    private mutating func decide(
        _ key: UnsafeRawPointer, at offset: Int, _ tailBytes: UnsafeRawBufferPointer, _ tailStart: Int,
        _ chunk: UnsafeRawBufferPointer, _ chunkStart: Int, _ found: (Finding) -> Void
    ) {
        let bytes = UnsafeRawBufferPointer(start: key, count: Self.length)
        for index in Self.prefix.count..<Self.length where !Base62.isSymbol(bytes[index]) { return }
        let body = Self.length - APIKeyFormat.checksumLength
        guard APIKeyFormat.checksum(of: bytes[..<body]).elementsEqual(bytes[body...]) else {
            lookalikes += 1
            return
        }
        advance(to: offset, tailBytes, tailStart, chunk, chunkStart)
        found(Finding(line: line, column: codePoints + 1, offset: offset, hint: APIKeyFormat.hint(ofWellFormed: bytes),
                      secretSHA256: SHA256.digest(Array(bytes))))
    }

    /// Counts lines and code points from `counted` to `target`, through the carried bytes and then the chunk.
    private mutating func advance(
        to target: Int, _ tailBytes: UnsafeRawBufferPointer, _ tailStart: Int,
        _ chunk: UnsafeRawBufferPointer, _ chunkStart: Int
    ) {
        guard target > counted else { return }
        if counted < chunkStart {
            let end = min(target, chunkStart)
            count(UnsafeRawBufferPointer(rebasing: tailBytes[(counted - tailStart)..<(end - tailStart)]))
            counted = end
        }
        if target > counted {
            count(UnsafeRawBufferPointer(rebasing: chunk[(counted - chunkStart)..<(target - chunkStart)]))
            counted = target
        }
    }

    /// Moves `line` and `codePoints` past `bytes`.
    private mutating func count(_ bytes: UnsafeRawBufferPointer) {
        let newlines = TextCounts.newlines(bytes)
        guard newlines > 0 else {
            codePoints += TextCounts.codePoints(bytes)
            return
        }
        line += newlines
        var lastNewline = bytes.count - 1
        while bytes[lastNewline] != UInt8(ascii: "\n") { lastNewline -= 1 }
        codePoints = TextCounts.codePoints(UnsafeRawBufferPointer(rebasing: bytes[(lastNewline + 1)...]))
    }
}

/// Counting LFs and UTF-8 lead bytes eight bytes at a time.
enum TextCounts {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    private static let high: UInt64 = 0x8080_8080_8080_8080

    /// The number of `\n` bytes.
    static func newlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var total = 0
        var index = 0
        // Sixteen bytes at a time into byte-wide counters, emptied before they can wrap (255 rounds).
        let newline = SIMD16<UInt8>(repeating: 0x0A)
        let one = SIMD16<UInt8>(repeating: 1)
        let zero = SIMD16<UInt8>()
        while index + 16 <= bytes.count {
            var counters = SIMD16<UInt8>()
            let end = index + min(255, (bytes.count - index) / 16) * 16
            while index < end {
                let block = base.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
                counters &+= zero.replacing(with: one, where: block .== newline)
                index += 16
            }
            total += Int(SIMD16<UInt16>(truncatingIfNeeded: counters).wrappedSum())
        }
        while index + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ (ones &* 0x0A)
            // A byte's high bit ends up set exactly when the byte is zero (no carries between bytes).
            total += (~(((word & low7) &+ low7) | word | low7)).nonzeroBitCount
            index += 8
        }
        while index < bytes.count {
            if base.load(fromByteOffset: index, as: UInt8.self) == 0x0A { total += 1 }
            index += 1
        }
        return total
    }

    /// The number of bytes that are not UTF-8 continuation bytes (10xxxxxx).
    static func codePoints(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var continuations = 0
        var index = 0
        while index + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            continuations += (word & ~(word << 1) & high).nonzeroBitCount
            index += 8
        }
        while index < bytes.count {
            if base.load(fromByteOffset: index, as: UInt8.self) & 0xC0 == 0x80 { continuations += 1 }
            index += 1
        }
        return bytes.count - continuations
    }
}
