import Foundation
import Glibc

/// The real theta-console binary, built by `swift test` next to the test bundle.
public enum Binary {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["THETA_CONSOLE_BINARY"] { return override }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = (me as NSString).deletingLastPathComponent
        // On Linux the test bundle is a file in the build folder; elsewhere it may be a bundle directory.
        while !folder.isEmpty && folder != "/" {
            let candidate = folder + "/theta-console"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return "theta-console"
    }
}

/// What a finished CLI run printed.
public struct CLIResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs `theta-console ARGS…` to completion, with `input` on its stdin (else /dev/null).
public func runCLI(_ arguments: [String], environment: [String: String] = [:], input: [UInt8]? = nil) throws -> CLIResult {
    try ChildProcess.run(Binary.path, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                         input: input)
}

/// `theta-console serve` on port 0, started the way a test suite would use it as a fixture:
/// wait for the listening line, read the port (and the admin token if one was generated).
public final class ServerProcess: ThetaServer, @unchecked Sendable {
    public private(set) var process: ChildProcess!
    public let directory: TemporaryDirectory
    public let databasePath: String
    public private(set) var port = 0
    public private(set) var adminToken: String?
    public let stdoutPath: String
    public let stderrPath: String
    /// The test that started it, told how the server ended.
    private let evidence: TestEvidence
    /// Set when the test signals or kills the server itself: its ending is then no surprise.
    private let endedByTest = LockedFlag()

    /// Starts a server. `databasePath` defaults to a new file in a new temporary folder.
    public init(arguments: [String] = [], databasePath: String? = nil, adminToken: String? = "test-admin-token-0123456789",
                directory: TemporaryDirectory = TemporaryDirectory(), environment: [String: String] = [:]) throws {
        guard let evidence = TestEvidence.current else {
            throw ClientError("ServerProcess needs its suite to carry the .keepsEvidence trait, so a failure keeps the server's stderr")
        }
        self.evidence = evidence
        self.directory = directory
        self.databasePath = databasePath ?? directory.file("theta.sqlite3")
        stdoutPath = directory.file("stdout-\(UUID().uuidString.prefix(6)).log")
        stderrPath = directory.file("stderr-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)

        var args = ["serve", "--port", "0", "--db", self.databasePath]
        if let adminToken { args += ["--admin-token", adminToken] }
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env.removeValue(forKey: "THETA_CONSOLE_ADMIN_TOKEN")
        // A crash prints the Swift runtime's backtrace to stderr, which the evidence keeps; never
        // the interactive mode, which would wait for a debugger.
        if env["SWIFT_BACKTRACE"] == nil { env["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,color=no" }
        if let value = environment["THETA_CONSOLE_ADMIN_TOKEN"] { env["THETA_CONSOLE_ADMIN_TOKEN"] = value }
        // Its output goes to files the test reads (and keeps, if it fails).
        let out = open(stdoutPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        let err = open(stderrPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        defer { close(out); close(err) }
        guard out >= 0, err >= 0 else { throw ClientError("cannot open the server's output files in \(directory.path)") }
        process = try ChildProcess(Binary.path, args + arguments, environment: env, stdout: out, stderr: err)
        self.adminToken = adminToken

        let deadline = Date().addingTimeInterval(30 * timeoutScale)
        while Date() < deadline {
            let out = stdout
            if let range = out.range(of: "theta-console listening on http://") {
                let rest = out[range.upperBound...].prefix { $0 != "\n" }
                if out[range.upperBound...].contains("\n"), let colon = rest.lastIndex(of: ":"), let p = Int(rest[rest.index(after: colon)...]) {
                    port = p
                    if let token = out.range(of: #"theta-admin-[A-Za-z0-9]+"#, options: .regularExpression) {
                        self.adminToken = String(out[token])
                    }
                    evidence.started(self)
                    return
                }
            }
            if !process.isRunning {
                throw ClientError("theta-console exited with \(process.terminationStatus) before listening: \(stderr)")
            }
            usleep(10_000)
        }
        process.signal(SIGTERM)
        throw ClientError("theta-console did not print its listening line within \(Int(30 * timeoutScale)) s: \(stderr)")
    }

    deinit {
        guard process != nil else { return }  // it never started
        judgeEnding()
        if process.isRunning {
            process.signal(SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Tells the test's evidence how the server ended: by the test's hand, or on its own.
    func judgeEnding() {
        if process.isRunning {
            evidence.ended(pid: pid, description: "was still running when the test let go of it", vanished: false)
        } else {
            let byTest = endedByTest.isSet
            evidence.ended(pid: pid, description: (byTest ? "was stopped by the test and " : "") + exitDescription,
                           vanished: !byTest)
        }
    }

    /// "exited with status 1" or "was killed by signal 11 (SIGSEGV)".
    public var exitDescription: String {
        guard !process.isRunning else { return "is running" }
        if process.terminatedBySignal {
            let number = process.terminationStatus
            let name = strsignal(number).map { String(cString: $0) } ?? "?"
            return "was killed by signal \(number) (\(name))"
        }
        return "exited with status \(process.terminationStatus)"
    }

    /// Sends a signal the test means to send: the server's ending is then not a vanishing.
    public func signal(_ number: Int32) {
        endedByTest.set()
        // Only a process not yet reaped: its pid could be another process's by now (pid_max here is 32768).
        process.signal(number)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }


    /// Sends a signal and waits for the exit status (nil if it did not exit in time).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        self.signal(signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    /// The HTTPS port and the local CA's path, from the lines after the HTTP one
    /// (`serve --tls-self-signed DIR --tls-port 0`).
    public func secureEndpoint() throws -> (port: Int, authority: String) {
        var found: (Int, String)?
        let prefix = "theta-console certificate authority: "
        _ = waitUntil {
            let lines = stdout.split(separator: "\n").map(String.init)
            guard let https = lines.first(where: { $0.hasPrefix("theta-console listening on https://") }),
                  let port = https.split(separator: ":").last.flatMap({ Int($0) }),
                  let authority = lines.first(where: { $0.hasPrefix(prefix) }) else { return false }
            found = (port, String(authority.dropFirst(prefix.count)))
            return true
        }
        guard let found else { throw ClientError("no https lines on stdout: \(stdout)") }
        return found
    }

    /// The server's process id.
    public var pid: Int32 { process.pid }

    /// The process's resident set size now, in KiB (from /proc).
    public var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    // MARK: - ThetaServer

    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]?) throws -> WireResponse {
        try RawHTTPClient.request(port: port, method, path, headers: headers, body: body)
    }

    public func connection() throws -> RawHTTPClient {
        try RawHTTPClient(port: port)
    }
}
