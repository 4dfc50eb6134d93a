import CLinux
import Foundation
import Glibc
import Testing

/// Threads of their own for tests that block: a test that starts the binary spends most of its time
/// in blocking calls (a socket read, `waitpid`, a browser's answer), and a blocked thread of the
/// cooperative pool is one the other tests cannot use. That pool has one thread per core, so on a
/// two-core machine two waiting tests stopped every other test, and `swift test` ran little faster
/// than one test at a time.
///
/// `.onOwnThreads` (and `.keepsEvidence`, which includes it) runs each test it scopes with this
/// executor as the task's preference, so its body and its child tasks run here, and the cooperative
/// pool stays free for the tests that only compute. The width bounds how many such tests run at
/// once; their servers still share the machine's cores.
public final class BlockingTestExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = BlockingTestExecutor(
        width: ProcessInfo.processInfo.environment["THETA_TEST_BLOCKING_WIDTH"].flatMap(Int.init) ?? 6)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    public init(width: Int) {
        for index in 0..<max(1, width) {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "blocking-test-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        // The name `ps`, `perf` and /proc show (Thread.name does not reach the kernel here).
        _ = pthread_setname_np(pthread_self(), "blocking-test")
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs each test of a suite on `BlockingTestExecutor`'s threads. Put `.onOwnThreads` on a suite
/// whose tests wait: on a socket, a loop thread, the writer's fsync, a timer.
public struct OnOwnThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard !test.isSuite else { return try await function() }
        try await withTaskExecutorPreference(BlockingTestExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OnOwnThreadsTrait {
    /// Runs the suite's tests on threads of their own, off the cooperative pool.
    public static var onOwnThreads: Self { OnOwnThreadsTrait() }
}
