import Foundation
import Testing
import TestSupport

/// One scenario's world: the real theta-console on port 0 with a fresh database, chromedriver, and a
/// headless Chromium at desktop size. `stop()` ends the browser and the driver (the server ends with the value).
final class BrowserHarness {
    let server: ServerProcess
    let adminToken: String
    let driver: ChromeDriverProcess
    let browser: WebDriverSession
    let page: ConsolePage

    /// Throws when the machine has no browser; callers check `BrowserTools.available` first (and skip, or
    /// fail under CI).
    init(serverArguments: [String] = []) throws {
        var arguments = serverArguments
        // For working on the console: serve public/ from disk instead of the copy built into the binary.
        if let folder = ProcessInfo.processInfo.environment["THETA_PUBLIC_DIR"] { arguments += ["--public-dir", folder] }
        guard let chromium = BrowserTools.chromium, let chromedriver = BrowserTools.chromedriver else {
            throw ClientError(BrowserTools.missingMessage)
        }
        server = try ServerProcess(arguments: arguments)
        adminToken = try #require(server.adminToken)
        driver = try ChromeDriverProcess(executable: chromedriver)
        do {
            browser = try driver.startBrowser(binary: chromium)
        } catch {
            driver.stop()
            throw error
        }
        page = ConsolePage(browser: browser, base: "http://127.0.0.1:\(server.port)")
        try browser.setViewport(width: Screenshots.desktop.width, height: Screenshots.desktop.height)
        // The stylesheet's reduced-motion mode has no animations: a dialog that is still fading in (opacity 0)
        // reads to chromedriver as "not interactable", which made clicks right after opening it flaky.
        try browser.devTools("Emulation.setEmulatedMedia",
                             ["features": [["name": "prefers-reduced-motion", "value": "reduce"]]])
    }

    /// Signs in through the form and waits for the screen the URL names.
    func signIn(expecting view: String = "apis") throws {
        try page.wait("the sign-in form") { try page.isVisible("#signin-token") }
        try page.fill("#signin-token", adminToken)
        try page.click("#signin-submit")
        try page.wait("the \(view) screen") { try page.isVisible("#view-\(view)") }
    }

    /// The browser's console entries that are problems: every warning or error except the HTTP refusals
    /// a scenario provokes on purpose, given as (path, status). Chromium logs each refused request as
    /// "URL - Failed to load resource: the server responded with a status of N (…)"; nothing else may appear.
    func consoleProblems(allowingRefusals allowed: [(path: String, status: Int)] = []) throws -> (log: [LogEntry], problems: [LogEntry]) {
        let log = try browser.browserLog()
        let problems = log.filter { entry in
            guard ["SEVERE", "WARNING"].contains(entry.level) else { return false }
            let deliberate = entry.source == "network" && allowed.contains {
                entry.message.contains("\(page.base)\($0.path) - Failed to load resource: the server responded with a status of \($0.status) ")
            }
            return !deliberate
        }
        return (log, problems)
    }

    func stop() {
        let started = Date()
        browser.quit()
        driver.stop()
        print(String(format: "BrowserTests: browser and chromedriver stopped in %.2f s", Date().timeIntervalSince(started)))
    }
}
