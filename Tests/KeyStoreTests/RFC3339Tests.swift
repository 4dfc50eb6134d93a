import Foundation
import KeyStore
import Testing

@Suite struct RFC3339Tests {
    @Test func formatting_isUTCWithWholeSecondsRoundedDown() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_738_929.9)) == "2026-11-27T00:22:09Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func formatting_agreesWithFoundationOnRandomDates() {
        let formatter = ISO8601DateFormatter()
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: TimeInterval(Int64.random(in: -2_000_000_000...8_000_000_000)))
            #expect(RFC3339.string(from: date) == formatter.string(from: date))
            #expect(RFC3339.date(from: RFC3339.string(from: date)) == date)
        }
    }

    @Test func parsing_acceptsZuluOffsetsFractionsAndLowercase() {
        let instant = Date(timeIntervalSince1970: 1_795_738_929)
        #expect(RFC3339.date(from: "2026-11-27T00:22:09Z") == instant)
        #expect(RFC3339.date(from: "2026-11-27t00:22:09z") == instant)
        #expect(RFC3339.date(from: "2026-11-27T05:52:09+05:30") == instant)
        #expect(RFC3339.date(from: "2026-11-26T23:22:09-01:00") == instant)
        #expect(RFC3339.date(from: "2026-11-27T00:22:09-00:00") == instant)
        #expect(RFC3339.date(from: "2026-11-27T00:22:09.25Z") == instant.addingTimeInterval(0.25))
    }

    @Test(arguments: [
        "2026-11-27 00:22:09Z", "2026-11-27T00:22:09", "2026-11-27T24:00:00Z", "2026-11-27T00:60:00Z",
        "2026-11-27T00:22:09.Z", "2026-11-27T00:22:09+0100", "2026-11-27T00:22:09+24:00", "2026-11-27T00:22:09Zjunk",
        "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-00-10T00:00:00Z", "26-11-27T00:22:09Z",
        "2026-11-27T0:22:09Z", "+2026-11-27T00:22:09Z", "２０２６-11-27T00:22:09Z",
    ])
    func parsing_rejectsMalformedTimestamps(input: String) {
        #expect(RFC3339.date(from: input) == nil)
    }

    @Test func leapDay_parsesOnlyInLeapYears() {
        #expect(RFC3339.startOfDay(from: "2028-02-29") != nil)
        #expect(RFC3339.startOfDay(from: "2000-02-29") != nil)
        #expect(RFC3339.startOfDay(from: "2100-02-29") == nil)
        #expect(RFC3339.startOfDay(from: "2027-02-29") == nil)
    }

    @Test func fullDate_parsesAsMidnightUTC() {
        #expect(RFC3339.startOfDay(from: "2026-11-27") == testEpoch)
        #expect(RFC3339.startOfDay(from: "2026-11-27T00:00:00Z") == nil)
    }
}
