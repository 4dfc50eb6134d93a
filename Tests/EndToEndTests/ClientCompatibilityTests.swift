import Foundation
import Testing
import TestSupport

/// Clients written for the real service work unchanged with only the base URL swapped: curl and
/// Python's requests against the binary (a browser's form data and a chunked body, byte for byte,
/// run in process: ThetaConsoleTests/ClientCompatibilityTests).
@Suite("Emulated API: real clients, unchanged", .keepsEvidence)
struct ClientCompatibilityTests {
    /// Runs a program to completion and returns its stdout (the key travels in the environment,
    /// never on a command line another process could read, and never in the test's output).
    private func run(_ tool: String, _ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try ChildProcess.run("/usr/bin/env", [tool] + arguments,
                                          environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        return (result.status, result.stdout, result.stderr)
    }

    @Test func docsQuickstartCurl_works() throws {
        let server = try ServerProcess()
        let key = try server.createKey().secret
        let directory = TemporaryDirectory()
        let audio = directory.file("audio.wav")
        // Over 1 MiB, so curl sends Expect: 100-continue as it does for large files.
        try Data(AudioFiles.wav(seconds: 40)).write(to: URL(fileURLWithPath: audio))
        let result = try run("sh", ["-c", """
            cd "$DIR" && curl -sS -X POST "$BASE/transcribe" -H "x-api-key: $THETA_ONE_API_KEY" -F 'file=@audio.wav;type=audio/wav' -w '\\n%{http_code}'
            """], environment: ["DIR": directory.path, "BASE": "http://127.0.0.1:\(server.port)", "THETA_ONE_API_KEY": key])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last == "200")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(lines.first!.utf8)) as? [String: Any])
        #expect(body["text"] as? String == "Welcome to Theta One AI!")
        #expect(body["text_type"] as? String == "en")
        #expect((body["metadata"] as? [String: Any])?.isEmpty == true)
        #expect(body["response_time_in_sec"] is Double)
    }

    @Test func pythonRequestsSnippet_works() throws {
        let server = try ServerProcess(arguments: ["--plan", "starter"])
        let key = try server.createKey().secret
        let directory = TemporaryDirectory()
        try Data(AudioFiles.wav(seconds: 2)).write(to: URL(fileURLWithPath: directory.file("audio.wav")))
        let script = """
            import json, os, requests
            BASE_URL = os.environ["BASE"]
            headers = {"x-api-key": os.environ["THETA_ONE_API_KEY"]}
            with open(os.path.join(os.environ["DIR"], "audio.wav"), "rb") as f:
                r = requests.post(f"{BASE_URL}/transcribe", headers=headers, files={"file": ("audio.wav", f, "audio/wav")}, timeout=30)
            r.raise_for_status()
            t = r.json()
            with open(os.path.join(os.environ["DIR"], "audio.wav"), "rb") as f:
                r = requests.post(f"{BASE_URL}/pronunciation-simple", headers=headers,
                                  files={"file": ("audio.wav", f, "audio/wav")},
                                  data={"options": json.dumps({"gold_text": "Wow, check out this castle.", "language": "en"})}, timeout=30)
            print(json.dumps({"transcribe": t, "status": r.status_code, "simple": r.json()}))
            """
        let result = try run("python3", ["-c", script], environment: [
            "BASE": "http://127.0.0.1:\(server.port)", "THETA_ONE_API_KEY": key, "DIR": directory.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((output["transcribe"] as? [String: Any])?["text"] as? String == "Welcome to Theta One AI!")
        #expect(output["status"] as? Int == 200)
        let simple = try #require(output["simple"] as? [String: Any])
        #expect(simple["stress"] is NSNull && simple["pause"] is NSNull && simple["speed"] is NSNull)
        #expect(simple["user_speech_components"] is [Any])
    }
}
