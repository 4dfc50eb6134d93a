import PosixThreads

/// Collects the results of `count` writes and hands them over, in order, when the last one is in.
final class WriteGroup<T: Sendable>: Sendable {
    private let state: Lock<(results: [Result<T, any Error>?], left: Int)>
    private let done: @Sendable ([Result<T, any Error>]) -> Void

    init(count: Int, done: @escaping @Sendable ([Result<T, any Error>]) -> Void) {
        state = Lock((Array(repeating: nil, count: count), count))
        self.done = done
    }

    func finished(_ index: Int, _ result: Result<T, any Error>) {
        let all: [Result<T, any Error>]? = state.withLock { state in
            state.results[index] = result
            state.left -= 1
            return state.left == 0 ? state.results.map { $0! } : nil
        }
        if let all { done(all) }
    }
}
