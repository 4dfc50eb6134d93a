/// Errors of the store's own rules; SQLite failures arrive as `DatabaseError`.
public enum KeyStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `after` cursor names no item; the API answers 400.
    case unknownCursor(String)
    /// A page size outside 1…`KeyStore.maxPageSize`.
    case invalidLimit(Int)
    /// The store was closed.
    case closed
    /// The plan allows this many active keys and all are in use.
    case keyLimitReached(plan: Plan, limit: Int)
    /// The account row is missing or unreadable: the database was not made by theta-console.
    case missingAccount
    /// Only an active key can be rolled; this one is inactive or expired.
    case notRollable(id: String, status: KeyStatus)
    /// The key was rolled already and its grace is running: a chain has one live successor.
    case alreadyRolled(id: String, successor: String)
    /// An imported secret is already some key's (which one is not said).
    case duplicateSecret
    /// Free and Starter cannot buy extra credits.
    case topUpNotAllowed(plan: Plan)

    public var description: String {
        switch self {
        case .unknownCursor(let cursor): "unknown cursor \(cursor)"
        case .invalidLimit(let limit): "limit must be from 1 to \(KeyStore.maxPageSize), got \(limit)"
        case .closed: "the key store is closed"
        case .keyLimitReached(let plan, let limit):
            "the \(plan.displayName) plan allows \(limit) active API key\(limit == 1 ? "" : "s"); deactivate one or change the plan"
        case .missingAccount: "the database has no account row; it was not made by theta-console"
        case .notRollable(let id, let status): "\(id) is \(status.rawValue); only an active key can be rolled"
        case .alreadyRolled(let id, let successor):
            "\(id) was already rolled to \(successor) and its grace is running; roll \(successor) instead"
        case .duplicateSecret: "a key with this secret already exists"
        case .topUpNotAllowed(let plan):
            "the \(plan.displayName) plan cannot buy extra credits; top-ups need Pro, Pro+ or Enterprise"
        }
    }
}
