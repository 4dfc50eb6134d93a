import Foundation
import Glibc
import Testing
import TestSupport

/// `/v1/stubs` and `serve --stubs`: a matching 200 carries the stub's body; the rest is a real 200.
@Suite("Fixture: response stubs", .onOwnThreads)
struct StubTests {
    static let korean = #"{"text": "안녕하세요, 세타원입니다", "text_type": "ko", "metadata": {}, "response_time_in_sec": 0.25}"#

    @Test func aKoreanTranscript_forOneFile_isBilledAndHeadedLikeARealAnswer() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro", "--credits", "10"])
        let key = try server.createKey()
        let made = try server.post("/v1/stubs", json: #"{"endpoint": "/transcribe", "match": {"filename": "korean.wav"}, "response": \#(Self.korean)}"#)
        #expect(made.status == 201)
        #expect((made.object["id"] as? String)?.hasPrefix("stb_") == true)

        var body = MultipartBody()
        body.addFile(AudioFiles.wav(seconds: 2), filename: "korean.wav")
        let stubbed = try server.request("POST", "/transcribe",
                                                headers: ["x-api-key": key.secret, "Content-Type": body.contentType],
                                                body: body.finished())
        #expect(stubbed.status == 200)
        #expect(stubbed.object["text"] as? String == "안녕하세요, 세타원입니다" && stubbed.object["text_type"] as? String == "ko")
        #expect(stubbed.header("X-RateLimit-Limit") != nil)
        // Any other file gets the emulator's own answer.
        let other = try server.upload("/transcribe", key: key.secret)
        #expect(other.object["text"] as? String == "Welcome to Theta One AI!")
        // Both were billed: 2 s and 1 s.
        let charges = (try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? [])
            .filter { $0["kind"] as? String == "charge" }
        #expect(charges.map { $0["audio_seconds"] as? Int } == [1, 2])
        let listed = try server.get("/v1/stubs").object["data"] as? [[String: Any]] ?? []
        #expect(listed.first?["hits"] as? Int == 1)
    }

    @Test func goldTextAndAudioHash_select_andA400StaysA400() throws {
        let server = try InProcessServer(arguments: ["--plan", "pro"])
        let key = try server.createKey()
        let audio = AudioFiles.wav(seconds: 1)
        let digest = try #require(runTool("/usr/bin/sha256sum", input: audio)?.prefix(64)).lowercased()
        let codeswitched = #"{"text": "Hello 여러분", "text_type": "codeswitched", "metadata": {}, "response_time_in_sec": 0.1}"#
        #expect(try server.post("/v1/stubs", json: #"{"endpoint": "/transcribe", "match": {"audio_sha256": "\#(digest)"}, "response": \#(codeswitched)}"#).status == 201)
        #expect(try server.upload("/transcribe", key: key.secret, audio: audio).object["text_type"] as? String == "codeswitched")
        #expect(try server.upload("/transcribe", key: key.secret, audio: AudioFiles.wav(seconds: 2)).object["text_type"] as? String == "en")

        let simple = #"{"pronunciation": {"score": 12.5, "feedback": "stub"}, "stress": null, "pause": null, "speed": null, "user_speech_components": [{"type": "pause", "start": 0, "end": 0.5, "is_long": false}], "response_time_in_sec": 0.1}"#
        #expect(try server.post("/v1/stubs", json: #"{"endpoint": "/pronunciation-simple", "match": {"gold_text": "Hello"}, "response": \#(simple)}"#).status == 201)
        let matched = try server.upload("/pronunciation-simple", key: key.secret, fields: [("options", #"{"gold_text": "Hello"}"#)])
        #expect(matched.status == 200 && (matched.object["pronunciation"] as? [String: Any])?["feedback"] as? String == "stub")
        let unmatched = try server.upload("/pronunciation-simple", key: key.secret, fields: [("options", #"{"gold_text": "Goodbye"}"#)])
        #expect((unmatched.object["pronunciation"] as? [String: Any])?["feedback"] as? String != "stub")
        // Validation comes first: a request the real service refuses is refused, stub or not.
        #expect(try server.upload("/pronunciation-simple", key: key.secret).status == 400)
    }

    @Test func aResponseThatBreaksTheDocumented200_gets422() throws {
        let server = try InProcessServer()
        let cases: [(String, String)] = [
            (#"{"endpoint": "/transcribe", "response": {"text": "x", "text_type": "fr", "metadata": {}, "response_time_in_sec": 0}}"#,
             "response.text_type must be one of en, ko, codeswitched"),
            (#"{"endpoint": "/transcribe", "response": {"text": "x", "text_type": "en", "metadata": {}}}"#,
             "response.response_time_in_sec is required"),
            (#"{"endpoint": "/transcribe", "response": {"text": "x", "text_type": "en", "metadata": {}, "response_time_in_sec": 0, "extra": 1}}"#,
             "response.extra is not a field of this response"),
            (#"{"endpoint": "/analyze-native", "response": {"speech_components": []}}"#,
             "response.speech_components must have at least 1 item"),
            (#"{"endpoint": "/analyze-native", "response": {"speech_components": [{"type": "word", "word": "a", "start": 0, "end": 1, "score": 101, "is_correct": true, "is_stressed": false, "feedback": null, "syllables": [{"text": "a", "start": 0, "end": 1, "score": 50, "is_stressed": false, "phonemes": []}]}]}}"#,
             "response.speech_components[0].score must be from 0 to 100"),
            (#"{"endpoint": "/transcribe", "match": {"audio_sha256": "ABC"}, "response": {}}"#,
             "match.audio_sha256 must be 64 lowercase hex digits"),
            (#"{"endpoint": "/transcribe", "match": {"gold_text": "x"}, "response": {}}"#, "match.gold_text: /transcribe has no gold_text"),
            (#"{"endpoint": "/nope", "response": {}}"#, "endpoint must be one of"),
        ]
        for (json, detail) in cases {
            let response = try server.post("/v1/stubs", json: json)
            #expect(response.status == 422 && response.detail?.contains(detail) == true, "\(detail): \(response.detail ?? "")")
        }
    }


    private func runTool(_ path: String, input: [UInt8]) throws -> String? {
        return try ChildProcess.run(path, [], input: input).stdout
    }
}
