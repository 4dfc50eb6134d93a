import Foundation
import CLinux
import Glibc
import Synchronization

/// A program the tests start, with `posix_spawn`, not Foundation's `Process`: on Linux,
/// `Process.run()` lists /proc/self/fd by copying each directory entry's whole 256-byte name, and
/// reads past glibc's buffer when an entry ends a page (swift-corelibs-foundation PR 5472, fixed
/// after Swift 6.3.1). With many descriptors open and several tests starting servers at once, the
/// test process died of it ("Bad pointer dereference" in `Process.run`).
///
/// The child gets `stdin`, `stdout` and `stderr` as descriptors 0, 1 and 2 (/dev/null where a
/// descriptor is -1), every other descriptor closed, default signal handling and no blocked
/// signals. It is reaped by `waitpid` on its own pid only.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let reaped = NSCondition()
    private var status: Int32?  // the raw wait status, once reaped; guarded by `reaped`

    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, Int32(1)), (stderr, Int32(2))] {
            if fd >= 0 {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let environment = environment ?? ProcessInfo.processInfo.environment
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw ClientError("cannot start \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// Whether it has not ended yet (it is reaped the first time it is seen to have).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits until it ends.
    public func waitUntilExit() { _ = reap(blocking: true) }

    /// Whether a signal ended it (then `terminationStatus` is the signal's number).
    public var terminatedBySignal: Bool { reap(blocking: false).map { $0 & 0x7f != 0 } ?? false }

    /// Its exit status, or the number of the signal that ended it; 0 while it runs.
    public var terminationStatus: Int32 {
        guard let status = reap(blocking: false) else { return 0 }
        return status & 0x7f != 0 ? status & 0x7f : (status >> 8) & 0xff
    }

    /// Sends `number` if it has not been reaped (after that its pid may be another process's).
    public func signal(_ number: Int32) {
        reaped.withLock { if status == nil { _ = kill(pid, number) } }
    }

    private func reap(blocking: Bool) -> Int32? {
        if let status = reaped.withLock({ status }) { return status }
        while true {
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            if result == pid {
                return reaped.withLock {
                    status = raw
                    reaped.broadcast()
                    return raw
                }
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // ECHILD: another thread reaped it a moment ago and is recording its status.
            return reaped.withLock {
                while status == nil { reaped.wait() }
                return status
            }
        }
    }

    /// Runs `path` to completion with `input` on its stdin (else /dev/null), and returns what it
    /// printed on each stream and its exit status.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: [UInt8]? = nil) throws -> CLIResult {
        let out = Pipe(), err = Pipe()
        let stdin = input.map { _ in Pipe() }
        let child = try ChildProcess(path, arguments, environment: environment,
                                     stdin: stdin?.fileHandleForReading.fileDescriptor ?? -1,
                                     stdout: out.fileHandleForWriting.fileDescriptor,
                                     stderr: err.fileHandleForWriting.fileDescriptor)
        // The child has its own copies; these ends must close here, or reading never sees the end.
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        try stdin?.fileHandleForReading.close()
        if let stdin, let input {
            // From another thread, so a large input cannot fill the pipe while nobody reads stdout.
            let writer = stdin.fileHandleForWriting
            _ = ThreadGroup(1) { _ in
                writer.write(Data(input))
                try? writer.close()
            }
        }
        // Both streams at once, so a child that fills one while the other is read cannot stall.
        let errors = Mutex<Data>(Data())
        let reader = ThreadGroup(1) { _ in errors.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        reader.wait()
        child.waitUntilExit()
        return CLIResult(status: child.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
    }
}
