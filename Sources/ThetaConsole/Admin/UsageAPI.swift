import FoundationEssentials
import HTTPServer
import KeyStore

/// `GET /v1/keys/{id}/usage` and `GET /v1/account/usage`: usage over time in zero-filled buckets.
/// Both are read routes, so an answer counts every request already answered (read-your-writes).
struct UsageAPI: Sendable {
    let store: KeyStore

    func register(in router: inout RouterBuilder, admin: AdminAPI) {
        admin.readRoute(&router, .GET, "/v1/keys/{id}/usage", keyUsage)
        admin.readRoute(&router, .GET, "/v1/account/usage", accountUsage)
    }

    private func keyUsage(_ request: Request) throws -> Response {
        let range = try Self.range(request.info.query, now: store.clock.now())
        guard let id = request.parameters["id"], let series = try store.usage(keyID: id, in: range) else {
            throw HTTPError(404, "key not found")
        }
        return .json(200, series.json)
    }

    private func accountUsage(_ request: Request) throws -> Response {
        let range = try Self.range(request.info.query, now: store.clock.now())
        return .json(200, try store.accountUsage(in: range).json)
    }

    /// `granularity`, `from` and `to` from the query; a refused range is a 422 saying why.
    static func range(_ query: QueryParameters, now: Date) throws -> UsageRange {
        do {
            return try UsageRange.parse(granularity: query["granularity"], from: query["from"], to: query["to"], now: now)
        } catch {
            throw HTTPError(422, error.message)
        }
    }
}

extension UsageSeries {
    /// `{"granularity", "buckets": [{"start", "requests": {"200": n, …}, "audio_seconds", "credits"}]}`,
    /// every bucket of the range, in time order. Credits are exact decimals.
    var json: [UInt8] {
        var json = JSONWriter()
        json.reserveCapacity(64 + buckets.count * 150)
        json.beginObject()
        json.field("granularity", range.granularity.rawValue)
        json.beginArray("buckets")
        for (index, counts) in buckets.enumerated() {
            json.beginObject()
            json.field("start", RFC3339.string(from: range.start(ofBucket: index)))
            json.beginObject("requests")
            for status in UsageCounts.statuses {
                json.field(Self.statusNames[status]!, counts[status: status])
            }
            json.endObject()
            json.field("audio_seconds", raw: String(counts.audioSeconds))
            json.field("credits", raw: Credits.format(micro: counts.creditsMicro))
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private static let statusNames = Dictionary(uniqueKeysWithValues: UsageCounts.statuses.map { ($0, String($0)) })
}
