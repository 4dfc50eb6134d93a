import FoundationEssentials
import HTTPServer
import KeyStore
import Logging
import Testing
@testable import ThetaConsole

/// `POST /v1/keys` and `serve --seed-keys` read a key through one parser, `KeySpecJSON`: a body the
/// API refuses with a 422 stops a seed file with the same message after `entry N:`.
@Suite struct KeySpecJSONTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let secret = try! APIKeyFormat.generate()

    /// Bodies the API refuses, each with the 422 `detail` it answers (import allowed, max RPM 100).
    static let refused: [(body: String, detail: String)] = [
        (#"{"name": 5}"#, "name must be a string"),
        (#"{"name": "a", "expires_at": 5}"#, "expires_at must be a string"),
        (#"{"name": "a", "rate_limit_rpm": "fast"}"#, KeySpecError.rateLimitRange(maxRPM: 100).message),
        (#"{"name": "a", "rate_limit_rpm": 101}"#, KeySpecError.rateLimitRange(maxRPM: 100).message),
        (#"{"name": "a", "allowed_cidrs": "10.0.0.0/8"}"#, KeySpecError.allowedCIDRsCount.message),
        (#"{"name": "a", "allowed_cidrs": [7]}"#, "allowed_cidrs[0] must be a string such as 10.0.0.0/8"),
        (#"{"name": "a", "key": 7}"#, "key must be a string"),
        (#"{"name": "a", "key": "sk-theta-short"}"#, KeySpecError.keyMalformed.message),
        (#"{"name": "a", "colour": "red"}"#, #"unknown field "colour""#),
        (#"{"name": "  "}"#, KeySpecError.nameLength.message),
    ]

    @Test(arguments: refused)
    func theAPIAndTheSeedFile_refuseAnEntryWithOneMessage(body: String, detail: String) throws {
        let value = try JSONParser.parse(Array(body.utf8))
        #expect(throws: HTTPError.self) {
            _ = try KeySpecJSON(value, importAllowed: true, maxKeyRPM: 100, now: Self.now)
        }
        do {
            _ = try KeySpecJSON(value, importAllowed: true, maxKeyRPM: 100, now: Self.now)
        } catch {
            #expect(error.status == 422 && error.detail == detail)
        }

        // The seed file: the same entry, with a well-formed key added when it has none.
        let entry = body.contains(#""key""#) ? body : #"{"key": "\#(Self.secret)", "# + body.dropFirst()
        let seed = Array("[\(entry)]".utf8)
        let app = try Self.app()
        #expect(throws: (any Error).self) { _ = try app.seedKeys(json: seed) }
        do {
            _ = try app.seedKeys(json: seed)
        } catch {
            #expect("\(error)" == "--seed-keys: entry 0: \(detail)")
        }
    }

    @Test func importing_isRefusedUnlessAllowed_andAMissingSecretStopsASeedFile() throws {
        let value = try JSONParser.parse(Array(#"{"name": "ci", "key": "\#(Self.secret)"}"#.utf8))
        #expect(throws: HTTPError.self) { _ = try KeySpecJSON(value, importAllowed: false, maxKeyRPM: 100, now: Self.now) }
        let fields = try KeySpecJSON(value, importAllowed: true, maxKeyRPM: 100, now: Self.now)
        #expect(fields.secret == Self.secret && fields.spec.name == "ci")

        let app = try Self.app()
        #expect(throws: (any Error).self) { _ = try app.seedKeys(json: Array(#"[{"name": "ci"}]"#.utf8)) }
        do {
            _ = try app.seedKeys(json: Array(#"[{"name": "ci"}]"#.utf8))
        } catch {
            #expect("\(error)" == "--seed-keys: entry 0: key is required")
        }
    }

    static func app() throws -> ThetaConsoleApp {
        let store = try KeyStore(path: ":memory:", clock: ManualClock(now))
        return try ThetaConsoleApp(store: store, configuration: AppConfiguration(), logger: Logger(label: "test"))
    }
}
