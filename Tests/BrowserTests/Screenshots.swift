import Foundation

/// Writes screenshots of the console when `THETA_SCREENSHOTS` names a folder (relative paths are taken
/// from the package root), at desktop (1280×800) and phone (390×844) sizes. Otherwise does nothing.
struct Screenshots {
    static let desktop = (width: 1280, height: 800)
    static let phone = (width: 390, height: 844)

    let folder: URL?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["THETA_SCREENSHOTS"], !path.isEmpty else {
            folder = nil
            return
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        folder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : packageRoot.appendingPathComponent(path)
    }

    var enabled: Bool { folder != nil }

    /// `desktop-NAME.png` and `phone-NAME.png`; `prepare` runs after each resize (to scroll, or to redact).
    func capture(_ name: String, page: ConsolePage, prepare: () throws -> Void = {}) throws {
        guard let folder else { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (label, size, scale, mobile) in [("desktop", Self.desktop, 1.0, false), ("phone", Self.phone, 2.0, true)] {
            try page.browser.setViewport(width: size.width, height: size.height, scale: scale, mobile: mobile)
            try page.browser.execute("window.scrollTo(0, 0); document.getElementById('toasts').replaceChildren()")
            try prepare()
            try page.settle()
            try page.browser.screenshot().write(to: folder.appendingPathComponent("\(label)-\(name).png"))
        }
        try page.browser.setViewport(width: Self.desktop.width, height: Self.desktop.height)
        try page.settle()
    }
}
