#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`), for a key's
/// allowlist. Parsed strictly: the prefix length is required, and the host part must be zero.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 bytes, host bits zero.
    public let network: [UInt8]
    public let prefixLength: Int

    public var isIPv4: Bool { network.count == 4 }

    /// Why an entry was refused, worded to follow "allowed_cidrs[i]: ".
    public struct ParseError: Error, Sendable, Equatable {
        public let reason: String
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ParseError(reason: "\(text) is not a CIDR (address/prefix length)") }
        guard let address = Self.address(String(parts[0])) else {
            throw ParseError(reason: "\(parts[0]) is not an IPv4 or IPv6 address")
        }
        let bits = address.count * 8
        guard !parts[1].isEmpty, parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              parts[1] == "0" || parts[1].first != "0", let length = Int(parts[1]), length <= bits else {
            throw ParseError(reason: "\(text): the prefix length must be from 0 to \(bits)")
        }
        guard Self.masked(address, length) == address else {
            throw ParseError(reason: "\(text) has host bits set; did you mean \(CIDR(network: Self.masked(address, length), prefixLength: length))?")
        }
        network = address
        prefixLength = length
    }

    private init(network: [UInt8], prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// The canonical form: dotted quad, or RFC 5952 IPv6 (inet_ntop), then `/length`.
    public var description: String {
        network.isEmpty ? "invalid" : "\(Self.text(network))/\(prefixLength)"
    }

    /// Whether `address` (4 or 16 bytes; an IPv4-mapped IPv6 address counts as IPv4) is in range.
    public func contains(_ address: [UInt8]) -> Bool {
        let candidate = Self.unmapped(address)
        guard !network.isEmpty, candidate.count == network.count else { return false }
        return Self.masked(candidate, prefixLength) == network
    }

    /// A peer address as the server reports it (`127.0.0.1`, `::1`, `::ffff:127.0.0.2`), as bytes.
    public static func address(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var bytes = [UInt8](repeating: 0, count: 16)
            // Zone ids (`fe80::1%eth0`) are not addresses a CIDR can name.
            guard !text.contains("%"), inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
            return bytes
        }
        // Dotted decimal only, four parts, no leading zeros (inet_aton's "10.1" or "010.0.0.1"
        // forms are refused: they read differently in different tools).
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  part == "0" || part.first != "0", let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// `::ffff:a.b.c.d` as the four IPv4 bytes; anything else unchanged.
    static func unmapped(_ address: [UInt8]) -> [UInt8] {
        guard address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF else {
            return address
        }
        return Array(address[12..<16])
    }

    private static func masked(_ address: [UInt8], _ length: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let keep = min(8, max(0, length - index * 8))
            return keep == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
    }

    private static func text(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = address.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension CIDR {
    /// The most entries one key may have.
    public static let maxPerKey = 32

    /// Entries as stored in `api_keys.allowed_cidrs`: canonical forms joined by commas; nil for none.
    static func stored(_ list: [CIDR]) -> String? {
        list.isEmpty ? nil : list.map(\.description).joined(separator: ",")
    }

    /// The stored form back. An entry that does not parse (never written by us) becomes one that
    /// matches no address: an allowlist must fail closed, never widen to "every address".
    static func list(stored: String?) -> [CIDR] {
        guard let stored, !stored.isEmpty else { return [] }
        return stored.split(separator: ",").map { (try? CIDR(parsing: String($0))) ?? .matchesNothing }
    }

    private static let matchesNothing = CIDR(network: [], prefixLength: 0)
}
