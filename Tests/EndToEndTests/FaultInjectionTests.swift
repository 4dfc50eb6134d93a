import Foundation
import Glibc
import Testing
import TestSupport

/// `/v1/faults`: a test suite makes the emulated API fail on demand, through the real binary.
@Suite("Fixture: fault injection (the binary)", .keepsEvidence)
struct FaultInjectionTests {
    @Test func aReset_closesWithRST_andATruncation_sendsHalfAndCloses() throws {
        let server = try ServerProcess(arguments: ["--plan", "pro"])
        let key = try server.createKey()
        #expect(try server.addFault(#"{"endpoint": "/transcribe", "times": 1, "action": {"reset": true}}"#).status == 201)
        #expect(throws: ClientError.self) { try server.upload("/transcribe", key: key.secret) }

        #expect(try server.addFault(#"{"endpoint": "/transcribe", "times": 1, "action": {"truncate": true}}"#).status == 201)
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 1))
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key.secret)\r\nContent-Type: \(body.contentType)\r\n"
                        + "Content-Length: \(body.finished().count)\r\n\r\n")
        try client.send(body.finished())
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(client.fd, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            received += chunk[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        let declared = try #require(text.range(of: #"Content-Length: (\d+)"#, options: .regularExpression)
            .flatMap { Int(text[$0].split(separator: " ")[1]) })
        let bodyStart = try #require(text.range(of: "\r\n\r\n")).upperBound
        let got = text[bodyStart...].utf8.count
        #expect(text.hasPrefix("HTTP/1.1 200 OK") && got < declared, "\(got) of \(declared) body bytes")
        // Neither is billed or counted; the next request is answered in full.
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.get("/v1/keys/\(key.id)").object["requests_2xx"] as? Int == 1)
    }

}
