import CSQLite
import Foundation
import Testing
@testable import KeyStore

@Suite struct ConnectionTests {
    @Test func fileDatabase_isOpenedWithWALFullSyncAndForeignKeys() throws {
        try withTemporaryDatabase { path in
            let db = try Connection(path: path)
            #expect(try db.value("PRAGMA journal_mode") == "wal")
            #expect(try db.value("PRAGMA synchronous") == 2)  // FULL
            #expect(try db.value("PRAGMA foreign_keys") == 1)
            #expect(try db.value("PRAGMA busy_timeout") == 5000)
        }
    }

    @Test func memoryDatabase_opensWithMemoryJournal() throws {
        let db = try Connection(path: ":memory:")
        #expect(try db.value("PRAGMA journal_mode") == "memory")
    }

    @Test func everyValueType_roundTripsThroughBindAndRead() throws {
        let db = try Connection(path: ":memory:")
        try db.run("CREATE TABLE t (i, r, s, b, n, empty_s, empty_b)")
        try db.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
            [Int64.min, 2.5, "héllo\u{0}wörld", [UInt8]([0, 1, 255]), nil, "", [UInt8]()])
        let row = try #require(try db.row("SELECT * FROM t"))
        #expect(try row[0] as Int64 == .min)
        #expect(try row[1] as Double == 2.5)
        #expect(try row["s"] as String == "héllo\u{0}wörld")
        #expect(try row[3] as [UInt8] == [0, 1, 255])
        #expect(try row[3] as Data == Data([0, 1, 255]))
        #expect(try (row[4] as String?) == nil)
        // An empty string or blob has no base address; it must still bind as a value, not NULL.
        #expect(try row[5] as String == "")
        #expect(try row[6] as [UInt8] == [])
        #expect(try db.value("SELECT typeof(empty_s) || ',' || typeof(empty_b) FROM t") == "text,blob")
    }

    @Test func nullReadAsNonOptional_throwsMismatchWithoutTheValue() throws {
        let db = try Connection(path: ":memory:")
        let row = try #require(try db.row("SELECT NULL AS missing, 'secret-text' AS text"))
        #expect(throws: DatabaseError.self) { try row[0] as String }
        let error = try #require(throws: DatabaseError.self) { try row["text"] as Int64 }
        #expect(error.primaryCode == SQLITE_MISMATCH)
        #expect(!error.description.contains("secret-text"))
    }

    @Test func constraintError_carriesTheSQLButNeverTheBoundValues() throws {
        let db = try Connection(path: ":memory:")
        try db.run("CREATE TABLE t (v TEXT UNIQUE)")
        try db.run("INSERT INTO t VALUES (?)", ["sk-theta-very-secret"])
        let error = try #require(throws: DatabaseError.self) {
            try db.run("INSERT INTO t VALUES (?)", ["sk-theta-very-secret"])
        }
        #expect(error.isConstraint && !error.isFull && !error.isBusy)
        #expect(error.code == SQLITE_CONSTRAINT | (8 << 8))  // SQLITE_CONSTRAINT_UNIQUE, a macro Swift cannot import
        #expect(error.sql == "INSERT INTO t VALUES (?)")
        #expect(!error.description.contains("very-secret"))
        #expect(!error.message.contains("very-secret"))
    }

    @Test func sameSQL_isPreparedOnceAndReused() throws {
        let db = try Connection(path: ":memory:")
        try db.run("CREATE TABLE t (v INTEGER)")
        for value in 0..<50 { try db.run("INSERT INTO t VALUES (?)", [value]) }
        #expect(db.cachedStatementCount == 2)
        #expect(try db.value("SELECT count(*) FROM t") == 50)
    }

    @Test func transaction_rollsBackWhenTheBodyThrows() throws {
        struct Abort: Error {}
        let db = try Connection(path: ":memory:")
        try db.run("CREATE TABLE t (v INTEGER)")
        #expect(throws: Abort.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.value("SELECT count(*) FROM t") == 0)
        try db.transaction { try db.run("INSERT INTO t VALUES (2)") }
        #expect(try db.value("SELECT count(*) FROM t") == 1)
    }

    @Test func twoStatementsInOneRun_areRefused() throws {
        let db = try Connection(path: ":memory:")
        let error = try #require(throws: DatabaseError.self) { try db.run("SELECT 1; SELECT 2") }
        #expect(error.primaryCode == SQLITE_MISUSE)
        try db.run("SELECT 1;")  // a trailing semicolon is one statement
    }

    @Test func wrongArgumentCount_isRefused() throws {
        let db = try Connection(path: ":memory:")
        let error = try #require(throws: DatabaseError.self) { try db.run("SELECT ?, ?", [1]) }
        #expect(error.primaryCode == SQLITE_RANGE)
    }

    @Test func closedConnection_throwsOnEveryCall() throws {
        let db = try Connection(path: ":memory:")
        try db.run("SELECT 1")
        try db.close()
        try db.close()
        let error = try #require(throws: DatabaseError.self) { try db.run("SELECT 1") }
        #expect(error.primaryCode == SQLITE_MISUSE)
    }

    @Test func maxPageCountReached_isClassifiedAsFull_andLeavesTheDatabaseIntact() throws {
        try withTemporaryDatabase { path in
            let db = try Connection(path: path)
            try db.run("CREATE TABLE t (v BLOB)")
            try db.run("PRAGMA max_page_count = 20")
            let error = try #require(throws: DatabaseError.self) {
                for _ in 0..<1_000 { try db.run("INSERT INTO t VALUES (randomblob(1000))") }
            }
            #expect(error.isFull)
            #expect(try db.value("PRAGMA integrity_check") == "ok")
            #expect(try db.value("SELECT count(*) FROM t") ?? 0 > 0)
        }
    }
}
