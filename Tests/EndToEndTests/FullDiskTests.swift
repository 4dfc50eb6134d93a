import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// When the database cannot grow, writes get a clear 507 with nothing half-written, reads and the
/// emulated API keep working, and writes work again once space returns.
@Suite("Fault: full disk (the binary)", .keepsEvidence)
struct FullDiskTests {
    @Test func fullFilesystem_gets507_keepsServing_andRecovers() throws {
        // A real small filesystem: a 4 MiB tmpfs (root only, as on CI).
        let directory = TemporaryDirectory()
        let mountPoint = directory.file("small-fs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        try #require(mounted == 0, "mounting a tmpfs needs root")
        defer { _ = try? runTool("/bin/umount", ["-l", mountPoint]) }

        let server = try ServerProcess(arguments: ["--plan", "enterprise", "--credits", "1000"],
                                       databasePath: mountPoint + "/theta.sqlite3", directory: directory)
        let key = try server.createKey(name: "before the disk filled")
        // Fill the filesystem, leaving nothing for the database to grow into.
        let filler = mountPoint + "/filler"
        _ = try runTool("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k", "count=1000"])

        var statuses: [Int] = []
        var names: [String] = []
        for i in 0..<200 {
            let name = "filling \(i) " + String(repeating: "x", count: 80)
            let response = try server.post("/v1/keys", json: #"{"name": "\#(name)"}"#)
            statuses.append(response.status)
            if response.status == 201 { names.append(name) }
            if response.status == 507 {
                #expect(response.detail == "storage is full: nothing was written; free space and retry")
                break
            }
        }
        #expect(statuses.last == 507, "statuses: \(statuses)")

        // Reads and the emulated API keep working.
        let listed = try server.get("/v1/keys?limit=100")
        #expect(listed.status == 200)
        let listedNames = (listed.object["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!listedNames.contains { $0.hasPrefix("filling") && !names.contains($0) }, "a refused create was half-written")
        #expect(try server.upload("/transcribe", key: key.secret).status == 200)
        #expect(try server.get("/healthz").status == 200)

        // Space returns: writes work again.
        try FileManager.default.removeItem(atPath: filler)
        let after = try server.post("/v1/keys", json: #"{"name": "after space returned"}"#)
        #expect(after.status == 201)
        #expect(server.stop() == 0)
        let check = try runCLI(["db", "check", "--db", mountPoint + "/theta.sqlite3"])
        #expect(check.stdout == "ok\n")
    }

    /// Concurrent creates share commits on the writer thread; when the cap is reached mid-group,
    /// only the creates that did not fit get 507, and every 201 is on disk after a restart.
    @Test func databaseCapReachedMidGroup_failsOnlyThoseWrites_andKeepsEvery201() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("theta.sqlite3")
        let server = try ServerProcess(arguments: ["--max-db-mb", "1", "--plan", "enterprise"], databasePath: path,
                                       directory: directory)
        let created = Mutex<[String]>([])
        let refused = Mutex<[String]>([])
        let other = Mutex<[Int]>([])
        onThreads(8) { worker in
            for i in 0..<400 {
                let name = "group \(worker)-\(i) \(String(repeating: "z", count: 80))"
                guard let response = try? server.post("/v1/keys", json: #"{"name": "\#(name)"}"#) else {
                    other.withLock { $0.append(-1) }
                    return
                }
                switch response.status {
                case 201: created.withLock { $0.append(name) }
                case 507:
                    refused.withLock { $0.append(name) }
                    if response.detail != "storage is full: nothing was written; free space and retry" {
                        other.withLock { $0.append(-507) }
                    }
                    return
                default:
                    other.withLock { $0.append(response.status) }
                    return
                }
            }
        }
        #expect(other.withLock { $0 }.isEmpty, "unexpected answers: \(other.withLock { $0 })")
        #expect(refused.withLock { $0.count } > 0, "the cap was never reached")
        #expect(server.stop(signal: SIGKILL) != nil)

        // After a kill and a restart, exactly the 201s are there.
        let restarted = try ServerProcess(databasePath: path, directory: directory)
        var names: Set<String> = []
        var cursor = ""
        repeat {
            let page = try restarted.get("/v1/keys?limit=100" + (cursor.isEmpty ? "" : "&after=\(cursor)")).object
            for key in page["data"] as? [[String: Any]] ?? [] { names.insert(key["name"] as? String ?? "") }
            cursor = page["next_cursor"] as? String ?? ""
        } while !cursor.isEmpty
        #expect(names == Set(created.withLock { $0 }))
        #expect(names.isDisjoint(with: refused.withLock { $0 }))
    }


    private func runTool(_ path: String, _ arguments: [String]) throws -> Int32 {
        try ChildProcess.run(path, arguments).status
    }
}
