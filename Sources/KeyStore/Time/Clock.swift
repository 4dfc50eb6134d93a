import FoundationEssentials

/// Where the store reads "now"; injected so expiry tests don't sleep (STYLE.md).
public protocol Clock: Sendable {
    func now() -> Date
}
