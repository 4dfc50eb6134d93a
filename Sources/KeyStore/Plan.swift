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
