/// Errors of the store's own rules; SQLite failures arrive as `DatabaseError`.
public enum KeyStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `after` cursor names no item; the API answers 400.
    case unknownCursor(String)
    /// A page size outside 1…`KeyStore.maxPageSize`.
    case invalidLimit(Int)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .unknownCursor(let cursor): "unknown cursor \(cursor)"
        case .invalidLimit(let limit): "limit must be from 1 to \(KeyStore.maxPageSize), got \(limit)"
        case .closed: "the key store is closed"
        }
    }
}
