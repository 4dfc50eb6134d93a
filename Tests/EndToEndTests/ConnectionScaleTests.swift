import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Many connections", .keepsEvidence)
struct ConnectionScaleTests {
    /// The event loop must hold a thousand keep-alive connections, idle or trickling, and still
    /// answer a normal client.
    @Test func thousandIdleAndTricklingConnections_doNotStopService() throws {
        raiseOpenFileLimit()
        let server = try ServerProcess()
        var idle: [RawHTTPClient] = []
        for i in 0..<1000 {
            let client = try RawHTTPClient(port: server.port)
            // A quarter of them start a request and stop mid-head, like slowloris.
            if i % 4 == 0 { try client.send("GET /healthz HTTP/1.1\r\nHo") }
            idle.append(client)
        }
        for round in 0..<20 {
            let response = try RawHTTPClient.request(port: server.port, "GET", "/healthz")
            #expect(response.status == 200, "round \(round)")
        }
        #expect(try server.get("/v1/keys").status == 200)
        // The held connections are all still served.
        for client in idle.enumerated().filter({ $0.offset % 4 != 0 }).prefix(50).map(\.element) {
            #expect(try client.request("GET", "/healthz").status == 200)
        }
        for client in idle.enumerated().filter({ $0.offset % 4 == 0 }).prefix(20).map(\.element) {
            try client.send("st: localhost\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        #expect(idle.count == 1000)
    }
}

func raiseOpenFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
