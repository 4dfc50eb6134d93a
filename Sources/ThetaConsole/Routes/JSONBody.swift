import HTTPServer

/// Reading JSON request bodies for the admin API: 415, 400 and 422 as the API documents.
enum JSONBody {
    /// 415 unless the request says its body is JSON. Checked from the head, before the body is read.
    static func requireJSONContentType(_ head: RequestHead) -> HTTPError? {
        let type = head.headers["Content-Type"]?.utf8.split(separator: UInt8(ascii: ";"), maxSplits: 1).first
            .map { Substring($0).trimmingWhitespace().lowercased() }
        guard type == "application/json" else {
            return HTTPError(415, "Content-Type must be application/json")
        }
        return nil
    }

    /// The body as a JSON object whose members are all in `allowed`.
    static func object(_ body: [UInt8], allowed: Set<String>) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw HTTPError(400, "malformed JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .object(let members) = value else {
            throw HTTPError(422, "the request body must be a JSON object")
        }
        try refuseUnknown(members, allowed: allowed)
        return value
    }

    /// 422 naming the first member not in `allowed` (its name quoted, at most 80 characters).
    static func refuseUnknown(_ members: [(String, JSONValue)], allowed: Set<String>) throws(HTTPError) {
        if let unknown = members.first(where: { !allowed.contains($0.0) }) {
            throw HTTPError(422, "unknown field \(unknown.0.debugDescription.prefix(80))")
        }
    }
}
