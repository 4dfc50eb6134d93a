import Testing
import TestSupport
@testable import KeyStore

/// The scanning core: keys found by their checksum, look-alikes counted, positions exact, in any chunking.
@Suite struct LeakScannerTests {
    /// A look-alike: the key with one checksum symbol changed, so its CRC no longer matches.
    func lookalike(of key: String) -> String {
        var bytes = Array(key.utf8)
        bytes[46] = bytes[46] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        return String(decoding: bytes, as: UTF8.self)
    }

    func scan(_ text: String) -> (findings: [LeakScanner.Finding], lookalikes: Int) {
        LeakScanner.scan(Array(text.utf8))
    }

    @Test func keyInText_isFound_withLineColumnHintAndDigest() throws {
        let key = try APIKeyFormat.generate()
        let result = scan("first line\nexport THETA_KEY=\(key)\nlast line\n")
        #expect(result.lookalikes == 0)
        let finding = try #require(result.findings.first)
        #expect(result.findings.count == 1)
        #expect(finding.line == 2 && finding.column == 18 && finding.offset == 28)
        #expect(finding.hint == APIKeyFormat.hint(for: key))
        #expect(finding.secretSHA256 == SHA256.digest(key))
        #expect(!String(describing: finding).contains(key))
    }

    @Test func lookalike_isCounted_notReported() throws {
        let key = try APIKeyFormat.generate()
        let result = scan("a: \(lookalike(of: key))\nb: \(key)\n")
        #expect(result.lookalikes == 1)
        #expect(result.findings.map(\.line) == [2])
    }

    /// Only the full shape is a look-alike: placeholders, hints and truncated pastes are not counted.
    @Test func shorterOrBrokenShapes_areNeitherFindingsNorLookalikes() throws {
        let key = try APIKeyFormat.generate()
        let texts = [
            "sk-theta-", "sk-theta-xxxx", APIKeyFormat.hint(for: key), String(key.dropLast()),
            String(key.prefix(30)) + "-" + String(key.suffix(16)), "sk-theta_" + key.dropFirst(9),
            "SK-THETA-" + key.dropFirst(9), "sk-thet-" + key.dropFirst(8),
        ]
        for text in texts {
            let result = scan(text + "\n")
            #expect(result.findings.isEmpty && result.lookalikes == 0, "\(text)")
        }
    }

    @Test func keysAtStartAndEndOfInput_withNoNewline() throws {
        let (first, last) = (try APIKeyFormat.generate(), try APIKeyFormat.generate())
        let result = scan(first + " middle " + last)
        #expect(result.findings.map(\.column) == [1, 1 + 47 + 8])
        #expect(scan(first).findings.count == 1)
    }

    @Test func adjacentKeys_areBothFound() throws {
        let keys = try (0..<3).map { _ in try APIKeyFormat.generate() }
        let result = scan(keys.joined())
        #expect(result.findings.map(\.offset) == [0, 47, 94])
        #expect(result.findings.map(\.secretSHA256) == keys.map { SHA256.digest($0) })
    }

    /// The checksum decides, not the neighbours (decisions.md): a key glued to letters is still a leak.
    @Test func keyFollowedOrPrecededByMoreBase62_isStillFound() throws {
        let key = try APIKeyFormat.generate()
        #expect(scan(key + "X").findings.count == 1)
        #expect(scan(key + "0123456789abcdef").findings.count == 1)
        #expect(scan("X" + key).findings.map(\.column) == [2])
        #expect(scan("sk-theta-" + key).findings.map(\.column) == [10])
        // The same 38 symbols after a look-alike's prefix: one look-alike, however long the run.
        #expect(scan(lookalike(of: key) + "moreSymbols").lookalikes == 1)
    }

    @Test func columns_countCodePoints_andLinesEndAtLF() throws {
        let key = try APIKeyFormat.generate()
        let result = scan("x\r\nÅngström 🔑 \(key)\r\n")
        let finding = try #require(result.findings.first)
        #expect(finding.line == 2)
        #expect(finding.column == 12)  // "Ångström 🔑 " is 11 code points
    }

    @Test func everyChunking_givesTheSameFindings() throws {
        var random = SeededRandom(seed: 10)
        var text: [UInt8] = []
        var keys: [String] = []
        for index in 0..<40 {
            text += Array("line \(index) of prose, with some — UTF-8 ✓ — and sk-theta- mentions\n".utf8)
            let key = try APIKeyFormat.generate()
            keys.append(key)
            text += Array((index % 3 == 0 ? lookalike(of: key) : key).utf8)
            if index % 5 == 0 { text += Array(try APIKeyFormat.generate().utf8) }  // adjacent
            text.append(index % 2 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
        }
        let whole = LeakScanner.scan(text)
        #expect(whole.lookalikes == 14)
        #expect(whole.findings.count == 26 + 8)
        let sizes = Array(1...100) + [127, 4096] + (0..<20).map { _ in Int.random(in: 1...300, using: &random) }
        for size in sizes {
            var scanner = LeakScanner()
            var findings: [LeakScanner.Finding] = []
            text.withUnsafeBytes { all in
                var start = 0
                while start < all.count {
                    let end = min(start + size, all.count)
                    scanner.scan(UnsafeRawBufferPointer(rebasing: all[start..<end])) { findings.append($0) }
                    start = end
                }
            }
            #expect(findings == whole.findings, "chunks of \(size)")
            #expect(scanner.lookalikes == whole.lookalikes, "chunks of \(size)")
            #expect(scanner.bytesScanned == text.count)
        }
    }

    /// Irregular chunks, some empty, cutting every key at a different byte.
    @Test func keySplitAtEveryByte_isFoundOnce() throws {
        let key = Array(try APIKeyFormat.generate().utf8)
        let text = Array("abc ".utf8) + key + Array(" def".utf8)
        for cut in 0...text.count {
            for second in [cut, min(cut + 1, text.count), min(cut + 20, text.count)] {
                var scanner = LeakScanner()
                var found: [LeakScanner.Finding] = []
                text.withUnsafeBytes { all in
                    scanner.scan(UnsafeRawBufferPointer(rebasing: all[0..<cut])) { found.append($0) }
                    scanner.scan(UnsafeRawBufferPointer(rebasing: all[cut..<second])) { found.append($0) }
                    scanner.scan(UnsafeRawBufferPointer(rebasing: all[second...])) { found.append($0) }
                }
                #expect(found.map(\.column) == [5], "cut at \(cut), \(second)")
            }
        }
    }

    @Test func emptyInput_findsNothing() {
        #expect(LeakScanner.scan([]).findings.isEmpty)
    }

    @Test func textCounts_matchACountByteByByte() {
        var random = SeededRandom(seed: 7)
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let bytes = (0..<length).map { _ in [UInt8(0x0A), 0x41, 0xC3, 0xA9, 0xF0, 0x9F, 0x80, 0xBF].randomElement(using: &random)! }
            bytes.withUnsafeBytes { raw in
                #expect(TextCounts.newlines(raw) == bytes.filter { $0 == 0x0A }.count)
                #expect(TextCounts.codePoints(raw) == bytes.filter { $0 & 0xC0 != 0x80 }.count)
            }
        }
    }
}
