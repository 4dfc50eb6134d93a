import Testing
@testable import ThetaConsole

@Suite struct JSONWriterFixedTests {
    @Test(arguments: [
        (95.0, 1, "95.0"), (0.1 + 0.2, 2, "0.30"), (0.285, 2, "0.29"), (0.284999, 2, "0.28"),
        (9.995, 2, "10.00"), (99.95, 1, "100.0"), (0.0, 2, "0.00"), (-0.0, 2, "0.00"), (-0.001, 2, "0.00"),
        (-1.005, 2, "-1.01"), (1e-05, 2, "0.00"), (5e-05, 4, "0.0001"), (1.5e-07, 7, "0.0000002"),
        (1e16, 1, "10000000000000000.0"), (123.456, 0, "123"), (0.5, 0, "1"), (0.012, 3, "0.012"),
    ] as [(Double, Int, String)])
    func fixed_roundsHalfAwayFromZeroOnTheShortestDecimal(value: Double, decimals: Int, expected: String) {
        #expect(JSONWriter.fixed(value, decimals: decimals) == expected)
    }

    @Test func nonFiniteValues_areNull() {
        #expect(JSONWriter.fixed(.nan, decimals: 2) == nil)
        #expect(JSONWriter.fixed(.infinity, decimals: 2) == nil)
        var json = JSONWriter()
        json.beginObject()
        json.field("a", Double.nan, decimals: 1)
        json.field("b", nil as Double?, decimals: 1)
        json.field("c", 2.25, decimals: 1)
        json.nullField("d")
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":null,"b":null,"c":2.3,"d":null}"#)
    }

    @Test func everyCentisecond_printsExactly() {
        for centiseconds in 0...100_000 {
            let expected = "\(centiseconds / 100)." + (centiseconds % 100 < 10 ? "0" : "") + "\(centiseconds % 100)"
            #expect(JSONWriter.fixed(Double(centiseconds) / 100, decimals: 2) == expected)
            if JSONWriter.fixed(Double(centiseconds) / 100, decimals: 2) != expected { return }
        }
    }

    /// The integer fast path must print exactly what the digit-by-digit reference prints, whenever it
    /// answers at all: 200,000 values of several magnitudes (fixed seed), and every thousandth of a
    /// second up to 100 s, the shape of `response_time_in_sec`.
    @Test func fastPath_agreesWithTheReference() {
        var state: UInt64 = 0x2545F4914F6CDD1D
        func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        var answered = 0
        var disagreements: [String] = []
        for i in 0..<200_000 {
            let magnitude = [1e-6, 1e-3, 1.0, 100.0, 1e6, 1e9, 1e12][i % 7]
            let value = (Double(next() % 2_000_000) / 1_000_000 - 1) * magnitude
            let decimals = Int(next() % 8)
            if let fast = JSONWriter.fastFixed(value, decimals: decimals) {
                answered += 1
                let slow = JSONWriter.slowFixed(value, decimals: decimals)
                if fast != slow { disagreements.append("\(value) \(decimals): \(fast) vs \(slow)") }
            }
        }
        for milliseconds in 0...100_000 {
            let value = Double(milliseconds) / 1000
            if let fast = JSONWriter.fastFixed(value, decimals: 3) {
                answered += 1
                if fast != JSONWriter.slowFixed(value, decimals: 3) { disagreements.append("\(value) 3") }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(answered > 250_000, "the fast path answers most of the time")
    }
}
