import PosixThreads
import FoundationEssentials
import HTTPServer
import KeyStore

/// The last N emulated requests (`serve --record-requests N`, `GET /v1/requests`), so a test can
/// verify what its client sent: when, to which endpoint, with which key id, which form parts and
/// how large, what it was answered and why. Never the secret, never the audio or any part's bytes.
///
/// Each entry gets the next sequence number (`seq`), which a fixture reset does not restart: the
/// newest one is the journal's `mark`, and `after: mark` later asks for what came since. A reset
/// empties the journal, and a request gated before it (an older usage epoch) is never added after.
final class RequestLog: Sendable {
    struct Part: Sendable, Equatable {
        let name: String
        let filename: String?
        var size: Int
    }

    struct Entry: Sendable {
        /// Given by `append`.
        fileprivate(set) var seq = 0
        let time: Date
        let endpoint: String
        let keyID: String?
        let status: Int
        let reason: AnswerReason
        let parts: [Part]
        let detail: String?
        /// The usage epoch the request read at its gate.
        let epoch: UInt64

        init(time: Date, endpoint: String, keyID: String?, status: Int, reason: AnswerReason, parts: [Part],
             detail: String?, epoch: UInt64) {
            (self.time, self.endpoint, self.keyID, self.status, self.reason) = (time, endpoint, keyID, status, reason)
            (self.parts, self.detail, self.epoch) = (parts, detail, epoch)
        }
    }

    /// What `GET /v1/requests` and `/v1/requests/count` select; every field given must match.
    struct Filter: Sendable {
        var endpoint: String?
        var keyID: String?
        var status: Int?
        var reason: AnswerReason?
        /// At or after, in whole seconds (as `time` is written).
        var since: Date?
        /// Before, in whole seconds.
        var until: Date?
        /// Entries with a greater `seq`.
        var after: Int?

        func matches(_ entry: Entry) -> Bool {
            if let after, entry.seq <= after { return false }
            if let endpoint, entry.endpoint != endpoint { return false }
            if let keyID, entry.keyID != keyID { return false }
            if let status, entry.status != status { return false }
            if let reason, entry.reason != reason { return false }
            let second = Self.wholeSeconds(entry.time)
            if let since, second < Self.wholeSeconds(since) { return false }
            if let until, second >= Self.wholeSeconds(until) { return false }
            return true
        }

        private static func wholeSeconds(_ date: Date) -> Double { date.timeIntervalSince1970.rounded(.down) }
    }

    private struct Ring {
        var entries: [Entry] = []
        var next = 0
        /// The last `seq` given.
        var mark = 0
        /// The newest `seq` the ring dropped for lack of room (0: none since the last reset).
        var overflowed = 0
        /// Entries of an older usage epoch are not added: the requests were gated before a reset.
        var floor: UInt64 = 0
    }

    let capacity: Int
    private let ring: Lock<Ring>

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        ring = Lock(Ring())
    }

    func append(_ entry: Entry) {
        ring.withLock { ring in
            guard entry.epoch >= ring.floor else { return }
            ring.mark += 1
            var entry = entry
            entry.seq = ring.mark
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.overflowed = max(ring.overflowed, ring.entries[ring.next].seq)
                ring.entries[ring.next] = entry
            }
            ring.next = (ring.next + 1) % capacity
        }
    }

    /// What every answer of the journal carries beside its data: the mark, and the newest seq lost
    /// to the ring's size (a count over a mark older than it misses requests).
    struct State: Sendable {
        let mark: Int
        let overflowed: Int
    }

    /// The entries `filter` selects, newest first, at most `limit`; and the journal's state, read
    /// under the same lock.
    func newest(_ limit: Int, matching filter: Filter = Filter()) -> (entries: [Entry], state: State) {
        ring.withLock { ring in
            var found: [Entry] = []
            Self.forEachNewestFirst(ring) { entry in
                if filter.matches(entry) { found.append(entry) }
                return found.count < limit
            }
            return (found, Self.state(of: ring))
        }
    }

    /// How many entries `filter` selects; and the journal's state.
    func count(matching filter: Filter) -> (count: Int, state: State) {
        ring.withLock { ring in
            var count = 0
            Self.forEachNewestFirst(ring) { entry in
                if filter.matches(entry) { count += 1 }
                return true
            }
            return (count, Self.state(of: ring))
        }
    }

    /// For a fixture reset, once it has committed: every entry of a request gated before `epoch`
    /// (the usage epoch after the reset) goes, now and when it comes later. The mark stays.
    func removeAll(before epoch: UInt64) {
        ring.withLock { ring in
            var kept: [Entry] = []
            Self.forEachNewestFirst(ring) { entry in
                if entry.epoch >= epoch { kept.append(entry) }
                return true
            }
            ring.entries = kept.reversed()
            ring.next = ring.entries.count % capacity
            ring.floor = max(ring.floor, epoch)
            ring.overflowed = 0  // what overflowed before the reset belongs to no test after it
        }
    }

    private static func state(of ring: Ring) -> State { State(mark: ring.mark, overflowed: ring.overflowed) }

    /// Calls `body` on each entry, newest first, while it returns true.
    private static func forEachNewestFirst(_ ring: Ring, _ body: (Entry) -> Bool) {
        let count = ring.entries.count
        guard count > 0 else { return }
        let last = (ring.next - 1 + count) % count
        for offset in 0..<count where !body(ring.entries[(last - offset + count) % count]) { return }
    }

    /// A response's `detail`, for the log: the JSON error body's message, if any.
    static func detail(of response: Response) -> String? {
        guard response.status >= 400, case .object(let members)? = try? JSONParser.parse(response.body) else { return nil }
        return members.first { $0.0 == "detail" }?.1.stringValue
    }
}

extension RequestLog.Entry {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("seq", seq)
        json.field("time", RFC3339.string(from: time))
        json.field("endpoint", endpoint)
        json.field("key_id", keyID)
        json.field("status", status)
        json.field("reason", reason.rawValue)
        json.beginArray("parts")
        for part in parts {
            json.beginObject()
            json.field("name", part.name)
            json.field("filename", part.filename)
            json.field("size", part.size)
            json.endObject()
        }
        json.endArray()
        json.field("detail", detail)
        json.endObject()
    }
}
