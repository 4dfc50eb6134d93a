import Testing
@testable import ThetaConsole

@Suite struct NativeComponentsValidationTests {
    let options = optionsJSON("Hi there")

    @Test func nativeComponentsAbsentOrEmpty_givesTheDocumentedDetail() {
        #expect(detail(.pronunciation, form(options: options)) == "Invalid native_speech_components_json format. Must be a valid JSON string.")
        #expect(detail(.pronunciation, form(options: options, native: "")) == "Invalid native_speech_components_json format. Must be a valid JSON string.")
    }

    @Test(arguments: ["[", "[{type: word}]", "speech_components", "[1,]", "{\"speech_components\": [}"])
    func nativeComponentsNotJSON_givesTheDocumentedDetail(part: String) {
        #expect(detail(.pronunciation, form(options: options, native: part)) == "Invalid native_speech_components_json format. Must be a valid JSON string.")
    }

    @Test func optionsAreCheckedBeforeNativeComponents() {
        #expect(detail(.pronunciation, form(options: "{}", native: "[")) == "gold_text is required")
        #expect(detail(.pronunciation, form(options: "{", native: "[")) == "Invalid options format. Must be a valid JSON string.")
    }

    @Test(arguments: [
        "{}",
        "null",
        "[]",
        #"{"speech_components": [{"type":"word","word":"Hi","start":0,"end":1}]}"#,
        "[1]",
        #"[{"word":"Hi","start":0,"end":1}]"#,
        #"[{"type":"syllable","start":0,"end":1}]"#,
        #"[{"type":"word","start":0,"end":1}]"#,
        #"[{"type":"word","word":7,"start":0,"end":1}]"#,
        #"[{"type":"word","word":"Hi","start":"0","end":1}]"#,
        #"[{"type":"word","word":"Hi","start":0}]"#,
        #"[{"type":"word","word":"Hi","start":1.5,"end":1.0}]"#,
        #"[{"type":"word","word":"Hi","start":-0.1,"end":1.0}]"#,
        #"[{"type":"word","word":"Hi","start":0,"end":1e999}]"#,
        #"[{"type":"pause","start":0,"end":1,"is_long":false}]"#,
        #"[{"type":"word","word":"Hi","start":0,"end":1},{"type":"pause","start":1,"end":2}]"#,
        #"[{"type":"word","word":"Hi","start":0,"end":1},{"type":"pause","start":1,"end":2,"is_long":"no"}]"#,
        #"[{"type":"word","word":"Hi","start":0,"end":1},{"type":"pause","start":2,"end":1,"is_long":true}]"#,
    ])
    func nativeComponentsOfTheWrongShape_givesTheDocumentedDetail(part: String) {
        #expect(detail(.pronunciation, form(options: options, native: part)) == "Invalid native_speech_components format")
    }

    @Test func tooManyItems_isTheWrongShape() {
        let item = #"{"type":"word","word":"Hi","start":0,"end":1}"#
        let atLimit = "[" + Array(repeating: item, count: NativeReference.maxItems).joined(separator: ",") + "]"
        #expect(detail(.pronunciation, form(options: options, native: atLimit)) == nil)
        let over = "[" + Array(repeating: item, count: NativeReference.maxItems + 1).joined(separator: ",") + "]"
        #expect(detail(.pronunciation, form(options: options, native: over)) == "Invalid native_speech_components format")
    }

    @Test func minimalItems_andExtraMembers_areAccepted() {
        let part = #"[{"type":"word","word":"Hi","start":0,"end":0.4,"anything":{"x":[1]}},{"type":"pause","start":0.4,"end":0.6,"is_long":false},{"type":"word","word":"there","start":0.6,"end":1}]"#
        #expect(detail(.pronunciation, form(options: options, native: part)) == nil)
    }

    @Test(arguments: [sampleGoldText, "안녕하세요, 만나서 반갑습니다.", "Hi", "One. Two; three (four) — five!"])
    func analyzeNativeOutput_fedBackUnmodified_validates(goldText: String) throws {
        for seconds in [0.6, 2.5, 7.25, 60] where seconds >= 0.2 * Double(GoldText(goldText).words.count) {
            let native = try nativeComponentsJSON(goldText, audioSeconds: seconds)
            let request = try SpeechEmulator.validate(.pronunciation, form(options: optionsJSON(goldText), native: native))
            #expect(request.nativeReference?.words.count == GoldText(goldText).words.count)
            _ = try SpeechEmulator.respond(request, audioSeconds: seconds, responseTimeSeconds: 0.01)
        }
    }
}
