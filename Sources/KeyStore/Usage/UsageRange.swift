import FoundationEssentials

/// The buckets a usage answer covers: `granularity`, from `from` (inclusive) to `to` (exclusive),
/// both Unix seconds on the granularity's boundaries. The API and the CLI both make one here, so
/// they share the defaults and the rules (docs/decisions.md, Usage over time).
public struct UsageRange: Sendable, Equatable {
    /// The most buckets one answer holds.
    public static let maxBuckets = 1_000

    public let granularity: UsageGranularity
    public let from: Int64
    public let to: Int64

    public var bucketCount: Int { Int((to - from) / granularity.seconds) }

    /// The start of bucket `index`.
    public func start(ofBucket index: Int) -> Date {
        Date(unixSeconds: from + Int64(index) * granularity.seconds)
    }

    /// How far back an answer reaches when `from` is not given: 12 hours of minutes (24 hours would
    /// be 1,440 buckets, over the cap), 30 days of hours, 365 days.
    public static func defaultSpan(_ granularity: UsageGranularity) -> Int64 {
        switch granularity {
        case .minute: 12 * 3_600
        case .hour: 30 * 86_400
        case .day: 365 * 86_400
        }
    }

    /// A range from the API's query: each value may be absent or empty (the default). Times are
    /// RFC 3339; `granularity` is minute, hour or day (default hour).
    public static func parse(granularity: String?, from: String?, to: String?, now: Date) throws(UsageRangeError) -> UsageRange {
        var width = UsageGranularity.hour
        if let granularity, !granularity.isEmpty {
            guard let parsed = UsageGranularity(rawValue: granularity) else {
                throw UsageRangeError("granularity must be one of minute, hour, day")
            }
            width = parsed
        }
        func time(_ name: String, _ text: String?) throws(UsageRangeError) -> Date? {
            guard let text, !text.isEmpty else { return nil }
            guard let date = RFC3339.date(from: text) else {
                throw UsageRangeError("\(name) must be an RFC 3339 time such as 2030-01-01T00:00:00Z")
            }
            return date
        }
        return try UsageRange(granularity: width, from: try time("from", from), to: try time("to", to), now: now)
    }

    /// Aligns the range outwards to whole buckets (`from` down, `to` up), so every instant asked
    /// for is in the answer. `to` defaults to the end of the current bucket, `from` to `to` less the
    /// default span (but never before what is kept at this width). Refused: an empty range, one that
    /// reaches back past what this width keeps (the rows there were rolled up: the answer would be
    /// invented), and more than `maxBuckets` buckets.
    public init(granularity: UsageGranularity, from: Date?, to: Date?, now: Date) throws(UsageRangeError) {
        let width = granularity.seconds
        let kept = granularity.keptSince(now: now)
        if let from, let to, from >= to { throw UsageRangeError("from must be before to") }
        let end: Int64
        if let to {
            end = -UsageGranularity.floor(-Int64(to.timeIntervalSince1970.rounded(.up)), to: width)
        } else {
            end = granularity.bucketStart(now.unixSeconds) + width
        }
        var start: Int64
        if let from {
            start = granularity.bucketStart(from.unixSeconds)
            guard start < end else { throw UsageRangeError("from must be before to") }
        } else {
            start = end - Self.defaultSpan(granularity)
            // Only `to` given: the default reaches back no further than what is kept, if that leaves any.
            if let kept, start < kept, end > kept { start = kept }
        }
        if let kept, start < kept, let retention = granularity.retention, let wider = granularity.coarser {
            throw UsageRangeError(
                "\(granularity.rawValue) buckets are kept for \(retention), then rolled up: from must be "
                    + "\(RFC3339.string(from: Date(unixSeconds: kept))) or later for granularity=\(granularity.rawValue) "
                    + "(granularity=\(wider.rawValue) reaches further back)")
        }
        let count = (end - start) / width
        guard count <= Int64(Self.maxBuckets) else {
            throw UsageRangeError(
                "at most \(Self.maxBuckets) buckets per answer: this range is \(count) \(granularity.rawValue) buckets; "
                    + "narrow it or use a coarser granularity")
        }
        self.granularity = granularity
        self.from = start
        self.to = end
    }
}

/// Why a usage range was refused, said for the caller (the API's 422, the CLI's message).
public struct UsageRangeError: Error, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
