import FoundationEssentials
import KeyStore

/// Fault rules for test suites (`/v1/faults`): make the emulated API fail on demand, the way a
/// real network and service sometimes do. In memory only; a restart forgets them.
///
/// A rule is checked for a request whose key passed the 401 gate (so a bad key still gets 401),
/// before the plan, the balance and the rate limit. Rules are tried in the order they were made;
/// the first that matches and whose dice say yes applies.
final class FaultBook: Sendable {
    static let maxRules = 100
    static let maxDelayMilliseconds = 120_000

    enum Action: Sendable, Equatable {
        /// Answer with this status at once (`detail` and `Retry-After` as given, or the defaults).
        case status(Int, detail: String?, retryAfter: Int?)
        /// Answer normally, this much later (billed and counted as a normal request).
        case delay(milliseconds: Int)
        /// Close with a TCP reset after reading the head.
        case reset
        /// Send half of the normal answer, then close.
        case truncate
        /// Hold the request until the processing timeout, then answer 504.
        case timeout
    }

    struct Rule: FixtureRule {
        let id: String
        let endpoint: String  // an endpoint's path, or "*"
        let keyID: String?
        let action: Action
        let probability: Double
        let seed: UInt64
        let createdAt: Date
        /// Applications left; nil is unlimited.
        var remaining: Int?
        var hits = 0
        var draws: UInt64 = 0
    }

    let rules = RuleList<Rule>(capacity: maxRules)

    /// The fault for this request, if a rule applies; counts the hit, and retires a rule whose
    /// `times` are used up.
    func fault(endpoint: String, keyID: String) -> Action? {
        guard !rules.isEmpty else { return nil }
        return rules.update { all in
            for index in all.indices {
                let rule = all[index]
                guard rule.endpoint == "*" || rule.endpoint == endpoint else { continue }
                guard rule.keyID == nil || rule.keyID == keyID else { continue }
                if rule.probability < 1 {
                    // One draw per matching request from the rule's own seeded sequence: the same
                    // seed gives the same pattern of faults on every run.
                    all[index].draws += 1
                    guard Self.unitInterval(seed: rule.seed, index: all[index].draws) < rule.probability else { continue }
                }
                all[index].hits += 1
                if let remaining = rule.remaining {
                    if remaining <= 1 {
                        all.remove(at: index)
                    } else {
                        all[index].remaining = remaining - 1
                    }
                }
                return rule.action
            }
            return nil
        }
    }

    /// The `index`-th number in [0, 1) of SplitMix64 started at `seed`.
    static func unitInterval(seed: UInt64, index: UInt64) -> Double {
        var z = seed &+ index &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
