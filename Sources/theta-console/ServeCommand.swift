import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import HTTPServer
import KeyStore
import Logging
import PosixThreads
import ThetaConsole

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the emulated Theta One API, its admin API and the browser console.",
        discussion: """
            When ready it prints one line to stdout, 'theta-console listening on http://HOST:PORT'; \
            with TLS, a second, 'theta-console listening on https://HOST:PORT', and with \
            --tls-self-signed a third, 'theta-console certificate authority: PATH'. \
            On a new database without an admin token it first prints a generated one, once. \
            A new database is a new account: plan Free with 0.20 credits (see --plan, --credits). \
            Logs go to stderr. SIGINT or SIGTERM stops accepting, lets requests in flight finish, \
            writes the last usage, closes the database and exits 0.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp(
        "Also serve HTTPS (TLS 1.2 and up, on --tls-port) with this PEM certificate chain.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("tls-self-signed"), help: ArgumentHelp(
        "Also serve HTTPS with a local CA and a certificate for localhost, 127.0.0.1 and ::1, made in this folder the first time (keys mode 0600) and reused after; its path is printed.",
        valueName: "dir"))
    var tlsSelfSigned: String?

    @Option(name: .customLong("tls-port"), help: "The HTTPS port, beside --port (with --tls-cert or --tls-self-signed); 0 picks a free one.")
    var tlsPort = 8443

    @Option(name: .customLong("allowed-host"), help: ArgumentHelp(
        "A Host name to answer besides localhost, *.localhost, IP addresses and --host (repeatable; '.example.test' also allows its subdomains).",
        discussion: "On a loopback address any other Host gets 403, so a web page cannot reach the server by rebinding its own name to 127.0.0.1.",
        valueName: "name"))
    var allowedHosts: [String] = []

    @OptionGroup var database: DatabaseOption

    @Option(help: "The admin token for /v1/ routes (visible in ps; prefer --admin-token-file or $THETA_CONSOLE_ADMIN_TOKEN).")
    var adminToken: String?

    @Option(help: "Read the admin token from this file (mode 0600 or stricter; one line).")
    var adminTokenFile: String?

    @Option(help: "Delete audit events older than this many days, checked hourly (default: keep all).")
    var auditRetentionDays: Int?

    @Flag(help: "Let POST /v1/keys carry a key's secret (\"key\"), for fixtures that need a fixed key.")
    var allowKeyImport = false

    @Option(help: "Seconds the emulated service takes to give up on a request: a 'timeout' fault (/v1/faults) answers 504 after this long.")
    var processingTimeout = 60.0

    @Flag(help: "Offer POST /v1/reset, which deletes every key, the ledger and the audit log and restarts the account (for test suites).")
    var allowReset = false

    @Option(help: "Keep the last N emulated requests (time, endpoint, key id, status, reason, form part names and sizes) for GET /v1/requests and /v1/requests/count, which filter them by endpoint, key, status, reason, time and mark.")
    var recordRequests: Int?

    @Option(help: "At start-up, load response stubs from this JSON file: an array of objects as POST /v1/stubs takes them.")
    var stubs: String?

    @Option(help: ArgumentHelp(
        "Send each speech request that passes the local gate (key, plan, credits, rate limit, faults) on to the real service at this https:// URL, and answer with what it answers (a recording proxy).",
        discussion: "The upstream's certificate and host name are verified. Its key comes from --upstream-key-env and is never stored, logged or recorded.",
        valueName: "url"))
    var upstream: String?

    @Option(help: ArgumentHelp("The environment variable that holds the upstream's API key (with --upstream).", valueName: "name"))
    var upstreamKeyEnv = "THETA_ONE_API_KEY"

    @Option(help: ArgumentHelp("Trust the CAs in this PEM file for --upstream instead of the system's trust store.", valueName: "file"))
    var upstreamCa: String?

    @Option(help: ArgumentHelp(
        "Seconds an exchange with --upstream may take before the request gets 504 (the real service's documented timeout).",
        valueName: "seconds"))
    var upstreamTimeout = 60.0

    @Option(help: ArgumentHelp(
        "With --upstream, write each upstream 200 into this folder as a recording (a stub keyed by endpoint, audio SHA-256 and options), unless it holds a key.",
        valueName: "dir"))
    var record: String?

    @Option(help: ArgumentHelp(
        "Answer speech requests from the recordings in this folder (made with --record), matched by endpoint, audio SHA-256 and options; others get the emulated answer, or with --upstream the real service's (recorded with --record, then replayed).",
        valueName: "dir"))
    var replay: String?

    @Flag(help: "With --replay, a request no recording matches gets 404 naming what is missing, instead of the emulated answer.")
    var replayStrict = false

    @Option(help: "At start-up, add the keys in this JSON file (mode 0600): [{name, key, rate_limit_rpm?, expires_at?, allowed_cidrs?}]; keys already present are skipped.")
    var seedKeys: String?

    @Option(help: "The highest rate limit a key may have, in requests per minute (raise for a 'separate contract').")
    var maxKeyRPM = 100

    @Option(help: "Serve the console from this folder instead of the copy built into the binary.")
    var publicDir: String?

    @Option(help: "Set the account's plan at start-up, starting a billing cycle with its monthly credits: free, starter, pro, pro_plus or enterprise (a new database starts on free).")
    var plan: Plan?

    @Option(help: "Set the account's balance at start-up, in credits, as credits that never expire (a new database starts with 0.20); on Enterprise also its monthly grant.")
    var credits: String?

    @Option(help: "The largest upload the emulated endpoints accept, in MiB (413 above it).")
    var maxUploadMB = 50

    @Option(help: "Start a manual clock at this RFC 3339 time, moved only through POST /v1/clock (for test suites).")
    var fakeTime: String?

    @Option(help: "Cap the database file at this many MiB (writes past it get 507, like a full disk).")
    var maxDbMB: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Close connections beyond this many with 503.")
    var maxConnections = 10_000

    @Option(help: "Seconds a client has to send a whole request head.")
    var headerTimeout = 10.0

    @Option(help: "Seconds a TLS handshake may take from the connection's accept (HTTPS only).")
    var handshakeTimeout = 10.0

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a request body may go without progress.")
    var bodyTimeout = 30.0

    @Option(help: "Seconds in-flight requests get to finish after SIGINT or SIGTERM.")
    var shutdownGrace = 10.0

    @Option(help: "Event-loop threads (0: one per core).")
    var threads = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard (0...65535).contains(tlsPort) else { throw ValidationError("--tls-port must be from 0 to 65535") }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("give --tls-cert and --tls-key together") }
        if tlsSelfSigned != nil && tlsCertificate != nil {
            throw ValidationError("give --tls-cert and --tls-key, or --tls-self-signed, not both")
        }
        if servesTLS && tlsPort == port && port != 0 { throw ValidationError("--tls-port must differ from --port") }
        guard maxKeyRPM >= 1 else { throw ValidationError("--max-key-rpm must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard headerTimeout > 0, handshakeTimeout > 0, idleTimeout > 0, bodyTimeout > 0, shutdownGrace >= 0 else {
            throw ValidationError("timeouts must be positive")
        }
        if let credits, Credits.parse(credits) == nil {
            throw ValidationError("--credits must be a number of credits with at most 6 decimals")
        }
        if let maxDbMB, maxDbMB < 1 { throw ValidationError("--max-db-mb must be at least 1") }
        guard (1...4096).contains(maxUploadMB) else { throw ValidationError("--max-upload-mb must be from 1 to 4096") }
        if let fakeTime, RFC3339.date(from: fakeTime) == nil {
            throw ValidationError("--fake-time must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z")
        }
        if let recordRequests, !(1...100_000).contains(recordRequests) {
            throw ValidationError("--record-requests must be from 1 to 100000")
        }
        guard processingTimeout > 0 && processingTimeout <= 3600 else {
            throw ValidationError("--processing-timeout must be from 0 to 3600 seconds")
        }
        if let upstream {
            do {
                _ = try UpstreamURL(upstream)
            } catch {
                throw ValidationError("--upstream: \(error)")
            }
            guard let key = ProcessInfo.processInfo.environment[upstreamKeyEnv], !key.trimmedOfSpaces.isEmpty else {
                throw ValidationError("--upstream-key-env: the environment variable \(upstreamKeyEnv) is not set; put the upstream's API key there")
            }
            if replayStrict { throw ValidationError("--replay-strict and --upstream exclude each other: a missing recording is fetched") }
        } else if record != nil || upstreamCa != nil {
            throw ValidationError("--record and --upstream-ca need --upstream")
        }
        if replayStrict && replay == nil { throw ValidationError("--replay-strict needs --replay") }
        guard upstreamTimeout > 0 && upstreamTimeout <= 3600 else {
            throw ValidationError("--upstream-timeout must be from 0 to 3600 seconds")
        }
        if let auditRetentionDays, auditRetentionDays < 1 {
            throw ValidationError("--audit-retention-days must be at least 1")
        }
        for name in allowedHosts where name.isEmpty || !name.utf8.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }) {
            throw ValidationError("--allowed-host must be a host name (letters, digits, '.', '-', '_'), without a port: '\(name)'")
        }
        if adminToken != nil && adminTokenFile != nil {
            throw ValidationError("give --admin-token or --admin-token-file, not both")
        }
        if let token = try resolvedAdminToken(), token.count < 16 {
            throw ValidationError("the admin token must be at least 16 characters")
        }
    }

    private var servesTLS: Bool { tlsCertificate != nil || tlsSelfSigned != nil }

    /// The HTTPS listener the TLS flags ask for, and the local CA's path when it is ours.
    func makeTLS() throws -> (listener: TLSListener, authority: String?)? {
        do {
            if let tlsCertificate, let tlsKey {
                return (TLSListener(port: tlsPort, context: try TLSServerContext(certificateFile: tlsCertificate, keyFile: tlsKey)), nil)
            }
            guard let tlsSelfSigned else { return nil }
            let files = try TLSServerContext.localFiles(in: tlsSelfSigned)
            let context = try TLSServerContext(certificateFile: files.certificate, keyFile: files.key)
            return (TLSListener(port: tlsPort, context: context), files.authority)
        } catch {
            throw ValidationError(tlsSelfSigned != nil ? "--tls-self-signed: \(error)" : "--tls-cert/--tls-key: \(error)")
        }
    }

    /// The token from --admin-token-file, --admin-token or the environment, in that order.
    private func resolvedAdminToken() throws -> String? {
        if let adminTokenFile { return try OwnerOnlyFile.token(adminTokenFile) }
        return adminToken ?? ProcessInfo.processInfo.environment["THETA_CONSOLE_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The configuration these flags give.
    func makeConfiguration() throws -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.databasePath = database.db
        configuration.adminToken = try resolvedAdminToken()
        configuration.adminTokenSource = adminTokenFile != nil ? "--admin-token-file" : adminToken != nil ? "--admin-token"
            : "THETA_CONSOLE_ADMIN_TOKEN"
        configuration.auditRetentionDays = auditRetentionDays
        configuration.allowKeyImport = allowKeyImport
        configuration.processingTimeoutSeconds = processingTimeout
        configuration.allowReset = allowReset
        configuration.recordRequests = recordRequests
        configuration.maxKeyRPM = maxKeyRPM
        configuration.publicDirectory = publicDir
        configuration.allowedHosts = allowedHosts
        configuration.server.host = host
        configuration.server.port = port
        configuration.server.maxConnections = maxConnections
        configuration.server.headerTimeout = headerTimeout
        configuration.server.handshakeTimeout = handshakeTimeout
        configuration.server.idleTimeout = idleTimeout
        configuration.server.bodyTimeout = bodyTimeout
        configuration.server.threads = threads
        configuration.plan = plan
        configuration.creditsMicro = credits.flatMap(Credits.parse)
        configuration.maxUploadBytes = maxUploadMB * 1024 * 1024
        if let upstream, let key = ProcessInfo.processInfo.environment[upstreamKeyEnv] {
            configuration.upstream = UpstreamSettings(url: try UpstreamURL(upstream),
                                                      key: .init(key.trimmedOfSpaces),
                                                      authority: upstreamCa, timeout: upstreamTimeout, recordDirectory: record)
        }
        configuration.replayDirectory = replay
        configuration.replayStrict = replayStrict
        return configuration
    }

    /// Opens the store and readies the app as `serve` does before it listens: the starting account,
    /// stubs, seed keys and the admin token. Returns the token too when it was just generated, to
    /// be shown once. Tests in process start their app here, from the same flags.
    func makeApp(configuration: AppConfiguration, logger: Logger) throws -> (app: ThetaConsoleApp, newToken: String?) {
        let clock: any Clock = fakeTime.flatMap(RFC3339.date(from:)).map { ManualClock($0) } ?? SystemClock()
        let store = try KeyStore(path: database.db, clock: clock, maxDatabaseBytes: maxDbMB.map { Int64($0) * 1024 * 1024 })
        let app: ThetaConsoleApp
        do {
            app = try ThetaConsoleApp(store: store, configuration: configuration, logger: logger)
        } catch let error as TLSError {
            throw ValidationError("--upstream-ca: \(error)")
        }
        if let upstream = configuration.upstream {
            logger.info("forwarding speech requests", metadata: ["upstream": "\(upstream.url)", "record": "\(upstream.recordDirectory ?? "no")"])
        }
        if let count = app.replayCount { logger.info("loaded recordings", metadata: ["count": "\(count)", "strict": "\(configuration.replayStrict)"]) }
        try app.applyStartingAccount()
        if let stubs {
            guard let bytes = FileBytes.read(stubs) else {
                throw ValidationError("--stubs: \(stubs) cannot be read")
            }
            let count = try app.loadStubs(json: bytes)
            logger.info("loaded stubs", metadata: ["count": "\(count)"])
        }
        if let seedKeys {
            let seeded = try app.seedKeys(json: try OwnerOnlyFile.read(seedKeys, option: "--seed-keys"))
            logger.info("seeded keys", metadata: ["added": "\(seeded.added)", "in file": "\(seeded.total)"])
        }
        return (app, try app.ensureAdminToken())
    }

    func run() throws {
        ShutdownSignals.install()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "theta-console")

        let configuration = try makeConfiguration()

        try runReportingFailures {
            let (app, newToken) = try makeApp(configuration: configuration, logger: logger)
            if let newToken {
                emit("admin token (shown once, store it now): \(newToken)")
            }
            var serverConfiguration = configuration.server
            let tls = try makeTLS()
            serverConfiguration.tls = tls?.listener
            let server = HTTPServer(configuration: serverConfiguration, router: app.makeRouter(), logger: logger)
            let boundPort = try server.start()
            try app.startBackgroundWork()
            try handleShutdownSignals(server: server, app: app, logger: logger, grace: shutdownGrace)
            let shownHost = bracketedHost(host)
            logger.info("serving", metadata: ["db": "\(database.db)", "port": "\(boundPort)", "tls_port": "\(server.tlsPort.map(String.init) ?? "none")"])
            emit("theta-console listening on http://\(shownHost):\(boundPort)")
            if let tlsPort = server.tlsPort { emit("theta-console listening on https://\(shownHost):\(tlsPort)") }
            if let authority = tls?.authority { emit("theta-console certificate authority: \(authority)") }
        }
        dispatchMain()
    }

    /// Shuts down on SIGINT or SIGTERM. The handlers were installed at the start of `run`, before any
    /// thread or listening socket existed, so a signal that arrives at any moment after the
    /// "listening" line (or even before it) is waiting in the pipe, never lost.
    private func handleShutdownSignals(server: HTTPServer, app: ThetaConsoleApp, logger: Logger, grace: Double) throws {
        try Threads.start(name: "shutdown") {
            let signalNumber = ShutdownSignals.wait()
            logger.info("shutting down", metadata: ["signal": "\(signalNumber)"])
            server.shutdown(grace: grace)
            app.stopBackgroundWork()
            do {
                try app.store.close()
            } catch {
                logger.error("closing the database failed", metadata: ["error": "\(error)"])
                Glibc.exit(1)
            }
            logger.info("stopped")
            Glibc.exit(0)
        }
    }
}

extension String {
    /// Without leading or trailing whitespace (an upstream key pasted with a newline).
    fileprivate var trimmedOfSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}


/// Files that hold secrets (`--admin-token-file`, `--seed-keys`): refused unless they belong to
/// the user running theta-console and only that user may read or write them, since a secret others
/// can read, or swap, is not a secret.
enum OwnerOnlyFile {
    /// The whole file (at most 4 MiB). The checks and the read are made on one descriptor, opened
    /// without following a symbolic link, so the file cannot be swapped between them.
    static func read(_ path: String, option: String) throws -> [UInt8] {
        func failure(_ what: String) -> ValidationError {
            ValidationError("\(option): \(path) \(what)")
        }
        // O_NONBLOCK: a FIFO put in the file's place must not hang the start; it is refused below.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ELOOP { throw failure("is a symbolic link; give the path of the file itself") }
            throw failure("cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure("is not a file") }
        guard info.st_uid == geteuid() else {
            throw failure("belongs to user \(info.st_uid), not to the user running theta-console (\(geteuid())); chown it")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw failure("is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let bytes = FileBytes.read(fd: fd) else { throw failure("cannot be read, or is larger than 4 MiB") }
        return bytes
    }

    /// `--admin-token-file`: the file's first line, trimmed.
    static func token(_ path: String) throws -> String {
        let bytes = try read(path, option: "--admin-token-file")
        let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let token = String(decoding: line, as: UTF8.self).trimmingWhitespace()
        guard !token.isEmpty else { throw ValidationError("--admin-token-file: \(path) is empty") }
        return token
    }
}

/// SIGINT and SIGTERM through a self-pipe: the handler only writes the signal's number to a pipe
/// (async-signal-safe), and a thread reads it. Unlike a Dispatch signal source, which registers
/// asynchronously, the handler is in place the moment `install()` returns.
enum ShutdownSignals {
    // Plain scalars, set before any handler can run: the handler reads one and touches nothing else.
    nonisolated(unsafe) private static var readEnd: Int32 = -1
    nonisolated(unsafe) static var writeEnd: Int32 = -1

    static func install() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        readEnd = fds[0]
        writeEnd = fds[1]
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(ShutdownSignals.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Blocks until a shutdown signal arrives; returns its number.
    static func wait() -> Int32 {
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n == 1 { return Int32(byte) }
            if n < 0 && errno == EINTR { continue }
            return SIGTERM
        }
    }
}
