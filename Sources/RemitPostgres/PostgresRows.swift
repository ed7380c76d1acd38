/// The rows a command returned, copied out of libpq's `PGresult` (which is freed at once),
/// so a `PostgresRows` is a plain value that outlives its connection. Cells live in one buffer.
public struct PostgresRows: Sendable {
    public struct Column: Sendable, Hashable {
        public let name: String
        public let type: PostgresType
    }

    public let columns: [Column]
    /// Rows touched by INSERT/UPDATE/DELETE/COPY (libpq's `PQcmdTuples`), or rows returned by SELECT.
    public let affectedRows: Int
    let storage: [UInt8]
    /// For every cell, row by row: its start in `storage`, or -1 for NULL, and its length.
    let cells: [(start: Int, count: Int)]

    public var count: Int { columns.isEmpty ? 0 : cells.count / columns.count }
    public var isEmpty: Bool { count == 0 }

    public subscript(row: Int) -> PostgresRow {
        precondition(row >= 0 && row < count, "row \(row) out of range 0..<\(count)")
        return PostgresRow(rows: self, row: row)
    }

    func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

extension PostgresRows: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
}

/// One row of a result. Columns are read by position or name, as a `PostgresDecodable` type.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let row: Int

    /// Reads column `column`; NULL is a decoding error here (use the optional overload to allow it).
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let value = try decode(column, as: Optional<T>.self) else {
            throw PostgresError(code: .decoding, message: "column \(rows.columns[column].name) is NULL, expected \(T.self)")
        }
        return value
    }

    /// Reads column `column`, giving `nil` for NULL.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T?.Type) throws(PostgresError) -> T? {
        precondition(column >= 0 && column < rows.columns.count, "column \(column) out of range")
        let cell = rows.cells[row * rows.columns.count + column]
        if cell.start < 0 { return nil }
        return try T(
            postgresBytes: rows.storage[cell.start..<cell.start + cell.count],
            type: rows.columns[column].type
        )
    }

    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        try decode(try index(of: name), as: type)
    }

    public func decode<T: PostgresDecodable>(_ name: String, as type: T?.Type) throws(PostgresError) -> T? {
        try decode(try index(of: name), as: type)
    }

    private func index(of name: String) throws(PostgresError) -> Int {
        guard let index = rows.columnIndex(named: name) else {
            throw PostgresError(code: .decoding, message: "no column named \(name) in the result")
        }
        return index
    }
}
