/// A rejected field of a key request. `message` names the field, so it can be shown as is.
public struct KeySpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request field, as spelled in the API: `name`, `expires_at`, `rate_limit_rpm`.
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }

    public static let nameRequired = KeySpecError(field: "name", message: "name is required")
    public static let nameLength = KeySpecError(
        field: "name", message: "name must be 1 to \(KeySpec.maxNameLength) characters")
    public static let nameControlCharacters = KeySpecError(
        field: "name", message: "name must not contain control characters")
    /// Names the code point, since it cannot be seen: "…invisible characters (found U+200B)".
    public static func nameInvisible(_ scalar: Unicode.Scalar) -> KeySpecError {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return KeySpecError(field: "name", message: "name must not contain invisible characters (found U+"
                            + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ")")
    }

    public static let expiresAtFormat = KeySpecError(
        field: "expires_at", message: "expires_at must be RFC 3339 or YYYY-MM-DD")
    public static let expiresAtPast = KeySpecError(field: "expires_at", message: "expires_at must be in the future")
    public static let expiresAtRange = KeySpecError(
        field: "expires_at", message: "expires_at must be no later than 9999-12-31T23:59:59Z")

    public static let allowedCIDRsCount = KeySpecError(
        field: "allowed_cidrs", message: "allowed_cidrs must be a list of at most \(CIDR.maxPerKey) CIDRs")

    /// An imported secret that is not a well-formed key (the message never repeats the value).
    public static let keyMalformed = KeySpecError(
        field: "key", message: "key must be a well-formed sk-theta- key (47 characters with a valid checksum)")

    /// Also for a rate limit of the wrong JSON type, so both read the same.
    public static func rateLimitRange(maxRPM: Int) -> KeySpecError {
        KeySpecError(field: "rate_limit_rpm", message: "rate_limit_rpm must be an integer from 1 to \(maxRPM)")
    }
}
