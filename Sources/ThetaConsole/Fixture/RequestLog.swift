import PosixThreads
import FoundationEssentials
import HTTPServer
import KeyStore

/// The last N emulated requests (`serve --record-requests N`, `GET /v1/requests`), so a test can
/// assert what its client sent: when, to which endpoint, with which key id, which form parts and
/// how large, and what it was answered. Never the secret, never the audio or any part's bytes.
final class RequestLog: Sendable {
    struct Part: Sendable, Equatable {
        let name: String
        let filename: String?
        var size: Int
    }

    struct Entry: Sendable {
        let time: Date
        let endpoint: String
        let keyID: String?
        let status: Int
        let parts: [Part]
        let detail: String?
    }

    let capacity: Int
    private let ring: Lock<(entries: [Entry], next: Int)>

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        ring = Lock(([], 0))
    }

    func append(_ entry: Entry) {
        ring.withLock { ring in
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
            }
            ring.next = (ring.next + 1) % capacity
        }
    }

    /// Newest first, at most `limit`.
    func newest(_ limit: Int) -> [Entry] {
        ring.withLock { ring in
            let count = ring.entries.count
            guard count > 0 else { return [] }
            let last = (ring.next - 1 + count) % count
            return (0..<min(limit, count)).map { ring.entries[(last - $0 + count) % count] }
        }
    }

    func removeAll() {
        ring.withLock { $0 = ([], 0) }
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
        json.field("time", RFC3339.string(from: time))
        json.field("endpoint", endpoint)
        json.field("key_id", keyID)
        json.field("status", status)
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
