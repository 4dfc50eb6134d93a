import FoundationEssentials

/// The outcome of presenting an API key secret.
public enum AuthResult: Sendable, Equatable {
    /// Wrong prefix, length, alphabet or checksum; decided without touching the database.
    case malformed
    /// Well-formed, but no key has this secret.
    case unknown
    case inactive(APIKeyRecord)
    case expired(APIKeyRecord)
    case valid(APIKeyRecord)
}

extension AuthResult {
    /// A well-formed secret's outcome: the key found by its digest (if any), judged at `now`.
    init(_ found: APIKeyRecord?, at now: Date) {
        guard let record = found else {
            self = .unknown
            return
        }
        switch record.status(at: now) {
        case .active: self = .valid(record)
        case .inactive: self = .inactive(record)
        case .expired: self = .expired(record)
        }
    }
}
