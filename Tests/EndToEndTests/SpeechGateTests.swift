import Foundation
import Testing
import TestSupport

/// The emulated API's gatekeeping, status by status, through the real binary.
@Suite("Emulated API: 401, 402, 429, 400 and 413 (the binary)", .keepsEvidence)
struct SpeechGateTests {
    static let gold = [("options", #"{"gold_text": "Wow, check out this castle."}"#)]

    @Test func inactiveKey_gets401_onTheVeryNextRequest_evenWhenTheCLIDeactivatesIt() throws {
        let server = try ServerProcess()
        let key = try server.createKey()
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try runCLI(["keys", "deactivate", key.id, "--db", server.databasePath]).status == 0)
        let refused = try server.upload("/transcribe", key: key.secret)
        #expect(refused.status == 401)
        #expect(refused.detail == "API key is inactive.")
    }

    @Test func declaredUploadOverTheLimit_gets413_beforeTheBody() throws {
        let server = try ServerProcess(arguments: ["--max-upload-mb", "1"])
        let key = try server.createKey().secret
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: \(2 * 1024 * 1024)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.detail == "Upload too large: the limit is 1 MiB.")
    }

    @Test func chunkedUploadOverTheLimit_getsTheSame413_withRateLimitHeaders() throws {
        let server = try ServerProcess(arguments: ["--max-upload-mb", "1"])
        let key = try server.createKey()
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key.secret)\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n")
        let partHead = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
        try client.send(String(partHead.utf8.count, radix: 16) + "\r\n" + partHead + "\r\n")
        let chunk = "10000\r\n" + String(repeating: "z", count: 65536) + "\r\n"
        for _ in 0..<20 { try? client.send(chunk) }
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.detail == "Upload too large: the limit is 1 MiB.")
        #expect(response.header("X-RateLimit-Limit") == "30")
    }
}
