import FoundationEssentials
import HTTPServer
import KeyStore

/// `GET /v1/keys/{id}/usage` and `GET /v1/account/usage`: usage over time in zero-filled buckets.
/// Both are read routes, so an answer counts every request already answered (read-your-writes).
struct UsageAPI: Sendable {
    let kit: RouteKit
    let store: KeyStore

    func register(in router: inout RouterBuilder) {
        kit.readRoute(&router, .GET, "/v1/keys/{id}/usage", keyUsage)
        kit.readRoute(&router, .GET, "/v1/account/usage", accountUsage)
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
    ///
    /// Each bucket is written as bytes from fixed pieces, not field by field: an answer has up to
    /// 1,000 of them, and escaping the same ten member names in each was a fifth of its time.
    var json: [UInt8] {
        var json = JSONWriter()
        json.reserveCapacity(64 + buckets.count * 140)
        json.beginObject()
        json.field("granularity", range.granularity.rawValue)
        json.beginArray("buckets")
        var bucket: [UInt8] = []
        bucket.reserveCapacity(192)
        for (index, counts) in buckets.enumerated() {
            bucket.removeAll(keepingCapacity: true)
            bucket.append(contentsOf: Self.start)
            RFC3339.append(range.start(ofBucket: index), to: &bucket)
            if counts.isZero {
                bucket.append(contentsOf: Self.zeros)
            } else {
                for (name, status) in zip(Self.statusNames, UsageCounts.statuses) {
                    bucket.append(contentsOf: name)
                    bucket.append(contentsOf: String(counts[status: status]).utf8)
                }
                bucket.append(contentsOf: Self.audioSeconds)
                bucket.append(contentsOf: String(counts.audioSeconds).utf8)
                bucket.append(contentsOf: Self.credits)
                Credits.append(micro: counts.creditsMicro, to: &bucket)
                bucket.append(UInt8(ascii: "}"))
            }
            json.value(raw: bucket)
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private static let start = Array(#"{"start":""#.utf8)
    /// `","requests":{"200":`, then `,"400":` and the others.
    private static let statusNames = UsageCounts.statuses.enumerated().map { index, status in
        Array(((index == 0 ? #"","requests":{"# : ",") + #""\#(status)":"#).utf8)
    }
    private static let audioSeconds = Array(#"},"audio_seconds":"#.utf8)
    private static let credits = Array(#","credits":"#.utf8)
    private static let zeros = Array((#"","requests":{"# + UsageCounts.statuses.map { #""\#($0)":0"# }.joined(separator: ",")
        + #"},"audio_seconds":0,"credits":0}"#).utf8)
}
