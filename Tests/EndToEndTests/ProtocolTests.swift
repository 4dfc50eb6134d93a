import Foundation
import Glibc
import Testing
import TestSupport

/// The connection cap of the real server, over a real socket (the rest of HTTP/1.1 on the wire runs
/// in process, over a socketpair: ThetaConsoleTests/ProtocolTests).
@Suite("HTTP/1.1 on the wire (the binary: the connection cap)", .keepsEvidence)
struct ProtocolTests {
    @Test func connectionsOverTheCap_get503() throws {
        let server = try ServerProcess(arguments: ["--max-connections", "2"])
        let a = try RawHTTPClient(port: server.port)
        let b = try RawHTTPClient(port: server.port)
        #expect(try a.request("GET", "/healthz").status == 200)
        #expect(try b.request("GET", "/healthz").status == 200)
        let c = try RawHTTPClient(port: server.port)
        try? c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try c.readResponse().status == 503)
        withExtendedLifetime((a, b)) {}
    }
}
