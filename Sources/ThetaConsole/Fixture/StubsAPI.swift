import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/stubs`: create, list and remove response stubs (admin token required), and
/// `serve --stubs FILE`, which loads a JSON array of the same objects at start-up.
struct StubsAPI: Sendable {
    let kit: RouteKit
    let book: StubBook
    let clock: any Clock

    static let fields: Set<String> = ["endpoint", "match", "response"]
    static let matchFields: Set<String> = ["filename", "gold_text", "audio_sha256"]

    func register(in router: inout RouterBuilder) {
        book.stubs.register(in: &router, kit: kit, path: "/v1/stubs", noun: "stub", plural: "stubs") { [clock] request in
            try Self.stub(try JSONBody.object(request.body, allowed: Self.fields), clock: clock)
        }
    }

    /// A stub from its JSON object; every problem is a 422 naming the field.
    static func stub(_ body: JSONValue, clock: any Clock) throws -> StubBook.Stub {
        if case .object(let members) = body, let unknown = members.first(where: { !fields.contains($0.0) }) {
            throw HTTPError(422, "unknown field \(unknown.0.debugDescription.prefix(80))")
        }
        guard let name = body["endpoint"]?.stringValue, let endpoint = EmulatedEndpoint(rawValue: name) else {
            throw HTTPError(422, "endpoint must be one of \(EmulatedEndpoint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var match = StubBook.Match()
        if let value = body["match"], !value.isNull {
            guard case .object(let members) = value else { throw HTTPError(422, "match must be an object") }
            if let unknown = members.first(where: { !matchFields.contains($0.0) }) {
                throw HTTPError(422, "match: unknown field \(unknown.0.debugDescription.prefix(80))")
            }
            func text(_ field: String) throws -> String? {
                guard let item = value[field], !item.isNull else { return nil }
                guard let string = item.stringValue else { throw HTTPError(422, "match.\(field) must be a string") }
                return string
            }
            match.filename = try text("filename")
            match.goldText = try text("gold_text")
            if let hash = try text("audio_sha256") {
                guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    throw HTTPError(422, "match.audio_sha256 must be 64 lowercase hex digits")
                }
                match.audioSHA256 = hash
            }
            if match.goldText != nil && endpoint == .transcribe {
                throw HTTPError(422, "match.gold_text: /transcribe has no gold_text")
            }
        }
        guard let response = body["response"] else { throw HTTPError(422, "response is required") }
        if let problem = ResponseSchema.ok(endpoint).problem(with: response) {
            throw HTTPError(422, "response does not match the documented 200 of \(endpoint.rawValue): \(problem)")
        }
        let id = "stb_" + (try SecureRandom.base62(20))
        let now = Date(timeIntervalSince1970: clock.now().timeIntervalSince1970.rounded(.down))
        return StubBook.Stub(id: id, endpoint: endpoint, match: match, response: response, createdAt: now)
    }

    /// `serve --stubs`: every stub in the file, or an error naming the entry.
    static func load(_ bytes: [UInt8], clock: any Clock) throws -> [StubBook.Stub] {
        struct LoadError: Error, CustomStringConvertible {
            let description: String
        }
        guard case .array(let entries)? = try? JSONParser.parse(bytes) else {
            throw LoadError(description: "--stubs: the file must hold a JSON array of stubs")
        }
        guard entries.count <= StubBook.maxStubs else { throw LoadError(description: "--stubs: at most \(StubBook.maxStubs) stubs") }
        return try entries.enumerated().map { index, entry in
            do {
                return try stub(entry, clock: clock)
            } catch let error as HTTPError {
                throw LoadError(description: "--stubs: entry \(index): \(error.detail)")
            }
        }
    }
}
