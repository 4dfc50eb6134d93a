import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// `POST /v1/reset` while uploads run on other connections of the real binary (what a reset clears,
/// and the recorded requests, are tested in process: ThetaConsoleTests/FixtureStateTests).
@Suite("Fixture: reset under concurrent requests (the binary)", .keepsEvidence)
struct FixtureStateTests {

    @Test func resetUnderConcurrentRequests_neverShowsHalfAResetState() throws {
        let server = try ServerProcess(arguments: ["--allow-reset", "--plan", "enterprise", "--credits", "100",
                                                   "--max-key-rpm", "100000"])
        let key = try server.createKey(extra: #", "rate_limit_rpm": 100000"#)
        let statuses = Mutex<[Int]>([])
        let stop = Atomic<Bool>(false)
        let clients = ThreadGroup(4) { _ in
            while !stop.load(ordering: .relaxed) {
                let status = (try? server.upload("/transcribe", key: key.secret).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        // Reset while uploads are running: after some have been answered 200, and until some 401.
        func waitFor(_ status: Int) {
            waitUntil { statuses.withLock { $0.contains(status) } }
        }
        waitFor(200)
        let reset = try RawHTTPClient.request(port: server.port, "POST", "/v1/reset", headers: server.authorization)
        waitFor(401)
        stop.store(true, ordering: .relaxed)
        clients.wait()
        #expect(reset.status == 204)
        let seen = statuses.withLock { $0 }
        // Before the reset 200, after it 401; nothing else (no 402 from a half-reset balance, no 5xx).
        #expect(Set(seen).isSubset(of: [200, 401]), "\(Set(seen))")
        #expect(seen.contains(200) && seen.contains(401))
        // No charge from before the reset lands after it: the ledger is the new account's grant.
        let ledger = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []
        #expect(ledger.map { $0["kind"] as? String } == ["grant"], "\(ledger.count) entries")
        #expect(try server.get("/v1/account").text.contains(#""balance":100,"#), "the start balance (--credits)")
    }
}
