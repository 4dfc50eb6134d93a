import Glibc

/// A value guarded by a `pthread_mutex_t`: the one lock type for shared state in this server.
///
/// Unlike `Synchronization.Mutex`, whose Linux futex ThreadSanitizer cannot see, a pthread mutex
/// is intercepted by ThreadSanitizer, so the happens-before edges a critical section makes are
/// known to it and every race it reports is a real one. Copies share one lock and one value.
///
/// The value and the mutex live at addresses fixed when the lock is made, and nothing touches the
/// value outside the mutex (why not a `ManagedBuffer`: docs/decisions.md, "Locks").
public struct Lock<Value>: @unchecked Sendable {
    @usableFromInline
    final class Storage {
        @usableFromInline let value: UnsafeMutablePointer<Value>
        @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>

        init(_ initial: Value) {
            value = .allocate(capacity: 1)
            value.initialize(to: initial)
            mutex = .allocate(capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            let result = pthread_mutex_init(mutex, nil)
            precondition(result == 0, "pthread_mutex_init failed: \(result)")
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
            mutex.deallocate()
            value.deinitialize(count: 1)
            value.deallocate()
        }
    }

    @usableFromInline let storage: Storage

    public init(_ value: Value) {
        storage = Storage(value)
    }

    /// Runs `body` with the value while holding the lock.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        let mutex = storage.mutex
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&storage.value.pointee)
    }

    /// Runs `body` with the value if the lock is free now; nil (and `body` not run) if it is held.
    @inlinable
    public func withLockIfAvailable<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result? {
        let mutex = storage.mutex
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body(&storage.value.pointee)
    }
}
