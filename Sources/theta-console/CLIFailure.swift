import ArgumentParser
import Foundation
import KeyStore

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
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Writes to stdout and flushes, so a parent process reading a pipe sees it at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
