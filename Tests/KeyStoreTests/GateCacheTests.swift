import Foundation
import Testing
@testable import KeyStore

/// The gate keeps its last answers only while the wal-index header says nothing has committed.
/// These tests change the database through a second, independent KeyStore on the same file (its
/// own connections, as the CLI in another process has); the end-to-end tests do the same with the
/// real CLI process (SpeechGateTests, CLITests).
@Suite struct GateCacheTests {
    @Test func walIndexHeader_isStableWithoutACommit_andChangesWithEachCommit() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let watcher = try #require(store.walWatcher, "this SQLite's -shm has the documented header layout")
            let before = try #require(watcher.snapshot())
            #expect(watcher.snapshot() == before)
            _ = try store.createTestKey()
            let afterCreate = try #require(watcher.snapshot())
            #expect(afterCreate != before)
            // A commit from another set of connections changes the same shared header.
            let other = try KeyStore(path: path)
            _ = try other.updateAccount(balanceMicro: 1, actor: "test")
            #expect(watcher.snapshot() != afterCreate)
        }
    }

    @Test func repeatedGate_isAnsweredFromTheCache_untilAnythingCommits() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (record, secret) = try store.createTestKey()
            #expect(store.gateCacheHits.load(ordering: .relaxed) == 0)
            guard case .valid = try store.gate(secret: secret).auth else { Issue.record("not valid"); return }
            guard case .valid = try store.gate(secret: secret).auth else { Issue.record("not valid"); return }
            #expect(store.gateCacheHits.load(ordering: .relaxed) == 1)

            // Deactivated through other connections: the very next gate says so.
            let other = try KeyStore(path: path)
            _ = try other.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil)
            guard case .inactive = try store.gate(secret: secret).auth else { Issue.record("stale answer"); return }
            #expect(store.gateCacheHits.load(ordering: .relaxed) == 1)
        }
    }

    @Test func planAndBalanceChangesElsewhere_areSeenAtOnce() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (_, secret) = try store.createTestKey()
            _ = try store.gate(secret: secret)
            #expect(try store.gate(secret: secret).account?.plan == .enterprise)
            let other = try KeyStore(path: path)
            _ = try other.updateAccount(plan: .starter, balanceMicro: 42, actor: "cli")
            let account = try #require(try store.gate(secret: secret).account)
            #expect(account.plan == .starter && account.balanceMicro == 42)
        }
    }

    @Test func unknownKeys_areBoundedInMemory() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            for _ in 0..<(GateCache.capacity + 100) {
                guard case .unknown = try store.gate(secret: try APIKeyFormat.generate()).auth else {
                    Issue.record("a random key was known"); return
                }
            }
            #expect(store.gateCache.withLock { $0.count } <= GateCache.capacity)
        }
    }

    @Test func inMemoryStores_haveNoWatcher_andStillGate() throws {
        let store = try KeyStore.unlimited(path: ":memory:")
        #expect(store.walWatcher == nil)
        let (_, secret) = try store.createTestKey()
        guard case .valid = try store.gate(secret: secret).auth else { Issue.record("not valid"); return }
        guard case .valid = try store.gate(secret: secret).auth else { Issue.record("not valid"); return }
        #expect(store.gateCacheHits.load(ordering: .relaxed) == 0)
    }
}
