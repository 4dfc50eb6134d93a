import FoundationEssentials

/// The width of a usage bucket, and how long rows of that width are kept; what they held stays in
/// the wider rows (docs/decisions.md, Usage over time).
public enum UsageGranularity: String, CaseIterable, Sendable {
    case minute, hour, day

    /// The bucket's width, which is also what the `granularity` column stores.
    public var seconds: Int64 {
        switch self {
        case .minute: 60
        case .hour: 3_600
        case .day: 86_400
        }
    }

    /// The next wider width, which reaches further back; nil for days.
    public var coarser: UsageGranularity? {
        switch self {
        case .minute: .hour
        case .hour: .day
        case .day: nil
        }
    }

    /// How long rows of this width are kept, as said in messages; nil for days.
    public var retention: String? {
        switch self {
        case .minute: "48 hours"
        case .hour: "90 days"
        case .day: nil
        }
    }

    /// The earliest bucket start still kept at this width at `now`, in Unix seconds; nil when kept
    /// for ever. Rows go a whole wider bucket at a time: a minute row when its hour ended more than
    /// 48 hours ago, an hour row when its UTC day ended more than 90 days ago.
    public func keptSince(now: Date) -> Int64? {
        let seconds = now.unixSeconds
        switch self {
        case .minute: return Self.floor(seconds, to: 3_600) - 48 * 3_600
        case .hour: return Self.floor(seconds, to: 86_400) - 90 * 86_400
        case .day: return nil
        }
    }

    /// The start of the bucket of this width that holds `seconds`.
    public func bucketStart(_ seconds: Int64) -> Int64 { Self.floor(seconds, to: self.seconds) }

    /// `value` rounded down to a multiple of `step`, negative values included (before 1970).
    static func floor(_ value: Int64, to step: Int64) -> Int64 {
        let remainder = value % step
        return remainder < 0 ? value - remainder - step : value - remainder
    }
}
