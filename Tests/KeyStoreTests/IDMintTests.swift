import FoundationEssentials
import Testing
@testable import KeyStore

@Suite struct IDMintTests {
    @Test func ids_haveTheDocumentedForm_startWithTheTime_andCountUp() throws {
        let time = Date(timeIntervalSince1970: 1_800_000_000.123)
        var mint = try IDMint(at: time)
        let ids = (0..<5_000).map { _ in mint.next("led_") }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.hasPrefix("led_") && id.utf8.count == 24)
            #expect(id.utf8.dropFirst(4).allSatisfy(Base62.isSymbol))
        }
        // The first 8 symbols are the milliseconds, the same for every id of one transaction.
        var milliseconds: UInt64 = 0
        for symbol in ids[0].utf8.dropFirst(4).prefix(8) {
            milliseconds = milliseconds * 62 + UInt64(Base62.alphabet.firstIndex(of: symbol)!)
        }
        #expect(milliseconds == 1_800_000_000_123)
        #expect(Set(ids.map { $0.prefix(12) }).count == 1)
        // Each id is the one before it plus one: in order, as the index wants them.
        #expect(ids == ids.sorted())
        // Another transaction draws another random number.
        var other = try IDMint(at: time)
        #expect(other.next("led_") != ids[0])
    }

    @Test func countingUp_carriesThroughEverySymbol() throws {
        var mint = try IDMint(at: Date(timeIntervalSince1970: 0))
        var previous = mint.next("x")
        // 62 × 62 steps turn over the last two symbols at least once each.
        for _ in 0..<(62 * 62 + 5) {
            let next = mint.next("x")
            #expect(next.utf8.count == previous.utf8.count && next.utf8.dropFirst().allSatisfy(Base62.isSymbol))
            #expect(next > previous || next.dropFirst(9) == String(repeating: "0", count: 12))
            previous = next
        }
    }
}
