import PosixThreads
import FoundationEssentials

/// A clock that moves only when told to; for tests.
public final class ManualClock: Clock {
    private let current: Lock<Date>

    public init(_ start: Date) {
        current = Lock(start)
    }

    public func now() -> Date {
        current.withLock { $0 }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    public func advance(by interval: TimeInterval) {
        current.withLock { $0 += interval }
    }
}
