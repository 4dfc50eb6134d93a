import FoundationEssentials
import KeyStore

/// Response stubs for test suites (`/v1/stubs`, `serve --stubs`): a matching request's 200 carries
/// the stub's body instead of the emulator's. Everything else stays as for a real 200: the gates
/// before it, the 400s, the billing and the headers. In memory only.
final class StubBook: Sendable {
    static let maxStubs = 100

    struct Match: Sendable, Equatable {
        var filename: String?
        var goldText: String?
        /// 64 lowercase hex digits.
        var audioSHA256: String?
    }

    struct Stub: FixtureRule {
        let id: String
        let endpoint: EmulatedEndpoint
        let match: Match
        /// The `response` as given, re-encoded compactly; checked against the endpoint's 200 schema.
        let response: JSONValue
        let createdAt: Date
        var hits = 0
    }

    /// What a finished upload offers for matching.
    struct Request {
        let filename: String?
        let goldText: String?
        let audioSHA256: String?
    }

    let stubs = RuleList<Stub>(capacity: maxStubs)

    /// Whether some stub for `endpoint` matches on the audio's hash (so the upload must hash it).
    func needsAudioHash(_ endpoint: EmulatedEndpoint) -> Bool {
        stubs.all.contains { $0.endpoint == endpoint && $0.match.audioSHA256 != nil }
    }

    /// The body of the first stub (oldest first) for `endpoint` whose every given field matches.
    func body(for endpoint: EmulatedEndpoint, _ request: Request) -> [UInt8]? {
        stubs.update { all in
            for index in all.indices where all[index].endpoint == endpoint {
                let match = all[index].match
                if let filename = match.filename, filename != request.filename { continue }
                if let goldText = match.goldText, goldText != request.goldText { continue }
                if let hash = match.audioSHA256, hash != request.audioSHA256 { continue }
                all[index].hits += 1
                return all[index].response.encoded
            }
            return nil
        }
    }
}

extension StubBook.Stub {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("endpoint", endpoint.rawValue)
        json.beginObject("match")
        if let filename = match.filename { json.field("filename", filename) }
        if let goldText = match.goldText { json.field("gold_text", goldText) }
        if let hash = match.audioSHA256 { json.field("audio_sha256", hash) }
        json.endObject()
        json.field("response", raw: String(decoding: response.encoded, as: UTF8.self))
        json.field("hits", hits)
        json.field("created_at", RFC3339.string(from: createdAt))
        json.endObject()
    }
}
