/// What a key's requests came to in one bucket of time: requests by outcome, and the billed audio
/// seconds and micro-credits of its 200s. Fixed fields rather than a dictionary: a loop thread adds
/// to one on every answered request.
public struct UsageCounts: Sendable, Equatable {
    /// The outcomes counted, in the order the API lists them. 401 only after the key lookup found
    /// the key (inactive, expired, address not allowed): an unknown key has no usage to count.
    public static let statuses = [200, 400, 401, 402, 413, 429]

    public var status200 = 0
    public var status400 = 0
    public var status401 = 0
    public var status402 = 0
    public var status413 = 0
    public var status429 = 0
    public var audioSeconds: Int64 = 0
    public var creditsMicro: Int64 = 0

    public init() {}

    /// The count of answers with `status`; 0 for a status not counted.
    public subscript(status status: Int) -> Int {
        switch status {
        case 200: status200
        case 400: status400
        case 401: status401
        case 402: status402
        case 413: status413
        case 429: status429
        default: 0
        }
    }

    /// Counts one answer. Every refusal of a known key has one of `statuses`; anything else would
    /// be a new refusal nobody mapped, and is counted as a 400 rather than lost.
    public mutating func count(status: Int, times n: Int = 1) {
        switch status {
        case 200: status200 += n
        case 401: status401 += n
        case 402: status402 += n
        case 413: status413 += n
        case 429: status429 += n
        default:
            assert(status == 400, "usage counts no status \(status)")
            status400 += n
        }
    }

    public mutating func add(_ other: UsageCounts) {
        status200 += other.status200
        status400 += other.status400
        status401 += other.status401
        status402 += other.status402
        status413 += other.status413
        status429 += other.status429
        audioSeconds += other.audioSeconds
        creditsMicro += other.creditsMicro
    }

    /// 200s: what `requests_2xx` counts.
    public var succeeded: Int { status200 }
    /// Every refusal: what `requests_4xx` counts.
    public var refused: Int { status400 + status401 + status402 + status413 + status429 }
    public var isZero: Bool { self == UsageCounts() }
}
