import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Graceful shutdown", .keepsEvidence)
struct ShutdownTests {
    @Test func sigterm_letsARequestInFlightFinish_thenExits0() throws {
        let server = try ServerProcess()
        let body = #"{"name": "in flight"}"#
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(server.adminToken!)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        let idle = try RawHTTPClient(port: server.port)
        #expect(try idle.request("GET", "/healthz").status == 200)

        server.signal(SIGTERM)
        // Draining starts: the idle connection is closed (waitForClose waits for it, up to 10 s).
        #expect(idle.waitForClose())
        try client.send(body)
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.header("Connection") == "close")
        #expect(server.stop(signal: 0) == 0)
        #expect(server.stderr.contains("stopped"))

        // The key created during shutdown is durable.
        let list = try runCLI(["keys", "list", "--json", "--db", server.databasePath])
        #expect(list.stdout.contains("in flight"))
    }

    @Test func sigint_stopsAnIdleServer_withExit0() throws {
        let server = try ServerProcess()
        #expect(try RawHTTPClient.request(port: server.port, "GET", "/healthz").status == 200)
        #expect(server.stop(signal: SIGINT) == 0)
        #expect((try? RawHTTPClient(port: server.port)) == nil)
    }

    /// A signal the instant the server says it is listening must not be lost (it once was: a
    /// Dispatch signal source registers asynchronously, after the signal was set to be ignored).
    @Test func sigtermRightAfterTheListeningLine_isNeverLost() throws {
        for round in 0..<10 {
            let server = try ServerProcess()
            #expect(server.stop(signal: SIGTERM, timeout: 15) == 0, "round \(round)")
        }
    }
}
