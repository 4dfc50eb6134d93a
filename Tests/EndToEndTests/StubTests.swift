import Foundation
import Glibc
import Testing
import TestSupport

/// `/v1/stubs` and `serve --stubs`: a matching 200 carries the stub's body; the rest is a real 200.
@Suite("Fixture: response stubs (the binary)", .keepsEvidence)
struct StubTests {
    static let korean = #"{"text": "안녕하세요, 세타원입니다", "text_type": "ko", "metadata": {}, "response_time_in_sec": 0.25}"#

    @Test func stubsLoadAtStartUp_andGoWithDeleteAndReset() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("stubs.json")
        try #"[{"endpoint": "/transcribe", "response": \#(Self.korean)}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--stubs", file, "--allow-reset", "--plan", "pro"], directory: directory)
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).object["text_type"] as? String == "ko")
        let id = try #require((try server.get("/v1/stubs").object["data"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(try server.delete("/v1/stubs/\(id)").status == 204)
        #expect(try server.upload("/transcribe", key: key.secret).object["text_type"] as? String == "en")
        #expect(try server.post("/v1/stubs", json: #"{"endpoint": "/transcribe", "response": \#(Self.korean)}"#).status == 201)
        #expect(try RawHTTPClient.request(port: server.port, "POST", "/v1/reset", headers: server.authorization).status == 204)
        #expect((try server.get("/v1/stubs").object["data"] as? [Any])?.isEmpty == true)

        try #"[{"endpoint": "/transcribe", "response": {"text": 1}}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try runCLI(["serve", "--port", "0", "--db", ":memory:", "--stubs", file])
        #expect(bad.status != 0 && bad.stderr.contains("--stubs: entry 0: response does not match"))
    }
}
