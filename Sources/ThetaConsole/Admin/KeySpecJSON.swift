import FoundationEssentials
import HTTPServer
import KeyStore

/// A key's fields in JSON, as `POST /v1/keys` takes them and `serve --seed-keys` lists them: one
/// parser, so both refuse the same input with the same message (a 422's `detail`, or a seed
/// file's error after `entry N:`).
struct KeySpecJSON {
    static let fields: Set<String> = ["name", "expires_at", "rate_limit_rpm", "allowed_cidrs", "key"]

    let spec: KeySpec
    /// `"key"`: the secret to import, when given.
    let secret: String?

    /// Checks `object`'s fields in order (name, expires_at, rate_limit_rpm, allowed_cidrs, key),
    /// then whether importing is allowed, then `KeySpec.validate`, then the secret's form.
    init(_ object: JSONValue, importAllowed: Bool, maxKeyRPM: Int, now: Date) throws(HTTPError) {
        guard case .object(let members) = object else { throw HTTPError(422, "the request body must be a JSON object") }
        try JSONBody.refuseUnknown(members, allowed: Self.fields)
        let name = try Self.optionalString(object, "name")
        let expiresAt = try Self.optionalString(object, "expires_at")
        var rpm: Int?
        if let value = object["rate_limit_rpm"], !value.isNull {
            guard let int = value.intValue else {
                throw HTTPError(422, KeySpecError.rateLimitRange(maxRPM: maxKeyRPM).message)
            }
            rpm = int
        }
        var cidrs: [String]?
        if let value = object["allowed_cidrs"], !value.isNull {
            guard case .array(let items) = value else { throw HTTPError(422, KeySpecError.allowedCIDRsCount.message) }
            var texts: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue else {
                    throw HTTPError(422, "allowed_cidrs[\(index)] must be a string such as 10.0.0.0/8")
                }
                texts.append(text)
            }
            cidrs = texts
        }
        let secret = try Self.optionalString(object, "key")
        if secret != nil && !importAllowed {
            throw HTTPError(422, "key: importing a key's secret is not enabled (start the server with --allow-key-import)")
        }
        do {
            spec = try KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, allowedCIDRs: cidrs,
                                        now: now, maxRPM: maxKeyRPM)
        } catch {
            throw HTTPError(422, error.message)
        }
        if let secret, !APIKeyFormat.isWellFormed(secret) { throw HTTPError(422, KeySpecError.keyMalformed.message) }
        self.secret = secret
    }

    private static func optionalString(_ object: JSONValue, _ field: String) throws(HTTPError) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw HTTPError(422, "\(field) must be a string") }
        return string
    }
}
