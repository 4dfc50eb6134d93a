import Foundation
import Glibc

/// Waits for a state change: checks `condition` every `interval` seconds until it holds or the
/// deadline passes. Returns whether it held. Never a fixed sleep: a fast machine moves on at once.
@discardableResult
public func waitUntil(timeout: Double = 10 * timeoutScale, interval: Double = 0.01, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}

/// How much longer than usual a test waits, from `THETA_TEST_TIMEOUT_SCALE` (default 1): a server
/// built with a sanitizer runs 5-15 times slower (tests/sanitizers/run sets 10).
public let timeoutScale: Double = {
    guard let text = ProcessInfo.processInfo.environment["THETA_TEST_TIMEOUT_SCALE"], let scale = Double(text), scale >= 1 else { return 1 }
    return scale
}()
