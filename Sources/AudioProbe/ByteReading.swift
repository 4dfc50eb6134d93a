// Little-endian reads at an offset from a slice's start. Callers check the length first; these
// never index outside `count`, so a short slice is a logic error caught in tests, not a trap
// reachable from input (each caller guards with `count >=`).

extension ArraySlice where Element == UInt8 {
    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        self[startIndex + offset]
    }

    @inline(__always)
    func uint16LE(at offset: Int) -> Int {
        Int(byte(at: offset)) | Int(byte(at: offset + 1)) << 8
    }

    @inline(__always)
    func uint32LE(at offset: Int) -> Int {
        uint16LE(at: offset) | uint16LE(at: offset + 2) << 16
    }

    @inline(__always)
    func uint64LE(at offset: Int) -> UInt64 {
        UInt64(uint32LE(at: offset)) | UInt64(uint32LE(at: offset + 4)) << 32
    }

    /// Whether the bytes at `offset` spell `ascii`.
    func matches(_ ascii: StaticString, at offset: Int) -> Bool {
        let n = ascii.utf8CodeUnitCount
        guard offset >= 0, count - offset >= n else { return false }
        return ascii.withUTF8Buffer { expected in
            var i = 0
            while i < n {
                if byte(at: offset + i) != expected[i] { return false }
                i += 1
            }
            return true
        }
    }
}
