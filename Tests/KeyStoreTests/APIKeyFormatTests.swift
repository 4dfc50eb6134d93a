import Testing
@testable import KeyStore

@Suite struct APIKeyFormatTests {
    @Test func generatedKey_hasPrefixLengthAndAlphabet() throws {
        for _ in 0..<1_000 {
            let key = try APIKeyFormat.generate()
            #expect(key.hasPrefix("sk-theta-"))
            #expect(key.utf8.count == 47)
            #expect(key.dropFirst(9).allSatisfy(base62Alphabet.contains))
            #expect(APIKeyFormat.isWellFormed(key))
        }
    }

    /// The one-draw generator behind `createKey`: the same three formats, and no shared symbols.
    @Test func generateKey_givesAWellFormedSecretKeyIDAndEventID() throws {
        var secrets = Set<String>(), ids = Set<String>()
        for _ in 0..<10_000 {
            let (secret, id, eventID) = try APIKeyFormat.generateKey()
            #expect(APIKeyFormat.isWellFormed(secret))
            #expect(APIKeyFormat.isWellFormedKeyID(id))
            #expect(eventID.hasPrefix("evt_") && eventID.utf8.count == 24 && eventID.dropFirst(4).allSatisfy(base62Alphabet.contains))
            #expect(!secret.contains(id.dropFirst(4)) && id.dropFirst(4) != eventID.dropFirst(4))
            secrets.insert(secret)
            ids.insert(id)
        }
        #expect(secrets.count == 10_000 && ids.count == 10_000)
    }

    @Test func checksum_isCRC32OfPrefixAndRandomPart_inSixBase62Digits() throws {
        let key = Array(try APIKeyFormat.generate().utf8)
        let encoded = key[41...].reduce(UInt64(0)) { value, symbol in
            value * 62 + UInt64(base62Alphabet.firstIndex(of: Character(UnicodeScalar(symbol)))!)
        }
        #expect(encoded == UInt64(CRC32.checksum(key[..<41])))
    }

    @Test func crc32_matchesTheStandardCheckValue() {
        #expect(CRC32.checksum("123456789".utf8) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func smallChecksum_isLeftPaddedWithZeros() {
        #expect(Base62.encode(0, width: 6) == Array("000000".utf8))
        #expect(Base62.encode(61, width: 6) == Array("00000z".utf8))
        #expect(Base62.encode(UInt32.max, width: 6) == Array("4gfFC3".utf8))
    }

    @Test func hundredThousandGeneratedKeys_haveNoDuplicate() throws {
        var seen = Set<String>()
        for _ in 0..<100_000 { seen.insert(try APIKeyFormat.generate()) }
        #expect(seen.count == 100_000)
    }

    @Test(arguments: [9, 10, 25, 40, 41, 44, 46])
    func everySingleCharacterSubstitution_failsChecksum(position: Int) throws {
        for _ in 0..<5 {
            var key = Array(try APIKeyFormat.generate())
            let original = key[position]
            for symbol in base62Alphabet where symbol != original {
                key[position] = symbol
                #expect(!APIKeyFormat.isWellFormed(String(key)), "\(symbol) at \(position)")
            }
        }
    }

    @Test(arguments: ["sk-thetb-", "SK-THETA-", "pk-theta-", "sk_theta-"])
    func wrongPrefix_failsEvenWithMatchingChecksum(prefix: String) throws {
        let body = prefix + (try SecureRandom.base62(32))
        let key = body + String(decoding: APIKeyFormat.checksum(of: body.utf8), as: UTF8.self)
        #expect(key.utf8.count == 47)
        #expect(!APIKeyFormat.isWellFormed(key))
    }

    @Test func wrongLength_fails() throws {
        let key = try APIKeyFormat.generate()
        #expect(!APIKeyFormat.isWellFormed(String(key.dropLast())))
        #expect(!APIKeyFormat.isWellFormed(key + "0"))
        #expect(!APIKeyFormat.isWellFormed(""))
        #expect(!APIKeyFormat.isWellFormed("sk-theta-"))
        // Same length, checksum recomputed, one random symbol fewer: still the wrong shape.
        let shortBody = "sk-theta-" + (try SecureRandom.base62(31))
        let shifted = shortBody + String(decoding: APIKeyFormat.checksum(of: shortBody.utf8), as: UTF8.self) + "0"
        #expect(!APIKeyFormat.isWellFormed(shifted))
    }

    @Test(arguments: ["-", "_", "+", "/", "=", " ", "\u{0}", "é"])
    func nonBase62Character_fails(character: String) throws {
        var key = try APIKeyFormat.generate()
        key.replaceSubrange(key.index(key.startIndex, offsetBy: 20)...key.index(key.startIndex, offsetBy: 20), with: character)
        #expect(!APIKeyFormat.isWellFormed(key))
    }

    @Test func hint_showsPrefixFirstFourRandomAndLastFour() throws {
        let key = try APIKeyFormat.generate()
        let hint = APIKeyFormat.hint(for: key)
        #expect(hint == "sk-theta-" + key.dropFirst(9).prefix(4) + "\u{2026}" + key.suffix(4))
        #expect(hint.count == 18)
    }

    @Test func adminToken_hasPrefixAndFortyBase62Symbols() throws {
        let token = try APIKeyFormat.generateAdminToken()
        #expect(token.hasPrefix("theta-admin-"))
        #expect(token.count == 52)
        #expect(token.dropFirst(12).allSatisfy(base62Alphabet.contains))
        #expect(APIKeyFormat.isWellFormedAdminToken(token))
        #expect(!APIKeyFormat.isWellFormedAdminToken(String(token.dropLast())))
        #expect(!APIKeyFormat.isWellFormedAdminToken(try APIKeyFormat.generate()))
    }

    @Test func ids_haveTheirPrefixAndTwentyBase62Symbols() throws {
        let keyID = try APIKeyFormat.generateKeyID()
        let eventID = try APIKeyFormat.generateEventID()
        #expect(keyID.hasPrefix("key_") && keyID.count == 24)
        #expect(eventID.hasPrefix("evt_") && eventID.count == 24)
        #expect(APIKeyFormat.isWellFormedKeyID(keyID))
        #expect(!APIKeyFormat.isWellFormedKeyID(eventID))
        #expect(!APIKeyFormat.isWellFormedKeyID("key_../../etc/passwd"))
    }
}
