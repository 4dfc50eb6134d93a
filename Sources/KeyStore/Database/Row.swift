import CSQLite

/// One result row, copied out of the statement so it outlives the next step.
public struct Row: Sendable {
    public let columnNames: [String]
    public let values: [DatabaseValue]

    public init(columnNames: [String], values: [DatabaseValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value at `index`; throws `SQLITE_MISMATCH` if it is NULL or of another type.
    public subscript<T: DatabaseValueConvertible>(_ index: Int) -> T {
        get throws {
            let optional: T? = try self[index]
            guard let value = optional else { throw mismatch(index, expected: T.self) }
            return value
        }
    }

    /// The value at `index`, nil for NULL; throws `SQLITE_MISMATCH` if it is of another type.
    public subscript<T: DatabaseValueConvertible>(_ index: Int) -> T? {
        get throws {
            guard values.indices.contains(index) else {
                throw DatabaseError(code: SQLITE_RANGE, message: "no column \(index) in a row of \(values.count)")
            }
            if values[index] == .null { return nil }
            guard let value = T(databaseValue: values[index]) else { throw mismatch(index, expected: T.self) }
            return value
        }
    }

    /// The value of the column named `name`; throws if there is no such column or the type differs.
    public subscript<T: DatabaseValueConvertible>(_ name: String) -> T {
        get throws { try self[index(of: name)] }
    }

    /// The value of the column named `name`, nil for NULL.
    public subscript<T: DatabaseValueConvertible>(_ name: String) -> T? {
        get throws { try self[index(of: name)] }
    }

    private func index(of name: String) throws -> Int {
        guard let index = columnNames.firstIndex(of: name) else {
            throw DatabaseError(code: SQLITE_RANGE, message: "no column named \(name)")
        }
        return index
    }

    private func mismatch<T>(_ index: Int, expected: T.Type) -> DatabaseError {
        // Names the stored type, never the stored value: it may be a hash.
        let stored = switch values[index] {
        case .null: "NULL"
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
        let column = columnNames.indices.contains(index) ? columnNames[index] : "\(index)"
        return DatabaseError(code: SQLITE_MISMATCH, message: "column \(column) holds \(stored), expected \(T.self)")
    }
}
