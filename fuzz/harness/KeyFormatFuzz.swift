// fuzz target key-format: the input is a candidate key, token or id (as the bytes of a header value).
//
// Checks:
// - `isWellFormed`, `isWellFormedAdminToken` and `isWellFormedKeyID` never trap, and agree with a
//   reference written here from docs/key-format.md (a bitwise CRC-32, not the table one);
// - `hint(for:)` of every well-formed key is `sk-theta-` + 4 + "…" + 4 and never traps;
// - a key built from the input's symbols with `checksum(of:)` is well-formed, and changing one
//   symbol, or swapping two different neighbours in the random part, makes it ill-formed;
// - `Base62.encode` of any UInt32 decodes back to it.

let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

func referenceCRC32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
    }
    return ~crc
}

func referenceDecode62(_ symbols: some Sequence<UInt8>) -> UInt64? {
    var value: UInt64 = 0
    for symbol in symbols {
        guard let digit = alphabet.firstIndex(of: symbol) else { return nil }
        value = value * 62 + UInt64(digit)
    }
    return value
}

func referenceHasPrefix(_ bytes: [UInt8], _ prefix: String, thenBase62 count: Int) -> Bool {
    let prefix = Array(prefix.utf8)
    return bytes.count == prefix.count + count && Array(bytes.prefix(prefix.count)) == prefix
        && bytes.dropFirst(prefix.count).allSatisfy(alphabet.contains)
}

func referenceIsWellFormedKey(_ bytes: [UInt8]) -> Bool {
    guard referenceHasPrefix(bytes, "sk-theta-", thenBase62: 38) else { return false }
    return referenceDecode62(bytes[41...]) == UInt64(referenceCRC32(bytes[..<41]))
}

func checkKey(_ key: String) {
    let bytes = Array(key.utf8)
    let wellFormed = APIKeyFormat.isWellFormed(key)
    require(wellFormed == referenceIsWellFormedKey(bytes), "isWellFormed(\(key.debugDescription)) is \(wellFormed)")
    if wellFormed {
        let hint = APIKeyFormat.hint(for: key)
        let expected = "sk-theta-" + String(decoding: bytes[9..<13], as: UTF8.self) + "\u{2026}"
            + String(decoding: bytes[43...], as: UTF8.self)
        require(hint == expected, "hint \(hint.debugDescription) for \(key.debugDescription)")
    }
    require(APIKeyFormat.isWellFormedAdminToken(key) == referenceHasPrefix(bytes, "theta-admin-", thenBase62: 40),
            "isWellFormedAdminToken(\(key.debugDescription))")
    require(APIKeyFormat.isWellFormedKeyID(key) == referenceHasPrefix(bytes, "key_", thenBase62: 20),
            "isWellFormedKeyID(\(key.debugDescription))")
}

func fuzzKeyFormat(_ input: [UInt8]) {
    // As sent, and as the bytes decode (a header value is decoded with replacement characters).
    checkKey(String(decoding: input, as: UTF8.self))

    // A key whose random part is the input's bytes mapped onto the alphabet.
    guard !input.isEmpty else { return }
    let random = (0..<32).map { alphabet[Int(input[$0 % input.count]) % 62] }
    let body = Array("sk-theta-".utf8) + random
    var key = body + APIKeyFormat.checksum(of: body)
    require(key.count == 47 && APIKeyFormat.isWellFormed(String(decoding: key, as: UTF8.self)),
            "a key built with checksum(of:) is not well-formed: \(swiftLiteral(key))")
    checkKey(String(decoding: key, as: UTF8.self))

    let position = 9 + Int(input[0]) % 38
    let replacement = alphabet[Int(input[input.count - 1]) % 62]
    let original = key
    if key[position] != replacement {
        key[position] = replacement
        require(!APIKeyFormat.isWellFormed(String(decoding: key, as: UTF8.self)),
                "one substituted symbol passes the checksum: \(swiftLiteral(key))")
    }
    key = original
    let swap = 9 + Int(input[0]) % 31
    if key[swap] != key[swap + 1] {
        key.swapAt(swap, swap + 1)
        require(!APIKeyFormat.isWellFormed(String(decoding: key, as: UTF8.self)),
                "two swapped symbols pass the checksum: \(swiftLiteral(key))")
    }

    if input.count >= 4 {
        let value = input.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let encoded = Base62.encode(value, width: APIKeyFormat.checksumLength)
        require(encoded.count == 6 && referenceDecode62(encoded) == UInt64(value), "Base62.encode(\(value))")
        require(CRC32.checksum(input) == referenceCRC32(input), "CRC32 of \(swiftLiteral(input))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzKeyFormat(inputBytes(data, size))
    return 0
}
