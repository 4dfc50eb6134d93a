import Foundation

/// Threads of their own for a test's concurrent clients. `DispatchQueue.concurrentPerform` and
/// `DispatchQueue.global()` draw from Dispatch's global pool, about one thread per core, which
/// other tests' blocking work holds in a parallel run: a test's eight workers then waited tens of
/// seconds for a thread. These threads start at once and end when their body returns.
public final class ThreadGroup: Sendable {
    private let group = DispatchGroup()

    /// Starts `count` threads, each running `body` with its index.
    public init(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread { [group] in
                body(index)
                group.leave()
            }
        }
    }

    /// Returns when every thread's body has returned.
    public func wait() { group.wait() }
}

/// Runs `body` for each index in `0..<count`, each on a thread of its own, and returns when all
/// have returned.
public func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    ThreadGroup(count, body).wait()
}
