import Foundation
import Glibc

/// Waits for a state change: checks `condition` every `interval` seconds until it holds or the
/// deadline passes. Returns whether it held. Never a fixed sleep: a fast machine moves on at once.
@discardableResult
public func waitUntil(timeout: Double = 10, interval: Double = 0.01, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}
