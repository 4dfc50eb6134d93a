import FoundationEssentials
import KeyStore

extension APIKeyRecord {
    /// The record as the API shows it. The secret is never part of a record.
    func writeJSON(to json: inout JSONWriter, now: Date, secret: String? = nil) {
        json.beginObject()
        json.field("id", id)
        json.field("name", name)
        json.field("hint", hint)
        json.field("status", status(at: now).rawValue)
        json.field("created_at", RFC3339.string(from: createdAt))
        json.field("expires_at", expiresAt.map(RFC3339.string(from:)))
        json.field("expires_in_seconds", expiresInSeconds(at: now))
        json.field("last_used_at", lastUsedAt.map(RFC3339.string(from:)))
        json.field("deactivated_at", endedAt(now).map(RFC3339.string(from:)))
        json.field("rate_limit_rpm", rateLimitRPM)
        json.field("requests_2xx", succeededRequests)
        json.field("requests_4xx", refusedRequests)
        json.field("rolled_from", rolledFrom)
        json.field("rolled_to", rolledTo)
        json.field("grace_until", graceUntil.map(RFC3339.string(from:)))
        json.beginArray("allowed_cidrs")
        for cidr in allowedCIDRs { json.value(cidr.description) }
        json.endArray()
        if let secret { json.field("key", secret) }
        json.endObject()
    }
}

extension AuditEvent {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("time", RFC3339.string(from: at))
        json.field("action", action)
        json.field("key_id", keyID)
        json.field("actor", actor)
        json.field("remote_addr", remoteAddress)
        json.field("detail", detail)
        json.endObject()
    }
}

extension Page {
    /// `{"data": [...], "has_more": bool, "next_cursor": string|null}`.
    func json(_ write: (Item, inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.beginArray("data")
        for item in items { write(item, &json) }
        json.endArray()
        json.field("has_more", hasMore)
        json.field("next_cursor", nextCursor)
        json.endObject()
        return json.bytes
    }
}

/// The API's JSON for records, for the CLI's `--json` output.
public enum RecordJSON {
    public static func key(_ record: APIKeyRecord, now: Date, secret: String? = nil) -> String {
        var json = JSONWriter()
        record.writeJSON(to: &json, now: now, secret: secret)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// A usage series as `GET /v1/keys/{id}/usage` answers it.
    public static func usage(_ series: UsageSeries) -> String {
        String(decoding: series.json, as: UTF8.self)
    }

    public static func keys(_ records: [APIKeyRecord], now: Date) -> String {
        var json = JSONWriter()
        json.beginArray()
        for record in records { record.writeJSON(to: &json, now: now) }
        json.endArray()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
