/// `a=1&b=two` parsed into ordered, percent-decoded pairs (`+` is a space, as forms send it).
public struct QueryParameters: Sendable {
    public let pairs: [(name: String, value: String)]

    public init(_ query: String) {
        pairs = query.split(separator: "&").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s.map { $0 == "+" ? " " : $0 }).removingPercentEncoding() }
            guard let name = decode(parts[0]), !name.isEmpty else { return nil }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            return value.map { (name: name, value: $0) }
        }
    }

    public subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public var names: [String] { pairs.map(\.name) }
}

extension String {
    /// RFC 3986 percent-decoding of UTF-8; nil for a malformed escape or invalid UTF-8.
    func removingPercentEncoding() -> String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexNibble), let low = iterator.next().flatMap(hexNibble) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

private func hexNibble(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}
