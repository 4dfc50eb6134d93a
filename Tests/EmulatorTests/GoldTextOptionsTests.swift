import Testing
@testable import ThetaConsole

let goldTextEndpoints: [EmulatedEndpoint] = [.analyzeNative, .pronunciationSimple, .pronunciation]

/// A valid native reference, so `/pronunciation` reaches the options checks under test.
let validNative = #"[{"type":"word","word":"Hi","start":0.1,"end":0.5}]"#

@Suite struct GoldTextOptionsTests {
    @Test(arguments: goldTextEndpoints)
    func optionsNotJSON_givesTheDocumentedDetail(endpoint: EmulatedEndpoint) {
        for part in ["gold_text=hi", "{gold_text: \"hi\"}", "{\"gold_text\": \"hi\"", " ", "\u{FEFF}{}"] {
            #expect(detail(endpoint, form(options: part, native: validNative)) == "Invalid options format. Must be a valid JSON string.")
        }
    }

    @Test(arguments: goldTextEndpoints)
    func optionsInvalidUTF8_isNotValidJSON(endpoint: EmulatedEndpoint) {
        let part: [UInt8] = Array(#"{"gold_text": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        let form = EmulatorForm(options: part, nativeSpeechComponentsJSON: Array(validNative.utf8))
        #expect(detail(endpoint, form) == "Invalid options format. Must be a valid JSON string.")
    }

    @Test(arguments: goldTextEndpoints)
    func optionsAbsentOrEmpty_givesGoldTextIsRequired(endpoint: EmulatedEndpoint) {
        #expect(detail(endpoint, form(native: validNative)) == "gold_text is required")
        #expect(detail(endpoint, form(options: "", native: validNative)) == "gold_text is required")
    }

    @Test(arguments: goldTextEndpoints)
    func goldTextMissingOrNull_givesGoldTextIsRequired(endpoint: EmulatedEndpoint) {
        #expect(detail(endpoint, form(options: "{}", native: validNative)) == "gold_text is required")
        #expect(detail(endpoint, form(options: #"{"gold_text": null}"#, native: validNative)) == "gold_text is required")
    }

    @Test(arguments: goldTextEndpoints)
    func optionsNotAnObject_isInvalidOptions(endpoint: EmulatedEndpoint) {
        #expect(detail(endpoint, form(options: #"["Wow"]"#, native: validNative)) == "Invalid options: options must be a JSON object, not array")
        #expect(detail(endpoint, form(options: #""Wow""#, native: validNative)) == "Invalid options: options must be a JSON object, not string")
    }

    @Test(arguments: goldTextEndpoints)
    func goldTextNotAString_isInvalidOptions(endpoint: EmulatedEndpoint) {
        #expect(detail(endpoint, form(options: #"{"gold_text": 42}"#, native: validNative)) == "Invalid options: gold_text must be a string, not number")
        #expect(detail(endpoint, form(options: #"{"gold_text": ["Wow"]}"#, native: validNative)) == "Invalid options: gold_text must be a string, not array")
        #expect(detail(endpoint, form(options: #"{"gold_text": true}"#, native: validNative)) == "Invalid options: gold_text must be a string, not boolean")
    }

    @Test(arguments: goldTextEndpoints)
    func goldTextWithoutWords_isInvalidOptions(endpoint: EmulatedEndpoint) {
        for gold in ["", "   ", "\n\t", "!!! ... ,", "— “ ”"] {
            #expect(detail(endpoint, form(options: optionsJSON(gold), native: validNative)) == "Invalid options: gold_text must contain at least one word")
        }
    }

    @Test(arguments: goldTextEndpoints)
    func goldTextOverOneThousandCharacters_isInvalidOptions(endpoint: EmulatedEndpoint) {
        let atLimit = String(repeating: "abcd ", count: 200) // 1,000 characters
        #expect(detail(endpoint, form(options: optionsJSON(atLimit), native: validNative)) == nil)
        #expect(detail(endpoint, form(options: optionsJSON(atLimit + "e"), native: validNative)) == "Invalid options: gold_text must be at most 1000 characters")
    }

    @Test(arguments: goldTextEndpoints)
    func unknownField_namesIt(endpoint: EmulatedEndpoint) {
        #expect(detail(endpoint, form(options: optionsJSON("Hi", #""x": 1"#), native: validNative)) == #"Invalid options: unknown field "x""#)
    }

    @Test func unknownField_isReportedBeforeMissingGoldText() {
        // A misspelt gold_text is named, rather than reported as missing.
        #expect(detail(.analyzeNative, form(options: #"{"gold_txt": "Hi"}"#)) == #"Invalid options: unknown field "gold_txt""#)
    }

    @Test func language_isAcceptedOnPronunciationSimpleOnly() throws {
        let english = try SpeechEmulator.validate(.pronunciationSimple, form(options: optionsJSON("Hi", #""language": "en""#)))
        #expect(english.language == .english)
        let korean = try SpeechEmulator.validate(.pronunciationSimple, form(options: optionsJSON("Hi", #""language": "ko""#)))
        #expect(korean.language == .korean)
        let absent = try SpeechEmulator.validate(.pronunciationSimple, form(options: optionsJSON("Hi")))
        #expect(absent.language == .korean)
        let null = try SpeechEmulator.validate(.pronunciationSimple, form(options: optionsJSON("Hi", #""language": null"#)))
        #expect(null.language == .korean)

        #expect(detail(.analyzeNative, form(options: optionsJSON("Hi", #""language": "en""#))) == #"Invalid options: unknown field "language""#)
        #expect(detail(.pronunciation, form(options: optionsJSON("Hi", #""language": "en""#), native: validNative)) == #"Invalid options: unknown field "language""#)
    }

    @Test(arguments: [#""fr""#, #""KO""#, #""en ""#, #""""#, "1", "true", #"["en"]"#])
    func languageOtherThanKoOrEn_isInvalidOptions(value: String) {
        #expect(detail(.pronunciationSimple, form(options: optionsJSON("Hi", #""language": "# + value)))
            == #"Invalid options: language must be "ko" or "en""#)
    }

    @Test func goldText_isKeptAsSent() throws {
        let request = try SpeechEmulator.validate(.analyzeNative, form(options: optionsJSON(sampleGoldText)))
        #expect(request.goldText == sampleGoldText)
        #expect(request.wordCount == 5)
    }

    @Test func nativeComponentsPart_isIgnoredOffPronunciation() {
        #expect(detail(.analyzeNative, form(options: optionsJSON("Hi"), native: "not json")) == nil)
        #expect(detail(.pronunciationSimple, form(options: optionsJSON("Hi"), transcribeOptions: "not json", native: "not json")) == nil)
    }
}
