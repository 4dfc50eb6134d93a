import ArgumentParser
import Logging
import TestSupport
@testable import theta_console

/// A `theta-console` command run in the test's own process: parsed by `ThetaConsoleCommand` as
/// the binary parses it, run as the binary runs it, with what it writes kept (`CLIOutput`) and its
/// exit status worked out as ArgumentParser's `main` works it out (64 for a usage error, the
/// status of an `ExitCode`, 1 for any other failure; a failure's message on stderr, help on
/// stdout). What needs a process of its own stays with `runCLI`: the umask `main` sets, standard
/// input, and another process beside a running server. `serve` runs with `runServeInProcess`.
/// Throws nothing; it is marked `throws` so a test moved from the binary tier keeps its `try`.
func runCLIInProcess(_ arguments: [String]) throws -> CLIResult {
    runInProcess {
        var command = try ThetaConsoleCommand.parseAsRoot(arguments)
        precondition(!(command is ServeCommand), "serve would listen until a signal: use runServeInProcess")
        try command.run()
    }
}

/// `theta-console serve ARGS…` in the test's own process, up to where it would listen: its flags
/// parsed and checked, its configuration made (the token file read), its app made as `serve` makes
/// it (the store opened, stubs and seed keys loaded), then closed. A refused start answers as
/// `runCLI` does: 64 for a usage error, 1 for a failure, the message on stderr. A start that would
/// go on to listen gives 0. What only `run` does (signal handlers, the logging system, the
/// listener, the lines on stdout) stays with the binary.
func runServeInProcess(_ arguments: [String]) throws -> CLIResult {
    runInProcess {
        let parsed = try ThetaConsoleCommand.parseAsRoot(arguments)
        guard let command = parsed as? ServeCommand else { preconditionFailure("not a serve command: \(arguments)") }
        let configuration = try command.makeConfiguration()
        try runReportingFailures {
            let logger = Logger(label: "theta-console") { _ in SwiftLogNoOpLogHandler() }
            let (app, _) = try command.makeApp(configuration: configuration, logger: logger)
            try app.store.close()
        }
    }
}

/// Runs `body` with its output kept, and the status ArgumentParser's `main` would exit with.
private func runInProcess(_ body: () throws -> Void) -> CLIResult {
    let output = CLIOutput()
    let status: Int32 = CLIOutput.$current.withValue(output) {
        do {
            try body()
            return 0
        } catch {
            let code = ThetaConsoleCommand.exitCode(for: error).rawValue
            let message = ThetaConsoleCommand.fullMessage(for: error)
            if !message.isEmpty { output.append(code == 0 ? 1 : 2, message + "\n") }
            return code
        }
    }
    return CLIResult(status: status, stdout: output.stdout, stderr: output.stderr)
}
