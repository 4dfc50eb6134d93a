import Foundation
import Glibc
import TestSupport

/// Where the browser and its driver are, if this machine has them.
/// `THETA_CHROMEDRIVER` and `THETA_CHROMIUM` override the search of `PATH`.
enum BrowserTools {
    static let environment = ProcessInfo.processInfo.environment

    static let chromedriver = locate(override: "THETA_CHROMEDRIVER", names: ["chromedriver"])
    static let chromium = locate(override: "THETA_CHROMIUM",
                                 names: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"])

    static var available: Bool { chromedriver != nil && chromium != nil }

    /// CI must run the browser scenario: there a missing browser is a failure, not a skip.
    static var required: Bool { !(environment["CI"] ?? "").isEmpty }

    static var missingMessage: String {
        var missing: [String] = []
        if chromium == nil { missing.append("chromium") }
        if chromedriver == nil { missing.append("chromedriver") }
        return "\(missing.joined(separator: " and ")) not found; install with "
            + "`apt-get install chromium chromium-driver`, or point THETA_CHROMIUM / THETA_CHROMEDRIVER at them"
    }

    /// The override when it names an executable (an override that does not is missing, not ignored),
    /// else the first of `names` on PATH.
    private static func locate(override: String, names: [String]) -> String? {
        if let path = environment[override], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        return find(names)
    }

    private static func find(_ names: [String]) -> String? {
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for name in names {
            for folder in folders {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}

/// chromedriver on a port it picks itself (`--port=0`), stopped (by its own pid) when the test is done.
final class ChromeDriverProcess {
    private(set) var process: ChildProcess!
    let directory = TemporaryDirectory()
    private(set) var port = 0
    private let logPath: String

    init(executable: String) throws {
        logPath = directory.file("chromedriver.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = open(logPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard log >= 0 else { throw ClientError("cannot open \(logPath)") }
        defer { close(log) }
        process = try ChildProcess(executable, ["--port=0"], stdout: log, stderr: log)

        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: "started successfully on port ") {
                let digits = log[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), log[range.upperBound...].contains(".") {
                    self.port = port
                    return
                }
            }
            if !process.isRunning { throw ClientError("chromedriver exited: \(log)") }
            usleep(20_000)
        }
        stop()
        throw ClientError("chromedriver did not report its port within 20 s")
    }

    /// Opens a headless Chromium session; the window is sized once more exactly through DevTools.
    func startBrowser(binary: String, width: Int = 1280, height: Int = 800) throws -> WebDriverSession {
        let options: [String: Any] = [
            "binary": binary,
            "args": [
                "--headless=new", "--single-process", "--no-zygote", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=\(width),\(height)", "--lang=en-US", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--password-store=basic", "--use-mock-keychain", "--hide-scrollbars",
            ],
        ]
        return try WebDriverSession(port: port, capabilities: [
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": ["browser": "ALL"],
            "unhandledPromptBehavior": "ignore",
        ])
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        guard let process, process.isRunning else { return }
        // chromedriver's own way out; SIGTERM, then SIGKILL, if it does not go.
        if port != 0, let client = try? RawHTTPClient(port: port, timeout: 2) {
            _ = try? client.request("GET", "/shutdown")
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { usleep(20_000) }
        }
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
