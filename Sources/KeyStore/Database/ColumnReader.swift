import FoundationEssentials

/// Typed reads of one result row's columns: from a `Row` copied out of its statement, or straight
/// from a `Statement` on a hot query. Each record type has one decoder written against this, so a
/// record reads the same whichever way its row arrived.
protocol ColumnReader {
    func int64(_ column: Int32) throws -> Int64
    func optionalInt64(_ column: Int32) throws -> Int64?
    func text(_ column: Int32) throws -> String
    func optionalText(_ column: Int32) throws -> String?
    func isNull(_ column: Int32) -> Bool
}

extension ColumnReader {
    /// A column of Unix seconds, nil for NULL.
    func optionalDate(_ column: Int32) throws -> Date? {
        try optionalInt64(column).map(Date.init(unixSeconds:))
    }
}

extension Statement: ColumnReader {}

extension Row: ColumnReader {
    func int64(_ column: Int32) throws -> Int64 { try self[Int(column)] }
    func optionalInt64(_ column: Int32) throws -> Int64? { try self[Int(column)] }
    func text(_ column: Int32) throws -> String { try self[Int(column)] }
    func optionalText(_ column: Int32) throws -> String? { try self[Int(column)] }
    func isNull(_ column: Int32) -> Bool { values.indices.contains(Int(column)) && values[Int(column)] == .null }
}

extension [String] {
    /// Column names as a select list, each qualified with `alias` when given (`k.id, k.name, …`).
    func selectList(table alias: String? = nil) -> String {
        map { column in alias.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }
}
