import Dispatch
import Foundation
import KeyStore
import Testing

@Suite struct KeyStoreTests {
    @Test func createdKey_hasItsRecordAndAWellFormedSecret() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch.addingTimeInterval(0.7))
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let spec = KeySpec(name: "ci", expiresAt: testEpoch.addingTimeInterval(86_400), rateLimitRPM: 42)
            let (record, secret) = try store.createKey(spec, actor: "api", remoteAddress: "127.0.0.1")
            #expect(APIKeyFormat.isWellFormed(secret))
            #expect(APIKeyFormat.isWellFormedKeyID(record.id))
            #expect(record.hint == APIKeyFormat.hint(for: secret))
            #expect(record.createdAt == testEpoch)  // stored in whole seconds, rounded down
            #expect(record.expiresAt == testEpoch.addingTimeInterval(86_400))
            #expect(record.rateLimitRPM == 42 && record.deactivatedAt == nil && record.lastUsedAt == nil)
            #expect(try store.key(id: record.id) == record)
            #expect(try store.key(id: "key_nope") == nil)
        }
    }

    @Test func createKey_writesAKeyCreatedAuditEvent() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path, clock: ManualClock(testEpoch))
            let (record, secret) = try store.createKey(KeySpec(name: "ci"), actor: "api", remoteAddress: "10.0.0.9")
            let events = try store.auditEvents(limit: 10).items
            #expect(events.count == 1)
            #expect(events[0].action == "key.created" && events[0].keyID == record.id)
            #expect(events[0].actor == "api" && events[0].remoteAddress == "10.0.0.9" && events[0].at == testEpoch)
            #expect(events[0].detail?.contains(secret) != true)
        }
    }

    @Test func status_becomesExpiredExactlyWhenTheClockReachesExpiresAt() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let expiry = testEpoch.addingTimeInterval(60)
            let (record, secret) = try store.createTestKey(expiresAt: expiry)

            clock.set(expiry.addingTimeInterval(-1))
            #expect(record.status(at: clock.now()) == .active)
            #expect(try store.gate(secret: secret).auth == .valid(record))
            #expect(try store.countActiveKeys() == 1)
            #expect(try store.listKeys(status: .active).items == [record])

            clock.set(expiry)
            #expect(record.status(at: clock.now()) == .expired)
            #expect(try store.gate(secret: secret).auth == .expired(record))
            #expect(try store.countActiveKeys() == 0)
            #expect(try store.listKeys(status: .active).items == [])
            #expect(try store.listKeys(status: .expired).items == [record])
        }
    }

    @Test func deactivatedKey_isInactiveEvenAfterItsExpiry() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let (record, _) = try store.createTestKey(expiresAt: testEpoch.addingTimeInterval(10))
            clock.advance(by: 20)
            let deactivated = try #require(try store.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil))
            #expect(deactivated.status(at: clock.now()) == .inactive)
            #expect(deactivated.deactivatedAt == testEpoch.addingTimeInterval(20))
            #expect(try store.listKeys(status: .expired).items == [])
            #expect(try store.listKeys(status: .inactive).items == [deactivated])
        }
    }

    @Test func deactivateKey_isIdempotent_andAuditedOnce() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let (record, _) = try store.createTestKey()
            let first = try #require(try store.deactivateKey(id: record.id, actor: "api", remoteAddress: "::1"))
            clock.advance(by: 30)
            let second = try store.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil)
            #expect(second == first)
            #expect(first.deactivatedAt == testEpoch)
            let deactivations = try store.auditEvents(limit: 10).items.filter { $0.action == "key.deactivated" }
            #expect(deactivations.count == 1)
            #expect(deactivations.first?.keyID == record.id && deactivations.first?.actor == "api")
        }
    }

    @Test func deactivateKey_withDetail_putsItInTheEvent_inBothForms() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (blocking, _) = try store.createTestKey("blocking")
            let (queued, _) = try store.createTestKey("queued")
            _ = try store.deactivateKey(id: blocking.id, actor: "cli", remoteAddress: nil, detail: "leak_scan: a/b.env")
            let done = DispatchSemaphore(value: 0)
            store.deactivateKey(id: queued.id, actor: "api", remoteAddress: "::1", detail: "leak_scan: POST /v1/leaks") { _ in
                done.signal()
            }
            done.wait()
            let events = try store.auditEvents().items.filter { $0.action == AuditEvent.keyDeactivated }
            #expect(Set(events.map(\.detail)) == ["leak_scan: a/b.env", "leak_scan: POST /v1/leaks"])
            #expect(try store.key(id: queued.id)?.isDeactivated == true)
        }
    }

    @Test func keysBySecretDigest_findKnownKeysInOneRead() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let (first, firstSecret) = try store.createTestKey("first")
            let (_, secondSecret) = try store.createTestKey("second")
            let unknown = SHA256.digest(try APIKeyFormat.generate())
            let found = try store.keys(secretSHA256: [SHA256.digest(firstSecret), unknown, SHA256.digest(firstSecret)])
            #expect(found.count == 1)
            #expect(found[SHA256.digest(firstSecret)] == first)
            #expect(try store.keys(secretSHA256: [SHA256.digest(secondSecret)]).values.map(\.name) == ["second"])
            #expect(try store.keys(secretSHA256: []).isEmpty)
        }
    }

    @Test func deactivatingAnUnknownKey_returnsNil_andAuditsNothing() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            #expect(try store.deactivateKey(id: "key_00000000000000000000", actor: "api", remoteAddress: nil) == nil)
            #expect(try store.auditEvents().items.isEmpty)
        }
    }

    @Test func gate_tellsMalformedUnknownInactiveExpiredAndValidApart() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let (valid, validSecret) = try store.createTestKey("valid")
            let (expiring, expiringSecret) = try store.createTestKey("expiring", expiresAt: testEpoch.addingTimeInterval(5))
            let (revoked, revokedSecret) = try store.createTestKey("revoked")
            let inactive = try #require(try store.deactivateKey(id: revoked.id, actor: "cli", remoteAddress: nil))
            clock.advance(by: 5)

            var typo = Array(validSecret)
            typo[20] = typo[20] == "a" ? "b" : "a"
            #expect(try store.gate(secret: "").auth == .malformed)
            #expect(try store.gate(secret: "sk-theta-hello").auth == .malformed)
            #expect(try store.gate(secret: String(typo)).auth == .malformed)
            #expect(try store.gate(secret: try APIKeyFormat.generate()).auth == .unknown)
            #expect(try store.gate(secret: revokedSecret).auth == .inactive(inactive))
            #expect(try store.gate(secret: expiringSecret).auth == .expired(expiring))
            #expect(try store.gate(secret: validSecret).auth == .valid(valid))
        }
    }

    @Test func malformedSecret_isDecidedWithoutTheDatabase() throws {
        let store = try KeyStore.unlimited(path: ":memory:")
        try store.close()
        // A closed store throws on any database access, so returning proves none happened.
        #expect(try store.gate(secret: "sk-theta-not-a-key").auth == .malformed)
        #expect(throws: KeyStoreError.closed) { try store.gate(secret: try APIKeyFormat.generate()) }
    }

    @Test func deactivationByAnotherProcess_isSeenByTheVeryNextAuthentication() throws {
        try withTemporaryDatabase { path in
            let server = try KeyStore.unlimited(path: path)
            let cli = try KeyStore.unlimited(path: path)
            let (record, secret) = try server.createTestKey()
            for _ in 0..<3 { #expect(try server.gate(secret: secret).auth == .valid(record)) }
            _ = try cli.deactivateKey(id: record.id, actor: "cli", remoteAddress: nil)
            guard case .inactive = try server.gate(secret: secret).auth else {
                Issue.record("the server still accepts a key the CLI deactivated")
                return
            }
        }
    }

    @Test func listKeys_filtersByStoredAndDerivedStatus() throws {
        try withTemporaryDatabase { path in
            let clock = ManualClock(testEpoch)
            let store = try KeyStore.unlimited(path: path, clock: clock)
            let forever = try store.createTestKey("forever").record
            let later = try store.createTestKey("later", expiresAt: testEpoch.addingTimeInterval(1000)).record
            let soon = try store.createTestKey("soon", expiresAt: testEpoch.addingTimeInterval(10)).record
            let gone = try #require(try store.deactivateKey(
                id: try store.createTestKey("gone").record.id, actor: "cli", remoteAddress: nil))
            clock.advance(by: 10)

            #expect(try store.listKeys().items.map(\.name) == ["gone", "soon", "later", "forever"])
            #expect(try store.listKeys(status: .active).items == [later, forever])
            #expect(try store.listKeys(status: .expired).items == [soon])
            #expect(try store.listKeys(status: .inactive).items == [gone])
            #expect(try store.countActiveKeys() == 2)
        }
    }

    @Test func listKeys_pagesNewestFirstWithACursor() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let ids = try (1...5).map { try store.createTestKey("key \($0)").record.id }

            let first = try store.listKeys(limit: 2)
            #expect(first.items.map(\.id) == [ids[4], ids[3]])
            #expect(first.hasMore && first.nextCursor == ids[3])

            let second = try store.listKeys(limit: 2, after: first.nextCursor)
            #expect(second.items.map(\.id) == [ids[2], ids[1]])
            #expect(second.hasMore && second.nextCursor == ids[1])

            let last = try store.listKeys(limit: 2, after: second.nextCursor)
            #expect(last.items.map(\.id) == [ids[0]])
            #expect(!last.hasMore && last.nextCursor == nil)

            let exact = try store.listKeys(limit: 5)
            #expect(exact.items.count == 5 && !exact.hasMore && exact.nextCursor == nil)
        }
    }

    @Test func listKeys_cursorStaysValidWhenItsKeyLeavesTheFilter() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let ids = try (1...3).map { try store.createTestKey("key \($0)").record.id }
            let page = try store.listKeys(status: .active, limit: 1)
            _ = try store.deactivateKey(id: ids[2], actor: "cli", remoteAddress: nil)
            #expect(try store.listKeys(status: .active, limit: 5, after: page.nextCursor).items.map(\.id)
                == [ids[1], ids[0]])
        }
    }

    @Test func listKeys_withAnUnknownCursorOrBadLimit_throws() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            _ = try store.createTestKey()
            #expect(throws: KeyStoreError.unknownCursor("key_missing")) { try store.listKeys(after: "key_missing") }
            #expect(throws: KeyStoreError.invalidLimit(0)) { try store.listKeys(limit: 0) }
            #expect(throws: KeyStoreError.invalidLimit(1001)) { try store.auditEvents(limit: 1001) }
            #expect(throws: KeyStoreError.unknownCursor("evt_missing")) { try store.auditEvents(after: "evt_missing") }
        }
    }

    @Test func auditEvents_pageNewestFirst() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let events = try (1...3).map {
                try store.recordAudit(action: "admin.auth_failed", actor: "api", remoteAddress: "10.0.0.\($0)", detail: "bad token")
            }
            let first = try store.auditEvents(limit: 2)
            #expect(first.items == [events[2], events[1]])
            #expect(first.hasMore && first.nextCursor == events[1].id)
            let second = try store.auditEvents(limit: 2, after: first.nextCursor)
            #expect(second.items == [events[0]] && !second.hasMore)
            #expect(events[0].keyID == nil && events[0].detail == "bad token")
        }
    }

    @Test func lastUsedTimes_areRecordedInOneBatch_andNeverMovedBack() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let a = try store.createTestKey("a").record
            let b = try store.createTestKey("b").record
            try store.recordLastUsed([a.id: testEpoch.addingTimeInterval(10.9), b.id: testEpoch, "key_unknown": testEpoch], batch: 1)
            #expect(try store.key(id: a.id)?.lastUsedAt == testEpoch.addingTimeInterval(10))
            #expect(try store.key(id: b.id)?.lastUsedAt == testEpoch)
            try store.recordLastUsed([a.id: testEpoch], batch: 2)
            #expect(try store.key(id: a.id)?.lastUsedAt == testEpoch.addingTimeInterval(10))
        }
    }

    @Test func lastUsed_canStillBeRecordedOnADeactivatedKey() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let key = try store.createTestKey().record
            _ = try store.deactivateKey(id: key.id, actor: "cli", remoteAddress: nil)
            try store.recordLastUsed([key.id: testEpoch], batch: 1)
            #expect(try store.key(id: key.id)?.lastUsedAt == testEpoch)
        }
    }

    @Test func adminTokenHash_isStoredAndComparedInConstantTime() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            let token = try APIKeyFormat.generateAdminToken()
            #expect(try store.adminTokenHash() == nil)
            #expect(try !store.isAdminToken(token))
            try store.setAdminTokenHash(KeyStore.hashToken(token))
            #expect(try store.adminTokenHash() == SHA256.digest(token))
            #expect(try store.isAdminToken(token))
            #expect(try !store.isAdminToken(token + "x"))
            let replacement = try APIKeyFormat.generateAdminToken()
            try store.setAdminTokenHash(KeyStore.hashToken(replacement))
            #expect(try !store.isAdminToken(token))
            #expect(try store.isAdminToken(replacement))
        }
    }

    @Test func inMemoryStore_readsWhatItWrote() throws {
        let store = try KeyStore.unlimited(path: ":memory:")
        let (record, secret) = try store.createTestKey()
        #expect(try store.gate(secret: secret).auth == .valid(record))
        #expect(try store.listKeys().items == [record])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func closedStore_throwsClosedOnEveryCall() throws {
        try withTemporaryDatabase { path in
            let store = try KeyStore.unlimited(path: path)
            try store.close()
            try store.close()
            #expect(throws: KeyStoreError.closed) { try store.createTestKey() }
            #expect(throws: KeyStoreError.closed) { try store.listKeys() }
            #expect(throws: KeyStoreError.closed) { try store.integrityCheck() }
        }
    }
}

extension KeyStore {
    /// Writes last-used times the way the server does: as a usage batch (with no requests counted).
    fileprivate func recordLastUsed(_ times: [String: Date], batch number: Int64) throws {
        var batch = UsageBatch(number: number)
        for (id, at) in times { batch.keys[id] = UsageBatch.KeyUsage(lastUsed: at) }
        try applyUsage(batch)
    }
}
