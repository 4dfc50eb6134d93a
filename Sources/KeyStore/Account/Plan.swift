/// The Theta One plans, with the limits the pricing page documents.
public enum Plan: String, Sendable, CaseIterable, Codable {
    case free
    case starter
    case pro
    case proPlus = "pro_plus"
    case enterprise

    /// A new account's balance: 0.20 credits, as a new real account starts (migration 0002).
    public static let newAccountBalanceMicro: Int64 = 200_000

    /// The plan's requests-per-minute cap per key; nil is unlimited (Enterprise).
    public var rpmCap: Int? {
        switch self {
        case .free: 30
        case .starter: 100
        case .pro, .proPlus: 500
        case .enterprise: nil
        }
    }

    /// How many active keys the plan allows; nil is unlimited.
    public var keyLimit: Int? {
        switch self {
        case .free: 1
        case .starter: 3
        case .pro, .proPlus, .enterprise: nil
        }
    }

    /// The credits granted at each cycle's start, as the pricing page documents them; nil for
    /// Enterprise, whose grant is a contract's (`serve --plan enterprise --credits`).
    public var monthlyCreditsMicro: Int64? {
        switch self {
        case .free: 200_000
        case .starter: 5_000_000
        case .pro: 24_000_000
        case .proPlus: 360_000_000
        case .enterprise: nil
        }
    }

    /// Whether the plan may buy extra credits (top-ups): Pro and above, as documented.
    public var allowsTopUps: Bool {
        switch self {
        case .free, .starter: false
        case .pro, .proPlus, .enterprise: true
        }
    }

    /// Free has speech-to-text only; every paid plan has the pronunciation endpoints too.
    public var includesPronunciation: Bool { self != .free }

    /// The name the pricing page uses.
    public var displayName: String {
        switch self {
        case .free: "Free"
        case .starter: "Starter"
        case .pro: "Pro"
        case .proPlus: "Pro+"
        case .enterprise: "Enterprise"
        }
    }

    /// The per-key limit in force: the key's own, capped by the plan's.
    public func effectiveRPM(keyRPM: Int) -> Int {
        min(keyRPM, rpmCap ?? Int.max)
    }
}
