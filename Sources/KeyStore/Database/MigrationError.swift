/// Why the migrator refused to open a database.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An applied migration's SQL differs from this build's: the schema can no longer be trusted.
    case editedAfterApplied(name: String)
    /// The database records a migration this build doesn't have: a newer build wrote it.
    case unknownMigration(name: String)
    /// Two migrations in this build share a name.
    case duplicateName(String)

    public var description: String {
        switch self {
        case .editedAfterApplied(let name):
            "migration \(name) was edited after it was applied; restore the original file"
        case .unknownMigration(let name):
            "database was written by a newer theta-console: unknown migration \(name)"
        case .duplicateName(let name):
            "two migrations are named \(name)"
        }
    }
}
