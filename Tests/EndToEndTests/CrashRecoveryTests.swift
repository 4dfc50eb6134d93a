import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// kill -9 in the middle of creates and deactivations must lose nothing that was acknowledged.
@Suite("Fault: kill -9 during writes", .serialized, .keepsEvidence)
struct CrashRecoveryTests {
    /// What the clients were told, across all runs.
    private final class Acknowledged: Sendable {
        let state = Mutex<(created: [String: String], deactivated: Set<String>, attempted: Set<String>)>(([:], [], []))

        func created(_ id: String, _ secret: String) { state.withLock { $0.created[id] = secret } }
        var createdCount: Int { state.withLock { $0.created.count } }
        /// A DELETE was sent; if the kill came first, it may or may not have happened.
        func attempted(_ id: String) { _ = state.withLock { $0.attempted.insert(id) } }
        func deactivated(_ id: String) { _ = state.withLock { $0.deactivated.insert(id) } }
        var snapshot: (created: [String: String], deactivated: Set<String>, attempted: Set<String>) { state.withLock { $0 } }
    }

    /// Every key's status, through the listing, a hundred at a time.
    private func allStatuses(_ server: ServerProcess) throws -> [String: String] {
        var statuses: [String: String] = [:]
        var path = "/v1/keys?limit=100"
        while true {
            let page = try server.get(path).object
            for item in page["data"] as? [[String: Any]] ?? [] {
                if let id = item["id"] as? String { statuses[id] = item["status"] as? String }
            }
            guard page["has_more"] as? Bool == true, let cursor = page["next_cursor"] as? String else { return statuses }
            path = "/v1/keys?limit=100&after=\(cursor)"
        }
    }

    @Test func fiftyHardKills_loseNoAcknowledgedCreateOrDeactivation() throws {
        let directory = TemporaryDirectory()
        let db = directory.file("crash.sqlite3")
        let acknowledged = Acknowledged()
        var generator = SystemRandomNumberGenerator()
        var verified = 0

        for round in 0..<50 {
            let server = try ServerProcess(arguments: ["--plan", "enterprise", "--credits", "1000000"],
                                           databasePath: db, directory: directory)
            // After each restart: everything acknowledged so far is as it was promised.
            let known = acknowledged.snapshot
            let statuses = try allStatuses(server)
            for (id, _) in known.created {
                let status = statuses[id]
                if known.deactivated.contains(id) {
                    #expect(status == "inactive", "round \(round): acknowledged deactivation of \(id) was lost")
                } else if !known.attempted.contains(id) {
                    #expect(status == "active", "round \(round): acknowledged key \(id) is \(status ?? "missing")")
                }
            }
            // Authenticate a sample of live keys, and every deactivated key must be refused.
            for (id, secret) in known.created.filter({ !known.attempted.contains($0.key) }).shuffled().prefix(5) {
                #expect(try server.upload("/transcribe", key: secret).status == 200, "round \(round): \(id) no longer authenticates")
            }
            for id in known.deactivated.shuffled().prefix(5) {
                #expect(try server.upload("/transcribe", key: known.created[id]!).status == 401, "round \(round): \(id) came back")
            }
            verified += known.created.count

            // Several clients write at once until the kill.
            let port = server.port
            let token = server.authorization
            let stop = Atomic<Bool>(false)
            let clients = ThreadGroup(4) { client in
                var mine: [String] = []
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    if n % 3 == 0, let victim = mine.popLast() {
                        acknowledged.attempted(victim)
                        if let response = try? RawHTTPClient.request(port: port, "DELETE", "/v1/keys/\(victim)", headers: token),
                           response.status == 200 {
                            acknowledged.deactivated(victim)
                        }
                    } else if let response = try? RawHTTPClient.request(port: port, "POST", "/v1/keys", headers: token,
                                                                         json: #"{"name": "round \#(round) client \#(client)"}"#),
                              response.status == 201, let id = response.object["id"] as? String,
                              let secret = response.object["key"] as? String {
                        acknowledged.created(id, secret)
                        mine.append(id)
                    }
                }
            }
            // The kill lands after a random number of this round's creates were acknowledged, while
            // the four clients are still writing: a moment chosen by the work done, not by a clock.
            let target = known.created.count + Int.random(in: 4...16, using: &generator)
            #expect(waitUntil(interval: 0.002) { acknowledged.createdCount >= target },
                    "round \(round): the clients were not acknowledged \(target - known.created.count) creates")
            #expect(server.stop(signal: SIGKILL) != nil)
            stop.store(true, ordering: .relaxed)
            clients.wait()
        }

        // Last, every acknowledged key that was never deleted still authenticates.
        let server = try ServerProcess(arguments: ["--plan", "enterprise"], databasePath: db, directory: directory)
        let known = acknowledged.snapshot
        for (id, secret) in known.created where !known.attempted.contains(id) {
            #expect(try server.upload("/transcribe", key: secret).status == 200, "\(id) no longer authenticates")
        }
        #expect(server.stop() == 0)

        let final = try runCLI(["db", "check", "--db", db])
        #expect(final.status == 0)
        #expect(final.stdout == "ok\n")
        let total = acknowledged.snapshot
        print("kill -9: 50 rounds, \(total.created.count) acknowledged creates, \(total.deactivated.count) acknowledged deactivations, \(verified) key checks")
        #expect(total.created.count >= 200)
        #expect(total.deactivated.count > 20)
    }
}
