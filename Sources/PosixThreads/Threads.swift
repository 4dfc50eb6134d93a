import CLinux
import Glibc

/// Starts detached POSIX threads. Foundation's `Thread` would be the only reason for the server to
/// link the whole of Foundation (and ICU), which costs more resident memory than everything else
/// it does at idle; a pthread is all a loop needs.
public enum Threads {
    /// `pthread_create` refused (EAGAIN when a thread or memory limit is reached).
    public struct StartError: Error, CustomStringConvertible {
        public let name: String
        public let code: Int32
        public var description: String { "could not start the \(name) thread: \(String(cString: strerror(code)))" }
    }

    /// Runs `body` on a new detached thread named `name` (Linux keeps the first 15 bytes).
    public static func start(
        name: String, stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void
    ) throws(StartError) {
        final class Box {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            _ = pthread_setname_np(pthread_self(), String(decoding: box.name.utf8.prefix(15), as: UTF8.self))
            box.body()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            throw StartError(name: name, code: result)
        }
    }

    /// Gives the calling thread the nice value `nice` (0–19; higher yields to others), for
    /// background work that must not delay a loop thread on the same core. Failure is ignored.
    public static func setCurrentThreadNice(_ nice: Int32) {
        _ = theta_set_current_thread_nice(nice)
    }

    /// The number of processors this process may run on (its CPU affinity mask), at least 1.
    public static var availableProcessors: Int {
        let count = Int(theta_available_cpus())
        return count > 0 ? count : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}

extension Threads {
    /// Marks the calling thread as an event loop's: work on it must never block on a write.
    public static func markCurrentAsEventLoop() {
        _ = pthread_setspecific(eventLoopKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the calling thread is an event loop's: blocking waits assert it is not, in debug builds.
    public static var currentIsEventLoop: Bool {
        pthread_getspecific(eventLoopKey) != nil
    }

    private static let eventLoopKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()
}
