import Foundation
import Glibc
import Testing
import TestSupport

/// When the database cannot grow, writes get a clear 507 with nothing half-written, reads and the
/// emulated API keep working, and writes work again once space returns.
@Suite("Fault: full disk", .serialized, .onOwnThreads)
struct FullDiskTests {
    @Test func databaseCap_gets507_andKeepsServingReads() throws {
        let server = try InProcessServer(arguments: ["--max-db-mb", "1", "--plan", "enterprise"])
        var last = 0
        for i in 0..<2000 {
            last = try server.post("/v1/keys", json: #"{"name": "cap \#(i) \#(String(repeating: "y", count: 90))"}"#).status
            if last != 201 { break }
        }
        #expect(last == 507)
        #expect(try server.get("/v1/keys?limit=5").status == 200)
        #expect(try server.get("/v1/account").status == 200)
    }
}
