import Foundation
import Glibc
import Testing

/// What a test that starts the binary leaves behind: its temporary folders and each server's stderr
/// and ending. A test that passes leaves nothing. A test that fails keeps its folders and reports
/// each server's stderr; a server that exited on its own (a crash, a fatal error) fails the test
/// with its exit status or signal and the tail of its stderr (where the Swift runtime's backtrace
/// is), whatever the test itself checked.
///
/// Every suite that starts `theta-console` carries the `.keepsEvidence` trait; `ServerProcess`
/// refuses to start outside one, so no test can forget it.
public final class TestEvidence: @unchecked Sendable {
    @TaskLocal public static var current: TestEvidence?

    /// Where a server stood when the test let go of it.
    struct ServerRecord {
        let pid: Int32
        let stderrPath: String
        weak var process: ServerProcess?
        var ending: String?  // set once it ended; nil while it runs (or ran until the test ended it)
        var vanished = false
    }

    let testName: String
    private let lock = NSLock()
    private var failed = false
    private var finished = false
    private var folders: [String] = []
    private var servers: [ServerRecord] = []

    public init(testName: String) { self.testName = testName }

    public func noteFailure() { lock.withLock { failed = true } }

    /// A folder to remove when the test passes. Returns false once the test has ended: the caller
    /// removes it itself.
    func adopt(folder: String) -> Bool {
        lock.withLock {
            if finished { return false }
            folders.append(folder)
            return true
        }
    }

    func started(_ server: ServerProcess) {
        lock.withLock { servers.append(ServerRecord(pid: server.pid, stderrPath: server.stderrPath, process: server)) }
    }

    /// Called from `ServerProcess.deinit`, and at the end of the test for servers still held.
    func ended(pid: Int32, description: String, vanished: Bool) {
        lock.withLock {
            guard let index = servers.firstIndex(where: { $0.pid == pid }), servers[index].ending == nil else { return }
            servers[index].ending = description
            servers[index].vanished = vanished
        }
    }

    /// Ends the test: reports vanished servers, then keeps or removes the folders.
    public func finish() {
        // Servers the test still holds (a static, a closure): judge them now.
        for record in lock.withLock({ servers }) where record.ending == nil {
            if let process = record.process { process.judgeEnding() }
        }
        let (records, keep, folders) = lock.withLock { () -> ([ServerRecord], Bool, [String]) in
            finished = true
            let keep = failed || servers.contains { $0.vanished }
            return (servers, keep, self.folders)
        }
        for record in records where record.vanished {
            Issue.record("""
                theta-console (pid \(record.pid)) \(record.ending ?? "exited") while the test still used it. \
                Its stderr is kept at \(record.stderrPath); it ends:
                \(Self.tail(ofFile: record.stderrPath))
                """)
        }
        guard keep else {
            for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
            return
        }
        for record in records where !record.vanished {
            Issue.record("""
                for the failure above: theta-console (pid \(record.pid)) \(record.ending ?? "was still running"); \
                its stderr, kept at \(record.stderrPath), ends:
                \(Self.tail(ofFile: record.stderrPath))
                """, severity: .warning)
        }
        if !folders.isEmpty {
            Issue.record("kept for the failure above: \(folders.joined(separator: ", "))", severity: .warning)
        }
    }

    /// The last lines of a log; from the crash report on, when there is one.
    static func tail(ofFile path: String, lines: Int = 60) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "(empty)" }
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let crash = all.firstIndex(where: { $0.contains("*** Program crashed") || $0.contains("Fatal error") }) {
            let start = max(all.startIndex, crash - 5)
            return all[start..<min(all.endIndex, start + lines * 2)].joined(separator: "\n")
        }
        return all.suffix(lines).joined(separator: "\n")
    }
}

/// The trait that gives each test of a suite its `TestEvidence`, and runs it on the threads of
/// `BlockingTestExecutor`. Put `.keepsEvidence` on every suite whose tests start the binary.
public struct KeepsEvidenceTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard !test.isSuite else { return try await function() }
        let evidence = TestEvidence(testName: test.name)
        // Every issue the test records passes through here on its way out; a failing one is noted.
        let watch: IssueHandlingTrait = .compactMapIssues { issue in
            if issue.isFailure { evidence.noteFailure() }
            return issue
        }
        do {
            try await withTaskExecutorPreference(BlockingTestExecutor.shared) {
                try await TestEvidence.$current.withValue(evidence) {
                    try await watch.provideScope(for: test, testCase: testCase, performing: function)
                }
            }
        } catch {
            evidence.noteFailure()
            evidence.finish()
            throw error
        }
        evidence.finish()
    }
}

extension Trait where Self == KeepsEvidenceTrait {
    /// Keeps a failing test's folders and servers' stderr, and fails a test whose server vanished.
    public static var keepsEvidence: Self { KeepsEvidenceTrait() }
}

/// A flag that is set once, from any thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
