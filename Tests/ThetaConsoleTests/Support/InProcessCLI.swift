import ArgumentParser
import TestSupport
@testable import theta_console

/// A `theta-console` command run in the test's own process: parsed by `ThetaConsoleCommand` as
/// the binary parses it, run as the binary runs it, with what it writes kept (`CLIOutput`) and its
/// exit status worked out as ArgumentParser's `main` works it out (64 for a usage error, the
/// status of an `ExitCode`, 1 for any other failure; a failure's message on stderr, help on
/// stdout). What needs a process of its own stays with `runCLI`: the umask `main` sets, standard
/// input, and another process beside a running server.
/// Throws nothing; it is marked `throws` so a test moved from the binary tier keeps its `try`.
func runCLIInProcess(_ arguments: [String]) throws -> CLIResult {
    let output = CLIOutput()
    let status: Int32 = CLIOutput.$current.withValue(output) {
        do {
            var command = try ThetaConsoleCommand.parseAsRoot(arguments)
            try command.run()
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
