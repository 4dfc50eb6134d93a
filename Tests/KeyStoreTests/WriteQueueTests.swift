import Dispatch
import Foundation
@testable import KeyStore
import Synchronization
import Testing
import TestSupport

/// The writer thread: writes queued together commit together, a failing write fails alone, and
/// every write that reported success is on disk.
@Suite(.onOwnThreads) struct WriteQueueTests {
    /// Collects the results of writes queued without waiting.
    final class Outcomes<T: Sendable>: Sendable {
        private let results = Mutex<[Int: Result<T, any Error>]>([:])
        private let group = DispatchGroup()

        func expect(_ count: Int) { for _ in 0..<count { group.enter() } }

        func done(_ index: Int) -> @Sendable (Result<T, any Error>) -> Void {
            { result in
                self.results.withLock { $0[index] = result }
                self.group.leave()
            }
        }

        func wait() -> [Result<T, any Error>] {
            group.wait()
            return results.withLock { all in all.keys.sorted().map { all[$0]! } }
        }
    }

    @Test func concurrentCreates_shareCommits_andAllSurvive() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let before = store.writerStatistics
            let outcomes = Outcomes<(record: APIKeyRecord, secret: String)>()
            let count = 200
            outcomes.expect(count)
            onThreads(8) { worker in
                for i in stride(from: worker, to: count, by: 8) {
                    store.createKey(KeySpec(name: "k\(i)"), actor: "test", remoteAddress: nil, then: outcomes.done(i))
                }
            }
            let results = outcomes.wait()
            let ids = try results.map { try $0.get().record.id }
            let after = store.writerStatistics
            #expect(after.writes - before.writes == count)
            // Group commit: fewer transactions than writes (each group is one fsync).
            #expect(after.groups - before.groups < count, "groups: \(after.groups - before.groups)")
            try store.close()

            let reopened = try KeyStore(path: path)
            for id in ids { #expect(try reopened.key(id: id) != nil) }
            #expect(try reopened.listKeys(limit: 1000).items.count == count)
        }
    }

    @Test func aFailingWriteInAGroup_failsAlone_inQueueOrder() throws {
        try withTemporaryDatabase { path in
            // Free allows one active key; one exists.
            let store = try KeyStore(path: path)
            let existing = try store.createTestKey("existing")
            let creates = Outcomes<(record: APIKeyRecord, secret: String)>()
            let deactivation = Outcomes<APIKeyRecord?>()
            creates.expect(3)
            deactivation.expect(1)
            // Queued back to back, so they share a group; the order decides, not the grouping.
            store.createKey(KeySpec(name: "over the limit"), actor: "test", remoteAddress: nil, then: creates.done(0))
            store.deactivateKey(id: existing.record.id, actor: "test", remoteAddress: nil, then: deactivation.done(0))
            store.createKey(KeySpec(name: "fits again"), actor: "test", remoteAddress: nil, then: creates.done(1))
            store.createKey(KeySpec(name: "over again"), actor: "test", remoteAddress: nil, then: creates.done(2))
            let results = creates.wait()
            let deactivated = try #require(try deactivation.wait()[0].get())

            #expect(throws: KeyStoreError.self) { try results[0].get() }
            let fits = try results[1].get().record
            #expect(throws: KeyStoreError.self) { try results[2].get() }
            #expect(deactivated.isDeactivated)
            try store.close()

            let reopened = try KeyStore(path: path)
            let names = try reopened.listKeys(limit: 100).items.map(\.name)
            #expect(names.sorted() == ["existing", "fits again"])
            #expect(try reopened.key(id: fits.id)?.isDeactivated == false)
            let events = try reopened.auditEvents(limit: 100).items.map(\.action)
            #expect(events.filter { $0 == AuditEvent.keyCreated }.count == 2)
            #expect(events.filter { $0 == AuditEvent.keyDeactivated }.count == 1)
        }
    }

    @Test func aFullDatabase_failsOnlyTheWritesThatDidNotFit_andKeepsEveryOneReported() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, maxDatabaseBytes: 256 * 1024)
            let outcomes = Outcomes<(record: APIKeyRecord, secret: String)>()
            // About 320 of these fit under the cap; the rest find the database full.
            let count = 480
            outcomes.expect(count)
            let name = String(repeating: "n", count: 90)
            onThreads(8) { worker in
                for i in stride(from: worker, to: count, by: 8) {
                    store.createKey(KeySpec(name: "\(name) \(i)"), actor: "test", remoteAddress: nil, then: outcomes.done(i))
                }
            }
            let results = outcomes.wait()
            var created: [String] = []
            var full = 0
            for result in results {
                switch result {
                case .success(let value): created.append(value.record.id)
                case .failure(let error):
                    #expect((error as? DatabaseError)?.isFull == true, "\(error)")
                    full += 1
                }
            }
            #expect(full > 0, "the cap was never reached")
            #expect(!created.isEmpty)
            try store.close()

            let reopened = try KeyStore(path: path)
            #expect(try reopened.integrityCheck() == "ok")
            let stored = Set(try Self.allKeyIDs(reopened))
            // Every success is on disk; nothing that failed is.
            #expect(stored == Set(created))
        }
    }

    @Test func writesQueuedAtClose_areCommittedBeforeTheFileCloses() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let outcomes = Outcomes<(record: APIKeyRecord, secret: String)>()
            outcomes.expect(50)
            for i in 0..<50 {
                store.createKey(KeySpec(name: "late \(i)"), actor: "test", remoteAddress: nil, then: outcomes.done(i))
            }
            try store.close()
            let results = outcomes.wait()
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            // After close, a write is refused, not lost silently.
            let refused = Outcomes<(record: APIKeyRecord, secret: String)>()
            refused.expect(1)
            store.createKey(KeySpec(name: "too late"), actor: "test", remoteAddress: nil, then: refused.done(0))
            #expect(throws: KeyStoreError.closed) { try refused.wait()[0].get() }
            #expect(try KeyStore(path: path).listKeys(limit: 100).items.count == 50)
        }
    }

    private static func allKeyIDs(_ store: KeyStore) throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try store.listKeys(limit: 1000, after: cursor)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        return ids
    }
}
