import Foundation
import Testing

/// Helpers for the usage-over-time tests, shared by the in-process tier (ThetaConsoleTests) and
/// the binary tier (EndToEndTests): totals of a series of buckets, an answer read to the
/// micro-credit, the ledger's charges per key, and a clock move.
public enum UsageOverTime {
    public static let statuses = ["200", "400", "401", "402", "413", "429"]

    /// What a series of buckets adds up to.
    public struct Totals: Equatable, CustomStringConvertible {
        public var requests: [String: Int] = [:]
        public var audioSeconds = 0
        public var creditsMicro: Int64 = 0

        public init() {}

        public mutating func count(_ status: Int) { requests[String(status), default: 0] += 1 }

        public mutating func add(_ other: Totals) {
            for (status, n) in other.requests { requests[status, default: 0] += n }
            audioSeconds += other.audioSeconds
            creditsMicro += other.creditsMicro
        }

        /// Zero counts and absent ones are the same.
        public static func == (a: Totals, b: Totals) -> Bool {
            a.requests.filter { $0.value != 0 } == b.requests.filter { $0.value != 0 }
                && a.audioSeconds == b.audioSeconds && a.creditsMicro == b.creditsMicro
        }

        public var description: String {
            "\(requests.filter { $0.value != 0 }.sorted { $0.key < $1.key }) audio \(audioSeconds) s, \(creditsMicro) µcredits"
        }
    }

    /// An answer's buckets, and each bucket's credits read from the text as the exact decimal sent.
    public struct Answer {
        public let response: WireResponse
        public var buckets: [[String: Any]] { response.object["buckets"] as? [[String: Any]] ?? [] }

        public var credits: [Int64] {
            let text = response.text
            return text.matches(of: /"credits":(-?[0-9]+(\.[0-9]{1,6})?)[,}]/).map { UsageOverTime.micro(String($0.output.1)) }
        }

        public var totals: Totals {
            var totals = Totals()
            for bucket in buckets {
                let requests = bucket["requests"] as? [String: Int] ?? [:]
                for (status, n) in requests { totals.requests[status, default: 0] += n }
                totals.audioSeconds += bucket["audio_seconds"] as? Int ?? 0
            }
            totals.creditsMicro = credits.reduce(0, +)
            return totals
        }
    }

    public static func usage(_ server: some ThetaServer, _ path: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> Answer {
        let response = try server.get(path)
        #expect(response.status == 200, "\(path): \(response.status) \(response.text.prefix(300))", sourceLocation: sourceLocation)
        return Answer(response: response)
    }

    /// "0.0012" → 1200, exactly.
    public static func micro(_ decimal: String) -> Int64 {
        let negative = decimal.hasPrefix("-")
        let parts = decimal.drop { $0 == "-" }.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let value = Int64(parts[0])! * 1_000_000 + Int64((fraction + String(repeating: "0", count: 6 - fraction.count)))!
        return negative ? -value : value
    }

    /// Every `charge` in the ledger, per key, in micro-credits (positive).
    public static func ledgerCharges(_ server: some ThetaServer) throws -> [String: Int64] {
        var charged: [String: Int64] = [:]
        var cursor = ""
        while true {
            let page = try server.get("/v1/account/ledger?limit=100&after=\(cursor)").object
            for entry in page["data"] as? [[String: Any]] ?? [] where entry["kind"] as? String == "charge" {
                let amount = try #require(entry["amount"] as? NSNumber)
                charged[entry["key_id"] as? String ?? "", default: 0] -= Int64((amount.doubleValue * 1_000_000).rounded())
            }
            guard page["has_more"] as? Bool == true, let next = page["next_cursor"] as? String else { return charged }
            cursor = next
        }
    }

    public static func advance(_ server: some ThetaServer, seconds: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try server.post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#).status == 200, sourceLocation: sourceLocation)
    }
}
