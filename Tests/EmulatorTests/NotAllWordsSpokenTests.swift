import Testing
@testable import ThetaConsole

@Suite struct NotAllWordsSpokenTests {
    func request(_ endpoint: EmulatedEndpoint, _ goldText: String) throws -> EmulatorRequest {
        try SpeechEmulator.validate(endpoint, form(options: optionsJSON(goldText), native: validNative))
    }

    @Test(arguments: goldTextEndpoints)
    func audioOfTwoHundredMillisecondsPerWord_isEnough(endpoint: EmulatedEndpoint) throws {
        let request = try request(endpoint, "one two three")
        #expect(respondDetail(request, audioSeconds: 0.6) == nil)
        #expect(respondDetail(request, audioSeconds: 0.5995) == nil) // 600 ms to the nearest millisecond
        #expect(respondDetail(request, audioSeconds: 9600.0 / 16000.0) == nil) // 9,600 frames at 16 kHz
    }

    @Test(arguments: goldTextEndpoints)
    func audioJustUnderTwoHundredMillisecondsPerWord_givesNotAllWordsAreSpoken(endpoint: EmulatedEndpoint) throws {
        let request = try request(endpoint, "one two three")
        #expect(respondDetail(request, audioSeconds: 0.599) == "Not all words are spoken.")
        #expect(respondDetail(request, audioSeconds: 0.5994) == "Not all words are spoken.")
        #expect(respondDetail(request, audioSeconds: 0) == "Not all words are spoken.")
    }

    @Test func punctuationAndSpaces_areNotWords() throws {
        let request = try request(.analyzeNative, "  Wow , — check!  ")
        #expect(request.wordCount == 2)
        #expect(respondDetail(request, audioSeconds: 0.4) == nil)
        #expect(respondDetail(request, audioSeconds: 0.39) == "Not all words are spoken.")
    }

    @Test func badDurations_countAsNoAudio() throws {
        let request = try request(.analyzeNative, "Hi")
        #expect(respondDetail(request, audioSeconds: -5) == "Not all words are spoken.")
        #expect(respondDetail(request, audioSeconds: .nan) == "Not all words are spoken.")
        #expect(respondDetail(request, audioSeconds: .infinity) == "Not all words are spoken.")
        #expect(respondDetail(request, audioSeconds: 1e300) == nil) // clamped to a day
    }

    @Test func transcribe_acceptsAnyDuration() throws {
        let request = try SpeechEmulator.validate(.transcribe, form())
        #expect(respondDetail(request, audioSeconds: 0) == nil)
    }
}
