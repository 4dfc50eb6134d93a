/// The API gate's recent answers, each filed under the wal-index header seen before it was read
/// (see `KeyStore.gate`). An answer is given back only for the same header: a commit anywhere
/// changes the header, and every older answer stops matching. Bounded: past `capacity` keys it
/// starts again empty, so a flood of distinct unknown keys costs memory for at most that many.
struct GateCache: Sendable {
    struct Answer: Sendable {
        let record: APIKeyRecord?
        let account: Account
    }

    static let capacity = 1024
    private var answers: [[UInt8]: (header: WALIndexWatcher.Header, answer: Answer)] = [:]

    var count: Int { answers.count }

    func answer(for hash: [UInt8], at header: WALIndexWatcher.Header) -> Answer? {
        guard let entry = answers[hash], entry.header == header else { return nil }
        return entry.answer
    }

    mutating func keep(_ answer: Answer, for hash: [UInt8], at header: WALIndexWatcher.Header) {
        if answers.count >= Self.capacity && answers[hash] == nil { answers.removeAll(keepingCapacity: true) }
        answers[hash] = (header, answer)
    }
}
