import Foundation
import Testing
import TestSupport

/// Uploads as clients other than curl and Python send them, byte for byte, through the server's own
/// connection over a socketpair: a browser's form data, and a chunked body. curl and Python's
/// requests themselves run against the binary (EndToEndTests/ClientCompatibilityTests).
@Suite("Emulated API: uploads as other clients send them", .onOwnThreads)
struct ClientCompatibilityTests {
    @Test func browserStyleFormData_works() throws {
        let server = try InProcessServer()
        let key = try server.createKey().secret
        var form = MultipartBody(boundary: "----WebKitFormBoundary7MA4YWxkTrZu0gW")
        form.addFile(AudioFiles.wav(seconds: 1))
        form.addText("transcribe_options", #"{"suppress_korean": false}"#)
        let response = try server.connection().request("POST", "/transcribe",
                                                       headers: ["x-api-key": key, "Content-Type": form.contentType,
                                                                 "Origin": "http://localhost:3000"], body: form.finished())
        #expect(response.status == 200)
        #expect(response.object["text"] as? String == "Welcome to Theta One AI!")
    }

    @Test func chunkedUpload_works() throws {
        let server = try InProcessServer()
        let key = try server.createKey().secret
        let body = MultipartBody.upload(AudioFiles.wav(seconds: 3)).finished()
        let client = try server.connection()
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\nContent-Type: \(MultipartBody().contentType)\r\nTransfer-Encoding: chunked\r\n\r\n")
        var offset = 0
        while offset < body.count {
            let piece = Array(body[offset..<min(body.count, offset + 7_777)])
            try client.send(Array(String(piece.count, radix: 16).utf8) + Array("\r\n".utf8) + piece + Array("\r\n".utf8))
            offset += piece.count
        }
        try client.send("0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        let ledger = { try server.get("/v1/account/ledger").object["data"] as? [[String: Any]] ?? [] }
        #expect(try ledger().first?["audio_seconds"] as? Int == 3)  // read-your-writes: no waiting
    }
}
