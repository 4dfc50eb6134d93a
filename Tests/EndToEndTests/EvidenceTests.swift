import Foundation
import Glibc
import Testing
import TestSupport

/// The test harness itself: a server that vanishes fails its test with its signal and stderr, a
/// crash prints a backtrace into that stderr, and a passing test leaves nothing behind.
@Suite("Evidence: what a failing test keeps", .keepsEvidence)
struct EvidenceTests {
    /// Issues recorded inside `withKnownIssue`, as text.
    final class Recorded: @unchecked Sendable {
        private let lock = NSLock()
        private var texts: [String] = []
        func add(_ issue: Issue) { lock.withLock { texts.append(String(describing: issue)) } }
        var all: [String] { lock.withLock { texts } }
    }

    @Test func aServerKilledBehindTheTestsBack_failsTheTest_withItsSignalAndStderr_andKeepsItsFolder() throws {
        let evidence = TestEvidence(testName: "inner")
        var folder = ""
        try TestEvidence.$current.withValue(evidence) {
            let server = try ServerProcess()
            folder = server.directory.path
            kill(server.pid, SIGKILL)  // not through server.stop(): as if it had crashed
            #expect(waitUntil { !server.process.isRunning })
        }
        let recorded = Recorded()
        withKnownIssue {
            evidence.finish()
        } matching: { issue in
            recorded.add(issue)
            return true
        }
        let failure = recorded.all.first { $0.contains("while the test still used it") }
        #expect(failure?.contains("was killed by signal 9") == true, "\(recorded.all)")
        #expect(failure?.contains("[theta_console] serving") == true, "the stderr's tail is in the failure")
        #expect(FileManager.default.fileExists(atPath: folder + "/theta.sqlite3"), "the folder is kept")
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func aTestThatPasses_leavesNoFolder_andRecordsNothing() throws {
        let evidence = TestEvidence(testName: "inner")
        var folder = ""
        try TestEvidence.$current.withValue(evidence) {
            let server = try ServerProcess()
            folder = server.directory.path
            #expect(server.stop() == 0)
        }
        #expect(FileManager.default.fileExists(atPath: folder), "kept until the test ends")
        evidence.finish()  // an issue here would fail this test
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test func aFailingTest_keepsItsFolder() throws {
        let evidence = TestEvidence(testName: "inner")
        var folder = ""
        try TestEvidence.$current.withValue(evidence) {
            let server = try ServerProcess()
            folder = server.directory.path
        }
        evidence.noteFailure()
        withKnownIssue(isIntermittent: true) { evidence.finish() }  // the stderr is reported as a warning
        #expect(FileManager.default.fileExists(atPath: folder + "/theta.sqlite3"))
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The Swift runtime's backtracer is on for every server a test starts: a fatal signal prints
    /// the crashed thread and every other thread, by name, into the stderr the evidence keeps.
    @Test func aCrashingServer_printsABacktrace_intoTheStderrTheTestKeeps() throws {
        let server = try ServerProcess()
        server.signal(SIGABRT)
        #expect(waitUntil(timeout: 30) { server.stderr.contains("Backtrace took") }, "\(server.stderr)")
        #expect(server.stderr.contains("*** Program crashed"))
        #expect(server.stderr.contains(#"Thread 2 "http-loop-0""#) || server.stderr.contains(#""http-loop-0""#))
        server.stop(signal: SIGKILL)  // a signal from outside leaves the process running after the report
    }
}
