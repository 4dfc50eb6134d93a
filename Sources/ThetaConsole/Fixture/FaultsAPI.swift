import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/faults`: create, list and remove fault rules (admin token required).
struct FaultsAPI: Sendable {
    let kit: RouteKit
    let book: FaultBook
    let clock: any Clock

    static let statuses: Set<Int> = [429, 500, 502, 503, 504]
    static let fields: Set<String> = ["endpoint", "key_id", "times", "probability", "seed", "action"]
    static let actionFields: Set<String> = ["status", "detail", "retry_after", "delay_ms", "reset", "truncate", "timeout"]

    func register(in router: inout RouterBuilder) {
        book.rules.register(in: &router, kit: kit, path: "/v1/faults", noun: "fault", plural: "fault rules", create: rule)
    }

    private func rule(_ request: Request) throws -> FaultBook.Rule {
        let body = try JSONBody.object(request.body, allowed: Self.fields)
        guard let endpoint = body["endpoint"]?.stringValue,
              endpoint == "*" || EmulatedEndpoint(rawValue: endpoint) != nil else {
            throw HTTPError(422, "endpoint must be one of \(EmulatedEndpoint.allCases.map(\.rawValue).joined(separator: ", ")) or *")
        }
        var keyID: String?
        if let value = body["key_id"], !value.isNull {
            guard let id = value.stringValue, !id.isEmpty, id.utf8.count <= 64 else { throw HTTPError(422, "key_id must be a key's id") }
            keyID = id
        }
        var times: Int?
        if let value = body["times"], !value.isNull {
            guard let count = value.intValue, count >= 1 else { throw HTTPError(422, "times must be a positive integer or null") }
            times = count
        }
        var probability = 1.0
        if let value = body["probability"], !value.isNull {
            guard case .number(let text) = value, let number = Double(text), (0...1).contains(number) else {
                throw HTTPError(422, "probability must be a number from 0 to 1")
            }
            probability = number
        }
        var seed: UInt64
        if let value = body["seed"], !value.isNull {
            guard case .number(let text) = value, let number = Int64(text) else { throw HTTPError(422, "seed must be an integer") }
            seed = UInt64(bitPattern: number)
        } else {
            seed = UInt64.random(in: .min ... .max)
        }
        let action = try Self.action(body["action"])
        return FaultBook.Rule(
            id: "flt_" + (try SecureRandom.base62(20)), endpoint: endpoint, keyID: keyID, action: action,
            probability: probability, seed: seed, createdAt: Date(timeIntervalSince1970: clock.now().timeIntervalSince1970.rounded(.down)), remaining: times)
    }

    /// Exactly one kind of action: `status` (with `detail`, `retry_after`), `delay_ms`, or one of
    /// `reset`, `truncate`, `timeout` set to true.
    static func action(_ value: JSONValue?) throws -> FaultBook.Action {
        guard let value, case .object(let members) = value else {
            throw HTTPError(422, "action must be an object: {\"status\": 503}, {\"delay_ms\": 2000}, {\"reset\": true}, {\"truncate\": true} or {\"timeout\": true}")
        }
        if let unknown = members.first(where: { !actionFields.contains($0.0) }) {
            throw HTTPError(422, "action: unknown field \(unknown.0.debugDescription.prefix(80))")
        }
        let kinds = ["status", "delay_ms", "reset", "truncate", "timeout"].filter { value[$0] != nil }
        guard kinds.count == 1 else {
            throw HTTPError(422, "action must have exactly one of status, delay_ms, reset, truncate, timeout")
        }
        if value["detail"] != nil || value["retry_after"] != nil, kinds != ["status"] {
            throw HTTPError(422, "action: detail and retry_after go with status")
        }
        switch kinds[0] {
        case "status":
            guard let status = value["status"]?.intValue, statuses.contains(status) else {
                throw HTTPError(422, "action.status must be one of 429, 500, 502, 503, 504")
            }
            var detail: String?
            if let text = value["detail"], !text.isNull {
                guard let string = text.stringValue, string.utf8.count <= 1024 else {
                    throw HTTPError(422, "action.detail must be a string of at most 1024 bytes")
                }
                detail = string
            }
            var retryAfter: Int?
            if let seconds = value["retry_after"], !seconds.isNull {
                guard let number = seconds.intValue, (0...86_400).contains(number) else {
                    throw HTTPError(422, "action.retry_after must be an integer from 0 to 86400")
                }
                retryAfter = number
            }
            return .status(status, detail: detail, retryAfter: retryAfter)
        case "delay_ms":
            guard let milliseconds = value["delay_ms"]?.intValue, (0...FaultBook.maxDelayMilliseconds).contains(milliseconds) else {
                throw HTTPError(422, "action.delay_ms must be an integer from 0 to \(FaultBook.maxDelayMilliseconds)")
            }
            return .delay(milliseconds: milliseconds)
        default:
            guard value[kinds[0]] == .bool(true) else { throw HTTPError(422, "action.\(kinds[0]) must be true") }
            switch kinds[0] {
            case "reset": return .reset
            case "truncate": return .truncate
            default: return .timeout
            }
        }
    }
}

extension FaultBook.Rule {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("endpoint", endpoint)
        json.field("key_id", keyID)
        json.field("times", remaining)
        json.field("probability", raw: JSONWriter.fixed(probability, decimals: 6).map(Self.trimmed) ?? "1")
        json.field("seed", raw: String(Int64(bitPattern: seed)))
        json.beginObject("action")
        switch action {
        case .status(let status, let detail, let retryAfter):
            json.field("status", status)
            if let detail { json.field("detail", detail) }
            if let retryAfter { json.field("retry_after", retryAfter) }
        case .delay(let milliseconds): json.field("delay_ms", milliseconds)
        case .reset: json.field("reset", true)
        case .truncate: json.field("truncate", true)
        case .timeout: json.field("timeout", true)
        }
        json.endObject()
        json.field("hits", hits)
        json.field("created_at", RFC3339.string(from: createdAt))
        json.endObject()
    }

    /// `0.250000` → `0.25`, `1.000000` → `1`.
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = Substring(text)
        while result.last == "0" { result = result.dropLast() }
        if result.last == "." { result = result.dropLast() }
        return String(result)
    }
}
