import Foundation
import Testing
import TestSupport

/// What only a connection can show of key validation: the rest runs in process (ThetaConsoleTests).
@Suite("Admin API: a body over the limit, on the wire", .keepsEvidence)
struct ValidationWireTests {
    @Test func bodyOver64KiB_gets413BeforeItIsRead() throws {
        let server = try ServerProcess()
        let client = try RawHTTPClient(port: server.port)
        // Only the head is sent: the 413 must come without the body.
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nContent-Length: \(64 * 1024 + 1)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
    }
}
