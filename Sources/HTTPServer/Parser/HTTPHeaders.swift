/// Header fields in the order they arrived. Duplicates are kept: dropping a second
/// `Content-Length` or `Host` silently is how request smuggling starts.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }

    public mutating func add(_ name: String, _ value: String) {
        // Room for a typical head at once: growing 1, 2, 4, 8 was four allocations per request.
        if fields.capacity == 0 { fields.reserveCapacity(8) }
        fields.append((name: name, value: value))
    }

    /// Replaces every field with this name by one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    /// The first value of a field, compared case-insensitively.
    public subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of a field, in order.
    public func values(_ name: String) -> [String] {
        // One pass and no intermediate array: usually zero or one match.
        var result: [String] = []
        for field in fields where field.name.caseInsensitiveEquals(name) { result.append(field.value) }
        return result
    }

    /// The first value of a field and how many times it occurs, without building an array: what
    /// most checks need ("exactly one Host", "at most one x-api-key").
    public func firstValue(_ name: String) -> (value: String?, count: Int) {
        var first: String?
        var count = 0
        for field in fields where field.name.caseInsensitiveEquals(name) {
            if count == 0 { first = field.value }
            count += 1
        }
        return (first, count)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension String {
    /// ASCII case-insensitive equality, as field names and tokens need (RFC 9110 §5.1).
    func caseInsensitiveEquals(_ other: String) -> Bool {
        // Lowering ASCII maps byte to byte, so different lengths never match; checking that first
        // makes most comparisons of a header lookup O(1).
        guard utf8.count == other.utf8.count else { return false }
        // Over the bytes in place (native and small strings), not through UTF8View's iterator, which
        // cost ~80 instructions a byte: header lookups were 5% of an accepted upload.
        let compared = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                for i in 0..<a.count where asciiLower(a[i]) != asciiLower(b[i]) { return false }
                return true
            }
        }
        if let compared = compared ?? nil { return compared }
        return zip(utf8, other.utf8).allSatisfy { asciiLower($0) == asciiLower($1) }
    }
}

extension StringProtocol {
    /// Whether every UTF-8 byte satisfies `predicate`, read in place when the string is contiguous
    /// (UTF8View's iterator costs tens of instructions a byte).
    @inline(__always)
    func allUTF8(_ predicate: (UInt8) -> Bool) -> Bool {
        if let result = utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(predicate) }) { return result }
        return utf8.allSatisfy(predicate)
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}
