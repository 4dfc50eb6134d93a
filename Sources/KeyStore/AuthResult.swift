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
