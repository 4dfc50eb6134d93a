import Testing
@testable import KeyStore

@Suite struct CryptoTests {
    @Test func sha256_matchesTheFIPSTestVectors() {
        #expect(SHA256.hexDigest(of: Array("abc".utf8))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: [])
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.digest("abc").count == 32)
    }

    @Test func constantTimeEquals_comparesContentAndLength() {
        let digest = SHA256.digest("token")
        var flipped = digest
        flipped[31] ^= 1
        #expect(constantTimeEquals(digest, SHA256.digest("token")))
        #expect(!constantTimeEquals(digest, flipped))
        #expect(!constantTimeEquals(digest, Array(digest.dropLast())))
        #expect(constantTimeEquals([], []))
    }

    @Test func secureRandomBytes_haveTheRequestedCountAndDiffer() throws {
        let first = try SecureRandom.bytes(32)
        let second = try SecureRandom.bytes(32)
        #expect(first.count == 32)
        #expect(first != second)
        #expect(try SecureRandom.bytes(0).isEmpty)
        #expect(try SecureRandom.base62(0).isEmpty)
    }

    @Test func base62Sampling_coversAll62SymbolsUniformly() throws {
        let symbols = Array(try SecureRandom.base62(62 * 4_000).utf8)
        #expect(Set(symbols).count == 62)
        #expect(uniformityProblems(symbols) == [])
    }

    /// The check above must be able to fail: a plain `byte % 62` sampler makes '0'…'7' 25% likelier.
    @Test func moduloBiasedSampler_failsTheUniformityCheck() throws {
        let alphabet = Array(base62Alphabet.map { $0.asciiValue! })
        let biased = try SecureRandom.bytes(62 * 4_000).map { alphabet[Int($0 % 62)] }
        #expect(uniformityProblems(biased).count == 2)
    }

    /// A chi-square test over all 62 symbols (61 degrees of freedom; 130 is exceeded by chance with
    /// p ≈ 1e-6), and the first 6 symbols against the last 6, which modulo bias separates most.
    private func uniformityProblems(_ symbols: [UInt8]) -> [String] {
        var counts = [UInt8: Double]()
        for symbol in symbols { counts[symbol, default: 0] += 1 }
        let alphabet = base62Alphabet.map { $0.asciiValue! }
        let expected = Double(symbols.count) / 62
        let chiSquare = alphabet.reduce(0.0) { sum, symbol in
            let difference = (counts[symbol] ?? 0) - expected
            return sum + difference * difference / expected
        }
        let first = alphabet.prefix(6).reduce(0.0) { $0 + (counts[$1] ?? 0) }
        let last = alphabet.suffix(6).reduce(0.0) { $0 + (counts[$1] ?? 0) }
        var problems: [String] = []
        if chiSquare > 130 { problems.append("chi-square \(chiSquare)") }
        if abs(first / last - 1) > 0.05 { problems.append("first/last ratio \(first / last)") }
        return problems
    }
}
