/// A key's status as the API reports it.
///
/// Only `active` and `inactive` are stored; `expired` is derived: stored active and `expires_at <= now`.
public enum KeyStatus: String, Sendable, Codable, CaseIterable {
    case active
    case inactive
    case expired
}
