@testable import ThetaConsole
import Foundation
import HTTPServer
import Testing

/// The recording proxy's pieces in process: the upstream's URL, the options' fingerprint, the
/// leak check a recording must pass, and a recording read back with its body's exact bytes.
@Suite("Record and replay: files and checks")
struct RecordingTests {
    @Test func upstreamURLs_areHTTPSOnly_withAHostAPortAndABasePath() throws {
        let real = try UpstreamURL("https://stt.thetaone-ai.com")
        #expect(real.host == "stt.thetaone-ai.com" && real.port == 443 && real.basePath == "" && real.description == "https://stt.thetaone-ai.com")
        let local = try UpstreamURL("https://LOCALHOST:8443/base/")
        #expect(local.host == "localhost" && local.port == 8443 && local.basePath == "/base")
        let six = try UpstreamURL("https://[::1]:9443")
        #expect(six.host == "::1" && six.port == 9443 && six.description == "https://[::1]:9443")
        for bad in ["http://localhost", "https://", "https://user:pw@host", "https://host/?q=1", "https://host:0", "https://host:x",
                    "https://[::1"] {
            #expect(throws: UpstreamURL.Invalid.self, "\(bad)") { try UpstreamURL(bad) }
        }
    }

    @Test func theOptionsFingerprint_changesWithAnyTextPart_andNotWithTheirOrder() {
        let a = Recording.optionsSHA256(["options": Array(#"{"gold_text":"hi"}"#.utf8)])
        let b = Recording.optionsSHA256(["options": Array(#"{"gold_text":"ho"}"#.utf8)])
        let none = Recording.optionsSHA256([:])
        #expect(a != b && a != none && a.count == 64)
        // An empty part is a part: it differs from none.
        #expect(Recording.optionsSHA256(["options": []]) != none)
        // Length-prefixed: moving bytes between the name and the value changes the hash.
        #expect(Recording.optionsSHA256(["options": Array("x".utf8)]) != Recording.optionsSHA256(["optionsx": []]))
        let two = ["options": Array("1".utf8), "native_speech_components_json": Array("2".utf8)]
        #expect(Recording.optionsSHA256(two) == Recording.optionsSHA256(Dictionary(uniqueKeysWithValues: two.reversed())))
    }

    @Test func aRecordingWithAKeyInIt_isRefused_andOneWithoutPasses() throws {
        let key = "sk-theta-" + String(repeating: "A", count: 24)
        let clean = Array(#"{"text":"hello"}"#.utf8)
        #expect(Recording.leak(in: clean, upstreamKey: Array(key.utf8)) == nil)
        #expect(Recording.leak(in: Array(#"{"text":"\#(key)"}"#.utf8), upstreamKey: Array(key.utf8)) == "it holds the upstream key")
        // Any other token shaped like a Theta One key, even one we were never given.
        let other = Recording.leak(in: Array(#"{"text":"sk-theta-0123456789abcdefXYZ"}"#.utf8), upstreamKey: Array(key.utf8))
        #expect(other?.hasPrefix("it holds a token shaped like a Theta One key (sk-theta-0123…)") == true, "\(other ?? "")")
        // The prefix alone, or a short tail, is prose.
        #expect(Recording.leak(in: Array("keys start sk-theta- and sk-theta-abc".utf8), upstreamKey: []) == nil)
        // The upstream key is taken out of an answer wherever it appears.
        let (scrubbed, found) = Upstream.removing(Array(key.utf8), from: Array("a \(key) b \(key)".utf8))
        #expect(found && String(decoding: scrubbed, as: UTF8.self) == "a [the upstream key was here] b [the upstream key was here]")
    }

    @Test func aRecording_isReadBackWithItsBodyByteForByte_andMatchedLikeAStub() throws {
        let request = Recording.Request(filename: "a.wav", audioSHA256: String(repeating: "a", count: 64),
                                        optionsSHA256: Recording.optionsSHA256([:]), texts: [:])
        // Spacing and escapes a compact re-encoding would change.
        let body = Array("{ \"text\" : \"caf\\u00e9 \\/ 1.50\", \"text_type\":\"en\",\"metadata\":{},\"response_time_in_sec\":1.50 }".utf8)
        let file = Recording.file(.transcribe, request, upstream: "https://stt.thetaone-ai.com", at: Date(timeIntervalSince1970: 0),
                                  response: body)
        let entry = try ReplayBook.entry(file, file: "x.json")
        #expect(entry.body == body)
        #expect(entry.endpoint == .transcribe && entry.audioSHA256 == request.audioSHA256 && entry.filename == nil)
        let book = ReplayBook(entries: [entry], strict: true)
        #expect(book.match(.transcribe, request)?.file == "x.json")
        #expect(book.match(.pronunciation, request) == nil)
        let otherAudio = Recording.Request(filename: "a.wav", audioSHA256: String(repeating: "b", count: 64),
                                           optionsSHA256: request.optionsSHA256, texts: [:])
        #expect(book.match(.transcribe, otherAudio) == nil)
        #expect(Recording.fileName(.pronunciationSimple, request).hasPrefix("pronunciation-simple-aaaaaaaaaaaaaaaa-"))

        #expect(throws: ReplayBook.LoadError.self) { try ReplayBook.entry(Array(#"{"endpoint":"/x","match":{},"response":{}}"#.utf8), file: "y") }
        #expect(throws: ReplayBook.LoadError.self) {
            try ReplayBook.entry(Array(#"{"endpoint":"/transcribe","match":{"audio_sha256":"nothex"},"response":{}}"#.utf8), file: "y")
        }
    }

    @Test func anUpstreamAnswer_isPassedOnAsJSON_withoutTheKey_orBecomesA502() {
        let key = Array("sk-theta-the-real-one-0123456789".utf8)
        func outcome(_ status: Int, _ type: String?, _ body: String, retryAfter: String? = nil) -> (Upstream.Outcome, hadKey: Bool) {
            var headers: [(name: String, value: String)] = []
            if let type { headers.append(("Content-Type", type)) }
            if let retryAfter { headers.append(("Retry-After", retryAfter)) }
            return Upstream.outcome(of: HTTPSClient.Answer(status: status, headers: headers, body: Array(body.utf8)), key: key)
        }
        guard case (.answered(429, let body, "7"), false) = outcome(429, "application/json", #"{"detail":"slow down"}"#, retryAfter: "7") else {
            Issue.record("a JSON 429 was not passed on")
            return
        }
        #expect(body == Array(#"{"detail":"slow down"}"#.utf8))
        // A load balancer's HTML page is no answer of the service's.
        guard case (.failed(502, let detail), false) = outcome(502, "text/html; charset=utf-8", "<html>bad gateway</html>") else {
            Issue.record("an HTML 502 was passed on")
            return
        }
        #expect(detail == "Bad gateway: the upstream service answered 502 with text/html; charset=utf-8, not JSON.")
        guard case (.failed(502, let none), false) = outcome(500, nil, "oops") else {
            Issue.record("an answer without a Content-Type was passed on")
            return
        }
        #expect(none == "Bad gateway: the upstream service answered 500 with no Content-Type, not JSON.")
        // The key is taken out of any answer that echoes it, and the caller told.
        guard case (.answered(401, let echoed, nil), true) = outcome(401, "application/json",
                                                                     #"{"detail":"bad key sk-theta-the-real-one-0123456789"}"#) else {
            Issue.record("an answer that echoes the key was not flagged")
            return
        }
        #expect(String(decoding: echoed, as: UTF8.self) == #"{"detail":"bad key [the upstream key was here]"}"#)
        // Failures of the exchange itself.
        guard case .failed(504, SpeechErrors.processingTimeout) = Upstream.outcome(of: .timedOut),
              case .failed(502, let refused) = Upstream.outcome(of: .unreachable("localhost:1: Connection refused")) else {
            Issue.record("an exchange's failure got the wrong status")
            return
        }
        #expect(refused == "Bad gateway: the upstream service could not be reached (localhost:1: Connection refused).")
    }
}
