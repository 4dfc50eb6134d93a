import Testing
@testable import ThetaConsole

@Suite struct DeterminismTests {
    func forms(_ goldText: String) throws -> [(EmulatedEndpoint, EmulatorForm)] {
        [
            (.transcribe, form()),
            (.analyzeNative, form(options: optionsJSON(goldText))),
            (.pronunciationSimple, form(options: optionsJSON(goldText, #""language": "en""#))),
            (.pronunciation, form(options: optionsJSON(goldText), native: try nativeComponentsJSON(goldText, audioSeconds: 3.1))),
        ]
    }

    @Test func sameRequestTwice_givesTheSameBytes() throws {
        for (endpoint, form) in try forms(sampleGoldText) {
            #expect(try text(endpoint, form, audioSeconds: 2.73) == text(endpoint, form, audioSeconds: 2.73))
        }
    }

    @Test func responseTime_isTheOnlyDifference() throws {
        for (endpoint, form) in try forms("학교에 갑니다. Then home!") {
            var a = try body(endpoint, form, audioSeconds: 4.04, responseTime: 0.012)
            var b = try body(endpoint, form, audioSeconds: 4.04, responseTime: 7.5)
            #expect(a != b || endpoint == .analyzeNative)
            a = a.removing("response_time_in_sec")
            b = b.removing("response_time_in_sec")
            #expect(a == b)
        }
    }

    /// Pinned bytes, so a change to scoring or layout is a deliberate one. The scores come from
    /// FNV-1a, which is the same in every process; Swift's Hasher would differ run to run.
    @Test func analyzeNative_isPinned() throws {
        let response = try text(.analyzeNative, form(options: optionsJSON("Wow, hi.")), audioSeconds: 1)
        #expect(response == pinnedAnalyzeNative)
    }

    @Test func studentScores_varyWithTheRecording_butNotBetweenRuns() throws {
        let options = form(options: optionsJSON("The quick brown fox jumps over the lazy dog."))
        let scores = try (300...340).map { try body(.pronunciationSimple, options, audioSeconds: Double($0) / 100)["pronunciation"]?["score"] }
        #expect(Set(scores.map { "\(String(describing: $0))" }).count > 5)
    }
}

extension JSONValue {
    func removing(_ name: String) -> JSONValue {
        .object(members.filter { $0.0 != name })
    }
}

let pinnedAnalyzeNative = #"{"speech_components":[{"type":"word","word":"Wow","start":0.05,"end":0.35,"score":91.8,"is_correct":true,"is_stressed":true,"feedback":null,"syllables":[{"text":"Wow","start":0.05,"end":0.35,"score":91.8,"is_stressed":true,"phonemes":[{"phoneme":"w","start":0.05,"end":0.20,"score":91.5,"is_stressed":false},{"phoneme":"ow","start":0.20,"end":0.35,"score":92.1,"is_stressed":true}]}]},{"type":"pause","start":0.35,"end":0.75,"is_long":false},{"type":"word","word":"hi","start":0.75,"end":0.95,"score":93.7,"is_correct":true,"is_stressed":true,"feedback":null,"syllables":[{"text":"hi","start":0.75,"end":0.95,"score":93.7,"is_stressed":true,"phonemes":[{"phoneme":"h","start":0.75,"end":0.85,"score":95.4,"is_stressed":false},{"phoneme":"i","start":0.85,"end":0.95,"score":91.9,"is_stressed":true}]}]}]}"#
