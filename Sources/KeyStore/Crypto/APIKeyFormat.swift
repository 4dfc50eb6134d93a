/// The formats of API keys, the admin token and public ids. Pure functions: no database.
///
/// A key is `sk-theta-` + 32 random base62 symbols (≈190 bits) + 6 base62 symbols of CRC-32 over
/// everything before them, modelled on GitHub's token format: the prefix makes leaked keys easy to
/// find, and the checksum rejects typos and fabricated keys without a database lookup.
public enum APIKeyFormat {
    public static let prefix = "sk-theta-"
    public static let randomLength = 32
    public static let checksumLength = 6  // 62^6 > 2^32, so any CRC-32 fits
    public static let length = prefix.utf8.count + randomLength + checksumLength  // 47

    public static let adminTokenPrefix = "theta-admin-"
    public static let adminTokenRandomLength = 40

    public static let keyIDPrefix = "key_"
    public static let eventIDPrefix = "evt_"
    public static let idRandomLength = 20

    /// A new API key secret.
    public static func generate() throws(SecureRandom.Failure) -> String {
        secret(random: try SecureRandom.base62(randomLength))
    }

    /// The prefix, `random` (base62 symbols) and the checksum of the two.
    private static func secret(random: some StringProtocol) -> String {
        let body = prefix + random
        return body + String(decoding: checksum(of: body.utf8), as: UTF8.self)
    }

    /// Everything a new key needs: its secret, its public id and the id of its `key.created` event,
    /// from one RAND_bytes draw (each call costs ~7,000 instructions of locking and DRBG work; a
    /// create made three). The three are disjoint runs of independent uniform symbols, so each is
    /// exactly as random as when drawn on its own.
    public static func generateKey() throws(SecureRandom.Failure) -> (secret: String, id: String, eventID: String) {
        let symbols = try SecureRandom.base62(randomLength + 2 * idRandomLength)
        let idStart = symbols.index(symbols.startIndex, offsetBy: randomLength)
        let eventStart = symbols.index(idStart, offsetBy: idRandomLength)
        return (secret(random: symbols[..<idStart]), keyIDPrefix + symbols[idStart..<eventStart],
                eventIDPrefix + symbols[eventStart...])
    }

    /// Prefix, exact length, alphabet and checksum all hold.
    public static func isWellFormed(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        let bodyLength = length - checksumLength
        guard bytes.count == length, bytes.starts(with: prefix.utf8),
              bytes[prefix.utf8.count...].allSatisfy(Base62.isSymbol)
        else { return false }
        return checksum(of: bytes[..<bodyLength]).elementsEqual(bytes[bodyLength...])
    }

    /// What may be shown of a key after creation: `sk-theta-` + its first 4 random symbols + "…" + its last 4.
    public static func hint(for key: String) -> String {
        precondition(isWellFormed(key), "hint(for:) needs a well-formed key")
        return hint(ofWellFormed: Array(key.utf8))
    }

    /// `hint(for:)` from the key's 47 bytes, already checked.
    static func hint<Bytes: RandomAccessCollection<UInt8>>(ofWellFormed bytes: Bytes) -> String where Bytes.Index == Int {
        let start = bytes.startIndex + prefix.utf8.count
        let first = String(decoding: bytes[start..<start + 4], as: UTF8.self)
        let last = String(decoding: bytes[(bytes.startIndex + length - 4)...], as: UTF8.self)
        return prefix + first + "\u{2026}" + last
    }

    /// A new admin token: `theta-admin-` + 40 base62 symbols (≈238 bits). No checksum: it's pasted, not typed.
    public static func generateAdminToken() throws(SecureRandom.Failure) -> String {
        adminTokenPrefix + (try SecureRandom.base62(adminTokenRandomLength))
    }

    public static func isWellFormedAdminToken(_ token: String) -> Bool {
        hasPrefix(adminTokenPrefix, thenBase62: adminTokenRandomLength, token)
    }

    /// A new public key id, `key_` + 20 base62 symbols; random, so it says nothing about the secret.
    public static func generateKeyID() throws(SecureRandom.Failure) -> String {
        keyIDPrefix + (try SecureRandom.base62(idRandomLength))
    }

    public static func isWellFormedKeyID(_ id: String) -> Bool {
        hasPrefix(keyIDPrefix, thenBase62: idRandomLength, id)
    }

    /// A new audit event id, `evt_` + 20 base62 symbols.
    public static func generateEventID() throws(SecureRandom.Failure) -> String {
        eventIDPrefix + (try SecureRandom.base62(idRandomLength))
    }

    /// CRC-32 of `body` as 6 base62 symbols.
    static func checksum(of body: some Sequence<UInt8>) -> [UInt8] {
        Base62.encode(CRC32.checksum(body), width: checksumLength)
    }

    private static func hasPrefix(_ prefix: String, thenBase62 count: Int, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == prefix.utf8.count + count && bytes.starts(with: prefix.utf8)
            && bytes[prefix.utf8.count...].allSatisfy(Base62.isSymbol)
    }
}
