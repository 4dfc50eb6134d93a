import ArgumentParser
import FoundationEssentials
import Glibc
import KeyStore
import Synchronization

/// Prints a clear, secret-free message to stderr and exits 1 (or 64 for a usage error).
func runReportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch let error as KeySpecError {
        throw ValidationError(error.message)
    } catch let error as DatabaseError where error.isFull {
        printError("theta-console: the database is full; nothing was written")
        throw ExitCode.failure
    } catch let error as DatabaseError where error.primaryCode == 14 /* SQLITE_CANTOPEN */ {
        printError("theta-console: cannot open the database file; check the --db path and that its folder exists")
        throw ExitCode.failure
    } catch let error as DatabaseError where error.isBusy {
        printError("theta-console: the database is locked by another process; try again")
        throw ExitCode.failure
    } catch {
        printError("theta-console: \(error)")
        throw ExitCode.failure
    }
}

func printError(_ message: String) {
    writeAll(2, message + "\n")
}

/// Writes to stdout and flushes, so a parent process reading a pipe sees it at once.
func emit(_ line: String) {
    writeAll(1, line + "\n")
}

/// Where a command run inside a test's own process writes instead of descriptors 1 and 2: each
/// run has its own (a task-local value), so runs in parallel tests never mix their output.
final class CLIOutput: Sendable {
    @TaskLocal static var current: CLIOutput?

    private let written = Mutex<(stdout: [UInt8], stderr: [UInt8])>(([], []))

    var stdout: String { String(decoding: written.withLock { $0.stdout }, as: UTF8.self) }
    var stderr: String { String(decoding: written.withLock { $0.stderr }, as: UTF8.self) }

    func append(_ fd: Int32, _ text: String) {
        written.withLock { fd == 2 ? $0.stderr.append(contentsOf: text.utf8) : $0.stdout.append(contentsOf: text.utf8) }
    }
}

/// Writes every byte of `text` to `fd`, retrying after EINTR and short writes; gives up silently on
/// other errors (a closed stdout must not crash the CLI).
func writeAll(_ fd: Int32, _ text: String) {
    if let output = CLIOutput.current { return output.append(fd, text) }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written > 0 {
            offset += written
        } else if written < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}
