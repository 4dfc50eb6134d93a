import FoundationEssentials

extension APIKeyRecord {
    /// Whole seconds until the key stops working by expiry, as the API's `expires_in_seconds`.
    ///
    /// - nil: the key has no expiry, or it is inactive (deactivated, so it no longer works and its
    ///   expiry no longer matters).
    /// - 0: it has expired.
    /// - otherwise, for an active key, `expires_at` less `now` rounded down to a whole second, so at
    ///   least 1: the count `listKeys(expiringWithin:)` compares with its window. A rolled key in
    ///   its grace counts down to its expiry too; when its grace ends is `graceUntil`.
    public func expiresInSeconds(at now: Date) -> Int? {
        switch status(at: now) {
        case .inactive: nil
        case .expired: 0
        case .active: expiresAt.map { Int($0.unixSeconds - now.unixSeconds) }
        }
    }
}
