import Foundation
import KeyStore
import Testing

@Suite struct KeySpecTests {
    private func validate(
        name: String? = "ci", expiresAt: String? = nil, rpm: Int? = nil, maxRPM: Int = 100
    ) throws(KeySpecError) -> KeySpec {
        try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, now: testEpoch, maxRPM: maxRPM)
    }

    private func error(
        name: String? = "ci", expiresAt: String? = nil, rpm: Int? = nil, maxRPM: Int = 100
    ) -> KeySpecError? {
        do {
            _ = try validate(name: name, expiresAt: expiresAt, rpm: rpm, maxRPM: maxRPM)
            return nil
        } catch {
            return error
        }
    }

    @Test func validRequest_withDefaults_hasNoExpiryAnd100RPM() throws {
        #expect(try validate() == KeySpec(name: "ci", expiresAt: nil, rateLimitRPM: 100))
    }

    @Test func name_isTrimmed() throws {
        #expect(try validate(name: "  build bot \n").name == "build bot")
    }

    @Test func missingName_isRejected_namingTheField() {
        #expect(error(name: nil) == KeySpecError(field: "name", message: "name is required"))
    }

    @Test(arguments: ["", "   ", "\n\t", String(repeating: "x", count: 101)])
    func nameOutsideOneTo100Characters_isRejected(name: String) {
        #expect(error(name: name) == KeySpecError(field: "name", message: "name must be 1 to 100 characters"))
    }

    @Test func nameLength_countsCodePointsNotBytes() throws {
        // What JSON Schema's maxLength counts, so the OpenAPI document and the server agree.
        #expect(try validate(name: String(repeating: "é", count: 100)).name.unicodeScalars.count == 100)  // 200 UTF-8 bytes
        #expect(error(name: String(repeating: "é", count: 101))?.field == "name")
        let family = "👨‍👩‍👧‍👦"  // one Character, 7 code points
        #expect(try validate(name: String(repeating: family, count: 14)).name.count == 14)  // 98 code points
        #expect(error(name: String(repeating: family, count: 15))?.field == "name")  // 105 code points
    }

    @Test(arguments: ["a\u{0}b", "a\nb", "a\u{7F}b", "a\u{85}b", "a\u{1B}[31mb", "a\u{2028}b", "a\u{2029}b",
                      "a\u{202E}b", "a\u{202A}b", "a\u{2066}b", "a\u{2069}b"])
    func nameWithControlOrBidiCharacter_isRejected(name: String) {
        #expect(error(name: name) == KeySpecError(field: "name", message: "name must not contain control characters"))
    }

    /// Format characters (Cf) and other default-ignorable code points draw nothing: two names that
    /// look the same could differ. The 422 names the code point.
    @Test(arguments: [("a\u{200B}b", "U+200B"), ("a\u{200F}b", "U+200F"), ("a\u{FEFF}b", "U+FEFF"), ("a\u{61C}b", "U+061C"),
                      ("a\u{AD}b", "U+00AD"), ("a\u{2060}b", "U+2060"), ("a\u{200D}b", "U+200D"), ("a\u{FE0F}b", "U+FE0F"),
                      ("a\u{3164}b", "U+3164"), ("a\u{E0001}b", "U+E0001"), ("x\u{1BCA0}", "U+1BCA0")])
    func nameWithAnInvisibleCharacter_isRejected_namingIt(name: String, codePoint: String) {
        #expect(error(name: name) == KeySpecError(field: "name", message: "name must not contain invisible characters (found \(codePoint))"))
    }

    /// Emoji keep the joiners and presentation selectors that make them.
    @Test(arguments: ["👨‍👩‍👧‍👦 family", "❤️ team", "🏳️‍🌈", "👩🏽‍💻 dev", "☺︎"])
    func emojiSequences_areAccepted(name: String) throws {
        #expect(try validate(name: name).name == name)
    }

    @Test func nameWithOrdinaryUnicode_isAccepted() throws {
        #expect(try validate(name: "Équipe données 東京 🚀").name == "Équipe données 東京 🚀")
    }

    @Test(arguments: [0, -1, 101, Int.max])
    func rateLimitOutsideOneToMax_isRejected(rpm: Int) {
        #expect(error(rpm: rpm) == KeySpecError(
            field: "rate_limit_rpm", message: "rate_limit_rpm must be an integer from 1 to 100"))
    }

    @Test func rateLimit_acceptsBothBounds() throws {
        #expect(try validate(rpm: 1).rateLimitRPM == 1)
        #expect(try validate(rpm: 100).rateLimitRPM == 100)
    }

    @Test func raisedMaxRPM_allowsMore_andNamesTheNewMaximum() throws {
        #expect(try validate(rpm: 5_000, maxRPM: 10_000).rateLimitRPM == 5_000)
        #expect(try validate(maxRPM: 10_000).rateLimitRPM == 100)
        #expect(error(rpm: 10_001, maxRPM: 10_000)?.message == "rate_limit_rpm must be an integer from 1 to 10000")
    }

    @Test func defaultRateLimit_neverExceedsALoweredMax() throws {
        #expect(try validate(maxRPM: 30).rateLimitRPM == 30)
    }

    @Test func dateOnlyExpiry_meansTheEndOfThatDayUTC() throws {
        let spec = try validate(expiresAt: "2026-12-31")
        #expect(spec.expiresAt.map(RFC3339.string(from:)) == "2027-01-01T00:00:00Z")
    }

    @Test(arguments: [
        ("2026-11-27T00:22:09Z", "2026-11-27T00:22:09Z"),
        ("2026-11-27T02:22:09+02:00", "2026-11-27T00:22:09Z"),
        ("2026-11-26T19:22:09-05:00", "2026-11-27T00:22:09Z"),
        ("2026-11-27T00:22:09.999Z", "2026-11-27T00:22:09Z"),
    ])
    func rfc3339Expiry_isStoredInWholeSecondsUTC(input: String, stored: String) throws {
        #expect(try validate(expiresAt: input).expiresAt.map(RFC3339.string(from:)) == stored)
    }

    @Test(arguments: ["tomorrow", "2026-11-27T00:22:09", "2026-13-01", "2026-02-30", "27/11/2026", "", "1795737600"])
    func unparseableExpiry_isRejected(input: String) {
        #expect(error(expiresAt: input) == KeySpecError(
            field: "expires_at", message: "expires_at must be RFC 3339 or YYYY-MM-DD"))
    }

    @Test(arguments: ["2026-11-27T00:00:00Z", "2026-11-26T23:59:59Z", "2026-11-27T00:00:00.5Z", "2026-11-26"])
    func expiryNotAfterNow_isRejected(input: String) {
        // testEpoch is 2026-11-27T00:00:00Z; "2026-11-26" would end exactly then, so it is rejected too.
        #expect(error(expiresAt: input) == KeySpecError(field: "expires_at", message: "expires_at must be in the future"))
    }

    @Test func expiryOneSecondAhead_isAccepted() throws {
        #expect(try validate(expiresAt: "2026-11-27T00:00:01Z").expiresAt == testEpoch.addingTimeInterval(1))
    }

    // Fuzzer findings: instants whose UTC year has no four-digit RFC 3339 form.
    @Test(arguments: ["9999-12-31", "9999-12-31T23:59:59-01:00"])
    func expiryPastYear9999_isRefused(value: String) {
        #expect(error(expiresAt: value)?.field == "expires_at")
    }

    @Test func timestampsOutsideFourDigitYears_doNotParse() {
        #expect(RFC3339.date(from: "0000-01-01T00:00:00+00:01") == nil)
        #expect(RFC3339.date(from: "9999-12-31T23:59:59-00:01") == nil)
        #expect(RFC3339.date(from: "9999-12-31T23:59:59Z") == RFC3339.latest)
        #expect(RFC3339.date(from: "9999-12-31T23:59:59.99999999Z") == nil)  // rounds to year 10000 in Double
        #expect(RFC3339.date(from: "9999-12-31T23:59:59.5Z").map(RFC3339.string(from:)) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.string(from: RFC3339.latest) == "9999-12-31T23:59:59Z")
        #expect(RFC3339.date(from: "0000-01-01T00:00:00Z").map(RFC3339.string(from:)) == "0000-01-01T00:00:00Z")
    }
}
