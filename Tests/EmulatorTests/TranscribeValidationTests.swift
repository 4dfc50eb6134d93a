import Testing
@testable import ThetaConsole

@Suite struct TranscribeValidationTests {
    @Test func transcribeOptionsAbsent_isAccepted() throws {
        let request = try SpeechEmulator.validate(.transcribe, form())
        #expect(request.endpoint == .transcribe)
        #expect(request.suppressKorean == false)
    }

    @Test func transcribeOptionsEmptyPart_countsAsAbsent() {
        #expect(detail(.transcribe, form(transcribeOptions: "")) == nil)
    }

    @Test(arguments: ["{", "suppress_korean=false", "{'suppress_korean': false}", " ", "{\"a\":1,}", "{\"suppress_korean\":true,\"suppress_korean\":false}"])
    func transcribeOptionsNotJSON_givesTheDocumentedDetail(part: String) {
        #expect(detail(.transcribe, form(transcribeOptions: part)) == "Invalid options format. Must be a valid JSON string.")
    }

    @Test func suppressKorean_isRead() throws {
        #expect(try SpeechEmulator.validate(.transcribe, form(transcribeOptions: #"{"suppress_korean": true}"#)).suppressKorean)
        #expect(try !SpeechEmulator.validate(.transcribe, form(transcribeOptions: #"{"suppress_korean": false}"#)).suppressKorean)
        #expect(try !SpeechEmulator.validate(.transcribe, form(transcribeOptions: #"{"suppress_korean": null}"#)).suppressKorean)
        #expect(try !SpeechEmulator.validate(.transcribe, form(transcribeOptions: "{}")).suppressKorean)
    }

    @Test func transcribeOptionsNotAnObject_isInvalidOptions() {
        #expect(detail(.transcribe, form(transcribeOptions: "[]")) == "Invalid options: transcribe_options must be a JSON object, not array")
        #expect(detail(.transcribe, form(transcribeOptions: "null")) == "Invalid options: transcribe_options must be a JSON object, not null")
        #expect(detail(.transcribe, form(transcribeOptions: #""x""#)) == "Invalid options: transcribe_options must be a JSON object, not string")
    }

    @Test func transcribeOptionsUnknownField_namesIt() {
        #expect(detail(.transcribe, form(transcribeOptions: #"{"language": "en"}"#)) == #"Invalid options: unknown field "language""#)
    }

    @Test func transcribeOptionsUnknownLongField_isShortened() throws {
        let name = String(repeating: "x", count: 500)
        let got = try #require(detail(.transcribe, form(transcribeOptions: "{\"\(name)\": 1}")))
        #expect(got == "Invalid options: unknown field \"" + String(repeating: "x", count: 64) + "…\"")
    }

    @Test(arguments: [(#""false""#, "string"), ("0", "number"), ("[]", "array"), ("{}", "object")])
    func suppressKoreanWrongType_namesFieldAndExpectedType(value: String, type: String) {
        #expect(detail(.transcribe, form(transcribeOptions: #"{"suppress_korean": "# + value + "}"))
            == "Invalid options: suppress_korean must be a boolean, not \(type)")
    }

    @Test func optionsPartOnTranscribe_isIgnored() {
        #expect(detail(.transcribe, form(options: "not json", native: "not json either")) == nil)
    }
}
