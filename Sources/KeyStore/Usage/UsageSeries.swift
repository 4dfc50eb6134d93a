import FoundationEssentials

/// Usage over a `UsageRange`: one `UsageCounts` per bucket, in time order, zeros where nothing
/// happened, so a chart needs no logic for gaps.
public struct UsageSeries: Sendable, Equatable {
    public let range: UsageRange
    public var buckets: [UsageCounts]

    public init(range: UsageRange, buckets: [UsageCounts]) {
        self.range = range
        self.buckets = buckets
    }

    /// Every bucket added up.
    public var total: UsageCounts {
        buckets.reduce(into: UsageCounts()) { $0.add($1) }
    }
}
