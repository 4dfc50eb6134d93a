import Foundation
import TestSupport

/// A refusal from the WebDriver server (`{"value": {"error": …, "message": …}}`), or a transport failure.
struct WebDriverError: Error, CustomStringConvertible {
    let status: Int
    let error: String
    let message: String

    var description: String { "WebDriver \(status) \(error): \(message.prefix(400))" }
}

/// A W3C WebDriver session, spoken over HTTP with TestSupport's raw-socket client: just the commands the
/// console's scenario needs (https://www.w3.org/TR/webdriver2/). Not `Sendable`: one test owns it.
final class WebDriverSession {
    /// The W3C key for an element reference in JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let port: Int
    let id: String

    /// Starts a browser: `POST /session` with the capabilities given.
    init(port: Int, capabilities: [String: Any]) throws {
        self.port = port
        let value = try Self.send(port: port, "POST", "/session", ["capabilities": ["alwaysMatch": capabilities]],
                                  timeout: 90)
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw WebDriverError(status: 0, error: "bad response", message: "POST /session returned \(value)")
        }
        self.id = id
    }

    /// Ends the session and quits the browser.
    func quit() {
        _ = try? Self.send(port: port, "DELETE", "/session/\(id)", nil, timeout: 30)
    }

    // MARK: - Commands

    func navigate(to url: String) throws {
        try command("POST", "/url", ["url": url])
    }

    /// The first element matching a CSS selector.
    func element(_ css: String) throws -> Element {
        try Element(session: self, reference: Self.reference(from: command("POST", "/element", ["using": "css selector", "value": css])))
    }

    func elements(_ css: String) throws -> [Element] {
        let values = try command("POST", "/elements", ["using": "css selector", "value": css]) as? [Any] ?? []
        return try values.map { try Element(session: self, reference: Self.reference(from: $0)) }
    }

    /// Runs a function body in the page and returns its JSON-able result.
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) throws -> Any {
        try command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    func string(_ script: String, _ arguments: [Any] = []) throws -> String {
        let value = try execute(script, arguments)
        return value as? String ?? (value is NSNull ? "" : "\(value)")
    }

    func bool(_ script: String, _ arguments: [Any] = []) throws -> Bool {
        (try execute(script, arguments) as? Bool) ?? false
    }

    /// `GET /source`: the page's HTML as the browser serialises it now.
    func pageSource() throws -> String {
        try command("GET", "/source") as? String ?? ""
    }

    /// A PNG of the viewport.
    func screenshot() throws -> Data {
        guard let base64 = try command("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(status: 0, error: "bad response", message: "screenshot was not base64")
        }
        return data
    }

    /// Presses keys on whatever has focus (the Actions API: keyDown then keyUp for each).
    func press(_ keys: Key...) throws {
        var actions: [[String: Any]] = []
        for key in keys {
            actions.append(["type": "keyDown", "value": key.rawValue])
            actions.append(["type": "keyUp", "value": key.rawValue])
        }
        try command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    /// Shift+Tab.
    func pressShiftTab() throws {
        let actions: [[String: Any]] = [
            ["type": "keyDown", "value": Key.shift.rawValue], ["type": "keyDown", "value": Key.tab.rawValue],
            ["type": "keyUp", "value": Key.tab.rawValue], ["type": "keyUp", "value": Key.shift.rawValue],
        ]
        try command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    /// The `id` of the focused element ("" for none or no id).
    func activeElementID() throws -> String {
        try string("return document.activeElement ? document.activeElement.id : ''")
    }

    /// The browser's console log since the last call (chromedriver's `goog:loggingPrefs`).
    func browserLog() throws -> [LogEntry] {
        let value: Any
        do {
            value = try command("POST", "/se/log", ["type": "browser"])
        } catch {
            value = try command("POST", "/log", ["type": "browser"])
        }
        return (value as? [[String: Any]] ?? []).map {
            LogEntry(level: $0["level"] as? String ?? "", source: $0["source"] as? String ?? "",
                     message: $0["message"] as? String ?? "")
        }
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    func devTools(_ method: String, _ parameters: [String: Any] = [:]) throws {
        try command("POST", "/goog/cdp/execute", ["cmd": method, "params": parameters])
    }

    /// Makes the viewport exactly `width`×`height` CSS pixels (phone mode emulates touch and a mobile viewport).
    func setViewport(width: Int, height: Int, scale: Double = 1, mobile: Bool = false) throws {
        try devTools("Emulation.setDeviceMetricsOverride",
                     ["width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile])
    }

    // MARK: - Plumbing

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any {
        try Self.send(port: port, method, "/session/\(id)\(path)", body ?? (method == "POST" ? [:] : nil), timeout: 60)
    }

    private static func send(port: Int, _ method: String, _ path: String, _ body: [String: Any]?, timeout: Double) throws -> Any {
        let client = try RawHTTPClient(port: port, host: "127.0.0.1", timeout: timeout)
        var headers = ["Accept": "application/json"]
        var bytes: [UInt8]?
        if let body {
            headers["Content-Type"] = "application/json; charset=utf-8"
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try client.request(method, path, headers: headers, body: bytes)
        let object = response.object
        let value = object["value"] ?? NSNull()
        if response.status >= 400 {
            let failure = value as? [String: Any]
            throw WebDriverError(status: response.status, error: failure?["error"] as? String ?? "unknown error",
                                 message: failure?["message"] as? String ?? response.text)
        }
        return value
    }

    private static func reference(from value: Any) throws -> String {
        guard let object = value as? [String: Any], let reference = object[elementKey] as? String else {
            throw WebDriverError(status: 0, error: "bad response", message: "not an element: \(value)")
        }
        return reference
    }
}

/// An element found in the page.
struct Element {
    let session: WebDriverSession
    let reference: String

    func click() throws {
        try session.command("POST", "/element/\(reference)/click")
    }

    /// Types text into the element, as key events.
    func type(_ text: String) throws {
        try session.command("POST", "/element/\(reference)/value", ["text": text])
    }

    func clear() throws {
        try session.command("POST", "/element/\(reference)/clear")
    }

    var text: String {
        get throws { try session.command("GET", "/element/\(reference)/text") as? String ?? "" }
    }

    func property(_ name: String) throws -> Any {
        try session.command("GET", "/element/\(reference)/property/\(name)")
    }

    var isDisplayed: Bool {
        get throws { try session.command("GET", "/element/\(reference)/displayed") as? Bool ?? false }
    }

    /// The element as an argument to `execute`.
    var json: [String: String] { [WebDriverSession.elementKey: reference] }
}

/// Keys from the WebDriver spec's table of normalised key values.
enum Key: String {
    case tab = "\u{E004}"
    case enter = "\u{E007}"
    case escape = "\u{E00C}"
    case shift = "\u{E008}"
    case backspace = "\u{E003}"
    case arrowLeft = "\u{E012}"
    case arrowRight = "\u{E014}"
}

/// One line of the browser's console log.
struct LogEntry: CustomStringConvertible {
    let level: String
    let source: String
    let message: String

    var description: String { "[\(level) \(source)] \(message)" }
}
