import Foundation
import HTTPServer
import KeyStore
import Logging
import PosixThreads
import TestSupport
import ThetaConsole
@testable import theta_console

/// theta-console in the test's own process: `serve`'s flags parsed by `ServeCommand`, the app made
/// as `serve` makes it, its usage flush thread running, and each request sent through the frozen
/// router with `RouterDriver`. A request is written as wire bytes, read back by the real request
/// parser, and its answer encoded as a connection encodes it, then parsed as a client would.
/// No socket, no event loop, no binary: what needs those (framing, timeouts, signals) stays with
/// `ServerProcess`.
final class InProcessServer: ThetaServer, @unchecked Sendable {
    let app: ThetaConsoleApp
    let driver: RouterDriver
    let adminToken: String?
    /// The app's log, kept as `serve` writes it to stderr: by `StreamLogHandler`, at `--log-level`.
    private let log = Lock<String>("")
    /// Set by `stop()`, so the server is not stopped twice.
    private let stopped = Lock<Bool>(false)

    /// Holds the database unless the test gives a path; removed with the server.
    let directory = TemporaryDirectory()
    let databasePath: String

    /// A database file of its own by default, as `ServerProcess` has, so the same code runs (WAL,
    /// the gate's cache under the wal-index header); `":memory:"` when a test asks for it.
    /// `backgroundWork: false` leaves the usage-flush thread off, for a test that must see what
    /// happens before its next round.
    init(arguments: [String] = [], databasePath: String? = nil,
         adminToken: String? = "test-admin-token-0123456789", backgroundWork: Bool = true) throws {
        self.databasePath = databasePath ?? directory.file("theta-console.sqlite3")
        var flags = ["--port", "0", "--db", self.databasePath]
        if let adminToken { flags += ["--admin-token", adminToken] }
        let command = try ServeCommand.parse(flags + arguments)
        let configuration = try command.makeConfiguration()
        serverConfiguration = configuration.server
        let level = Logger.Level(rawValue: command.logLevel) ?? .info
        let logger = Logger(label: "theta-console") { [log] label in
            var handler = StreamLogHandler(label: label, stream: LogStream(log: log))
            handler.logLevel = level
            return handler
        }
        let (app, generated) = try command.makeApp(configuration: configuration, logger: logger)
        self.app = app
        self.adminToken = adminToken ?? generated
        driver = RouterDriver(app.makeRouter())
        if backgroundWork { try app.startBackgroundWork() }
    }

    deinit {
        stop()
    }

    /// Stops as `serve` stops once a SIGTERM's grace is over: the usage-flush thread ends and
    /// writes the last batch, then the store closes (checkpointing the WAL into the file). Returns
    /// the status `serve` exits with: 0, or 1 when closing the database failed. A test "restarts"
    /// by making another server on the same `databasePath`.
    @discardableResult
    func stop() -> Int32 {
        guard !stopped.withLock({ stopped in defer { stopped = true }; return stopped }) else { return 0 }
        wire.withLock { $0?.shutdown() }
        app.stopBackgroundWork()
        do {
            try app.store.close()
            return 0
        } catch {
            return 1
        }
    }

    /// What `serve` writes to stderr: the app's log.
    var stderr: String { log.withLock { $0 } }
    /// What `serve` writes to stdout: only lines of its own (the generated token, the listening
    /// line), none of them the app's, so in process there is nothing.
    let stdout = ""

    var store: KeyStore { app.store }

    /// `serve`'s connection settings (deadlines, limits), for connections made with `connect()`.
    let serverConfiguration: ServerConfiguration
    /// The loop that serves `connect()`'s connections, started by the first one.
    private let wire = Lock<SocketPairServer?>(nil)

    /// A connection to the app through the server's own loop and `Connection`, over a socketpair:
    /// for tests of the wire (framing, pipelining, deadlines, closes) with no TCP and no binary.
    func connect(remoteAddress: String = "127.0.0.1") throws -> RawHTTPClient {
        let server = try wire.withLock { wire in
            if let wire { return wire }
            let made = try SocketPairServer(router: driver.router, configuration: serverConfiguration)
            wire = made
            return made
        }
        return RawHTTPClient(connected: try server.connect(remoteAddress: remoteAddress))
    }

    func connection() throws -> RawHTTPClient {
        try connect()
    }

    /// The port `serve` was given (0): what a Host header may name.
    var port: Int { serverConfiguration.port }

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]?) throws -> WireResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return try send(Array(text.utf8) + (body ?? []))
    }

    /// One request given as wire bytes, read by the server's own parser.
    func send(_ bytes: [UInt8]) throws -> WireResponse {
        var parser = HTTPRequestParser()
        var input = InputBuffer(bytes)
        var head: RequestHead?
        var body: [[UInt8]] = []
        parsing: while let event = try parser.next(&input) {
            switch event {
            case .head(let parsed): head = parsed
            case .body(let chunk): body.append(Array(chunk))
            case .end: break parsing
            }
        }
        guard let head else { throw ClientError("the request bytes hold no whole head") }
        let response = try driver.send(head, body: body)
        return try WireResponse.parse(driver.wire(response, for: head), headRequest: head.method == .HEAD)
    }
}

/// Where an in-process server's `StreamLogHandler` writes: the server's kept log.
private struct LogStream: TextOutputStream, Sendable {
    let log: Lock<String>

    func write(_ string: String) {
        log.withLock { $0 += string }
    }
}
