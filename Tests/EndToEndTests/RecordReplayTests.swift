import Foundation
import Glibc
import Testing
import TestSupport

/// `serve --upstream URL --record DIR` and `serve --replay DIR`, with no network: the upstream is a
/// second theta-console serving HTTPS with a CA of its own, and the proxy trusts only that CA
/// (`--upstream-ca`). The upstream's key reaches the proxy through its environment alone.
@Suite("Record and replay: a proxy to a TLS upstream (the binary)", .keepsEvidence)
struct RecordReplayTests {
    /// An upstream theta-console over TLS, its key, and a proxy in front of it with a key of its own.
    struct Pair {
        let folder: TemporaryDirectory
        let upstream: ServerProcess
        let upstreamKey: (id: String, secret: String)
        let proxy: ServerProcess
        let key: (id: String, secret: String)
        let recordings: String

        init(upstreamArguments: [String] = ["--plan", "pro"], upstreamKeyExtra: String = "",
             proxyArguments: [String] = [], trustTheUpstream: Bool = true, upstreamURL: ((Int) -> String)? = nil) throws {
            folder = TemporaryDirectory()
            upstream = try ServerProcess(arguments: ["--tls-self-signed", folder.path + "/tls", "--tls-port", "0",
                                                     "--processing-timeout", String(3 * timeoutScale), "--allow-key-import"] + upstreamArguments,
                                         directory: folder)
            let (port, authority) = try upstream.secureEndpoint()
            upstreamKey = try upstream.createKey(name: "the real one", extra: upstreamKeyExtra)
            recordings = folder.path + "/recordings"
            var arguments = ["--plan", "pro", "--record-requests", "100",
                             "--upstream", upstreamURL?(port) ?? "https://localhost:\(port)", "--record", recordings,
                             "--upstream-key-env", "UPSTREAM_KEY_FOR_TEST"]
            if trustTheUpstream { arguments += ["--upstream-ca", authority] }
            let folderPath = folder.path + "/recordings"
            let proxyArguments = proxyArguments.map { $0 == "RECORDINGS" ? folderPath : $0 }
            proxy = try ServerProcess(arguments: arguments + proxyArguments, databasePath: folder.file("proxy.sqlite3"),
                                      directory: folder, environment: ["UPSTREAM_KEY_FOR_TEST": upstreamKey.secret])
            key = try proxy.createKey(name: "local")
        }

        var recordedFiles: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: recordings)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        }
    }

    static let gold = [("options", #"{"gold_text": "hello world"}"#)]

    /// The upstream's secret in none of: the files under the folder (recordings, the proxy's
    /// database and its logs), the proxy's audit log and journal, and the answers given.
    static func expectTheKeyIsNowhere(_ pair: Pair, answers: [WireResponse], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let secret = Array(pair.upstreamKey.secret.utf8)
        let enumerator = FileManager.default.enumerator(atPath: pair.folder.path)
        var checked = 0
        while let name = enumerator?.nextObject() as? String {
            let path = pair.folder.path + "/" + name
            // The upstream's own database holds the key's hash, never the key; its files are checked too.
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }
            checked += 1
            #expect(bytes.firstRange(of: secret) == nil, "the upstream key is in \(name)", sourceLocation: sourceLocation)
        }
        #expect(checked >= 4, sourceLocation: sourceLocation)
        for path in ["/v1/audit-events", "/v1/requests", "/v1/keys", "/v1/account"] where pair.proxy.process.isRunning {
            let answer = try pair.proxy.get(path)
            #expect(answer.status == 200 && answer.body.firstRange(of: secret) == nil, "\(path)", sourceLocation: sourceLocation)
        }
        for answer in answers {
            #expect(answer.body.firstRange(of: secret) == nil, "\(answer.text)", sourceLocation: sourceLocation)
            #expect(!answer.headers.contains { $0.value.contains(pair.upstreamKey.secret) }, sourceLocation: sourceLocation)
        }
    }

    @Test func aRecordingThroughATLSUpstream_replaysByteForByte_withTheRealKeyNowhere() throws {
        let pair = try Pair()
        let audio = AudioFiles.wav(seconds: 2)
        let requests: [(String, [(String, String)])] = [
            ("/transcribe", []),
            ("/transcribe", [("transcribe_options", #"{"suppress_korean": true}"#)]),
            ("/pronunciation-simple", Self.gold),
            ("/analyze-native", Self.gold),
        ]
        var recorded: [WireResponse] = []
        for (path, fields) in requests {
            let answer = try pair.proxy.upload(path, key: pair.key.secret, audio: audio, fields: fields)
            #expect(answer.status == 200, "\(path): \(answer.text)")
            #expect(answer.header("X-RateLimit-Limit") == "100")
            recorded.append(answer)
        }
        // One file per endpoint, audio and options; the two /transcribe differ by their options alone.
        let files = pair.recordedFiles
        #expect(files.count == 4, "\(files)")
        #expect(files.filter { $0.hasPrefix("transcribe-") }.count == 2)
        // The journal says the answers came from the upstream; the local key was billed 2 s each.
        let journal = try pair.proxy.get("/v1/requests?reason=upstream&status=200")
        #expect((journal.object["data"] as? [Any])?.count == 4, "\(journal.text)")
        try Self.expectTheKeyIsNowhere(pair, answers: recorded)
        // Stopped, its database and logs are whole on disk: the key is in none of them either.
        #expect(pair.proxy.stop() == 0)
        try Self.expectTheKeyIsNowhere(pair, answers: [])

        // A replaying server with no upstream and no key of the upstream's: the same bytes.
        let replay = try ServerProcess(arguments: ["--plan", "pro", "--replay", pair.recordings, "--replay-strict",
                                                   "--record-requests", "10"],
                                       databasePath: pair.folder.file("replay.sqlite3"), directory: pair.folder)
        let key = try replay.createKey()
        for ((path, fields), original) in zip(requests, recorded) {
            let again = try replay.upload(path, key: key.secret, audio: audio, fields: fields)
            #expect(again.status == 200)
            #expect(again.body == original.body, "\(path): \(again.text) vs \(original.text)")
        }
        #expect((try replay.get("/v1/requests?reason=replayed").object["data"] as? [Any])?.count == 4)
        // Strict: other audio has no recording, and the answer names what is missing.
        let other = AudioFiles.wav(seconds: 3)
        let missing = try replay.upload("/transcribe", key: key.secret, audio: other)
        #expect(missing.status == 404)
        let hash = SHA256Hex.of(other)
        #expect(missing.detail?.hasPrefix("No recording for /transcribe with audio_sha256 \(hash) and options_sha256 ") == true,
                "\(missing.text)")
        #expect(replay.stop() == 0)

        // Without --replay-strict the same request gets the emulated answer.
        let lenient = try ServerProcess(arguments: ["--plan", "pro", "--replay", pair.recordings],
                                        databasePath: pair.folder.file("lenient.sqlite3"), directory: pair.folder)
        let lenientKey = try lenient.createKey()
        let emulated = try lenient.upload("/transcribe", key: lenientKey.secret, audio: other)
        #expect(emulated.status == 200 && emulated.object["text"] as? String == "Welcome to Theta One AI!")
    }

    @Test func replayAndUpstreamTogether_answerFromRecordings_andFetchOnlyWhatIsMissing() throws {
        // One folder to replay from and record into, not there yet: the first run makes it.
        let pair = try Pair(upstreamArguments: ["--plan", "pro", "--record-requests", "100"],
                            proxyArguments: ["--replay", "RECORDINGS"])
        let first = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(first.status == 200, "\(first.text)")
        let again = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(again.status == 200 && again.body == first.body)
        let other = try pair.proxy.upload("/transcribe", key: pair.key.secret, audio: AudioFiles.wav(seconds: 2))
        #expect(other.status == 200)
        let reasons = (try pair.proxy.get("/v1/requests").object["data"] as? [[String: Any]])?.compactMap { $0["reason"] as? String }
        #expect(reasons == ["upstream", "replayed", "upstream"], "newest first: \(reasons ?? [])")
        // The upstream saw two requests, not three; both are recorded.
        #expect(try pair.upstream.get("/v1/requests/count").object["count"] as? Int == 2)
        #expect(pair.recordedFiles.count == 2)
        // A strict replay with an upstream makes no sense: the missing recording would be fetched.
        let strict = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--upstream", "https://localhost:1",
                                 "--replay", pair.recordings, "--replay-strict"], environment: ["THETA_ONE_API_KEY": "sk-theta-x"])
        #expect(strict.status != 0 && strict.stderr.contains("--replay-strict and --upstream exclude each other"), "\(strict.stderr)")
    }

    @Test func theUpstreamsRefusals_401_402_429_comeBackAsTheyAre() throws {
        // The upstream's account is on Free (no pronunciation) and its key allows 1 request a
        // minute; the proxy's account is on Pro, so every refusal below is the upstream's.
        let pair = try Pair(upstreamArguments: ["--plan", "free"], upstreamKeyExtra: #", "rate_limit_rpm": 1"#)
        var answers: [WireResponse] = []
        let plan = try pair.proxy.upload("/pronunciation-simple", key: pair.key.secret, fields: Self.gold)
        #expect(plan.status == 402, "\(plan.text)")
        #expect(plan.detail == "Your plan (Free) does not include /pronunciation-simple. Upgrade to Starter or higher.")
        #expect(plan.header("X-RateLimit-Limit") == "100", "the proxy's own rate-limit headers")
        let ok = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(ok.status == 200)
        let limited = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(limited.status == 429, "\(limited.text)")
        #expect(limited.detail == "Rate limit exceeded: at most 1 requests per minute for this API key.")
        #expect(limited.header("Retry-After").flatMap(Int.init) != nil, "the upstream's Retry-After is passed on")
        #expect(try pair.upstream.delete("/v1/keys/\(pair.upstreamKey.id)").status == 200)
        let inactive = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(inactive.status == 401 && inactive.detail == "API key is inactive.", "\(inactive.text)")
        answers += [plan, ok, limited, inactive]
        // Only the 200 was recorded; the refusals are in the journal under the upstream's statuses.
        #expect(pair.recordedFiles.count == 1)
        let journal = try pair.proxy.get("/v1/requests?reason=upstream")
        let statuses = (journal.object["data"] as? [[String: Any]])?.compactMap { $0["status"] as? Int }
        #expect(statuses == [401, 429, 200, 402], "newest first: \(journal.text)")
        try Self.expectTheKeyIsNowhere(pair, answers: answers)
    }

    @Test func anUpstreamThatFails_getsTheDocumentedStatuses_andNothingIsRecorded() throws {
        let pair = try Pair(proxyArguments: ["--upstream-timeout", String(timeoutScale)])
        var answers: [WireResponse] = []
        let balance = try pair.proxy.balanceText()
        // Cut off midway: the upstream's answer stops halfway through its body.
        #expect(try pair.upstream.addFault(#"{"endpoint": "*", "times": 1, "action": {"truncate": true}}"#).status == 201)
        let cut = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(cut.status == 502, "\(cut.text)")
        #expect(cut.detail?.hasPrefix("Bad gateway: the upstream service gave a broken answer (the answer was cut off after ") == true)
        // A timeout: the upstream holds the request 3 s; the proxy gives up after 1 (both scaled for sanitizers).
        #expect(try pair.upstream.addFault(#"{"endpoint": "*", "times": 1, "action": {"timeout": true}}"#).status == 201)
        let slow = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(slow.status == 504 && slow.detail == "Processing took too long: the request timed out.", "\(slow.text)")
        // A 5xx of the upstream's own is passed on as it is.
        #expect(try pair.upstream.addFault(#"{"endpoint": "*", "times": 1, "action": {"status": 500}}"#).status == 201)
        let broken = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(broken.status == 500 && broken.detail == "Internal server error.", "\(broken.text)")
        answers += [cut, slow, broken]
        #expect(pair.recordedFiles.isEmpty)
        let failed = try pair.proxy.get("/v1/requests?reason=upstream_failed")
        #expect((failed.object["data"] as? [Any])?.count == 2, "\(failed.text)")
        // None of these is billed: the balance is what the plan granted.
        #expect(try pair.proxy.balanceText() == balance)
        // Refused: nothing listens on the upstream's port any more.
        #expect(pair.upstream.stop() == 0)
        let refused = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(refused.status == 502, "\(refused.text)")
        #expect(refused.detail?.hasPrefix("Bad gateway: the upstream service could not be reached (") == true, "\(refused.text)")
        answers.append(refused)
        try Self.expectTheKeyIsNowhere(pair, answers: answers)
    }

    @Test func anUpstreamWhoseCertificateDoesNotVerify_isRefused_withTheReason() throws {
        // The proxy trusts the system's store, which has never heard of the upstream's local CA.
        let pair = try Pair(trustTheUpstream: false)
        let answer = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(answer.status == 502, "\(answer.text)")
        #expect(answer.detail?.contains("the certificate did not verify") == true, "\(answer.text)")
        #expect(pair.recordedFiles.isEmpty)
        // By its address, which the certificate names too, with the CA trusted, it works.
        let byAddress = try Pair(upstreamURL: { "https://127.0.0.1:\($0)" })
        #expect(try byAddress.proxy.upload("/transcribe", key: byAddress.key.secret).status == 200)
    }

    @Test func aRecordingThatHoldsAKey_isRefusedAndReported_andTheKeyIsTakenOutOfTheAnswer() throws {
        let pair = try Pair()
        // The upstream answers with its own key in the transcript (a stub on the upstream).
        let stub = #"{"endpoint": "/transcribe", "response": {"text": "say \#(pair.upstreamKey.secret) aloud", "text_type": "en", "metadata": {}, "response_time_in_sec": 0.1}}"#
        #expect(try pair.upstream.post("/v1/stubs", json: stub).status == 201)
        let answer = try pair.proxy.upload("/transcribe", key: pair.key.secret)
        #expect(answer.status == 200)
        #expect(answer.object["text"] as? String == "say [the upstream key was here] aloud", "\(answer.text)")
        #expect(pair.recordedFiles.isEmpty)
        #expect(waitUntil { pair.proxy.stderr.contains("recording refused: it holds an API key") }, "\(pair.proxy.stderr)")
        try Self.expectTheKeyIsNowhere(pair, answers: [answer])
    }

    @Test func badProxyOptions_stopStartUp_sayingWhy() throws {
        let plain = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--upstream", "http://localhost:1"],
                               environment: ["THETA_ONE_API_KEY": "sk-theta-x"])
        #expect(plain.status != 0 && plain.stderr.contains("--upstream: must start with https://"), "\(plain.stderr)")
        let noKey = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--upstream", "https://localhost:1",
                                "--upstream-key-env", "NO_SUCH_VARIABLE_HERE"])
        #expect(noKey.status != 0 && noKey.stderr.contains("the environment variable NO_SUCH_VARIABLE_HERE is not set"), "\(noKey.stderr)")
        let alone = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--record", "/tmp/x"])
        #expect(alone.status != 0 && alone.stderr.contains("--record and --upstream-ca need --upstream"), "\(alone.stderr)")
        let strict = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--replay-strict"])
        #expect(strict.status != 0 && strict.stderr.contains("--replay-strict needs --replay"), "\(strict.stderr)")
        let folder = TemporaryDirectory()
        let missingCA = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--upstream", "https://localhost:1",
                                    "--upstream-ca", folder.file("none.pem")], environment: ["THETA_ONE_API_KEY": "sk-theta-x"])
        #expect(missingCA.status != 0 && missingCA.stderr.contains("--upstream-ca: cannot read the certificate authority"),
                "\(missingCA.stderr)")
        try #"{"endpoint": "/transcribe", "match": {}}"#.write(toFile: folder.file("broken.json"), atomically: true, encoding: .utf8)
        let broken = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--replay", folder.path])
        #expect(broken.status != 0 && broken.stderr.contains("--replay: broken.json: response is required"), "\(broken.stderr)")
    }
}

/// SHA-256 in hex, through the system's sha256sum (the test target links no crypto).
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        let folder = TemporaryDirectory()
        let file = folder.file("input")
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let result = try? ChildProcess.run("/usr/bin/sha256sum", [file])
        return String(result?.stdout.prefix(64) ?? "")
    }
}
