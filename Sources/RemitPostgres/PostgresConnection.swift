import CLibPQ
import Foundation
import RemitCore

/// One libpq connection. Every call blocks the calling thread until the server answers, so
/// use connections through `PostgresPool`, which runs them on its own threads, never on an event
/// loop or Swift's cooperative pool.
///
/// `@unchecked Sendable`: libpq lets a `PGconn` move between threads as long as only one thread
/// uses it at a time. The pool guarantees that by lending a connection to one borrower at a time;
/// a connection used outside a pool must be confined to one task by its owner.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Connects with a libpq connection string or `postgresql://` URL.
    /// - Parameter applicationName: shown in `pg_stat_activity`, so an operator can tell our sessions apart.
    public init(url: String, applicationName: String = "remit") throws(PostgresError) {
        let settings: [(String, String)] = [
            ("dbname", url),  // expand_dbname = 1: a URL or conninfo string here overrides the rest
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
            ("connect_timeout", String(Limits.connectTimeoutSeconds)),
        ]
        let connection = withCStringArray(settings.map(\.0)) { keywords in
            withCStringArray(settings.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.errorMessage(connection)
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, message: message)
        }
        // NOTICEs (such as "relation already exists, skipping") would go to stderr; they are not errors.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
    }

    deinit {
        PQfinish(handle)
    }

    /// True while the connection is usable and not inside a transaction: what a pool checks
    /// before lending it again.
    public var isReusable: Bool {
        PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// The server's process id for this session (for `pg_terminate_backend` in tests and tooling).
    public var backendProcessID: Int32 { PQbackendPID(handle) }

    // MARK: Commands

    /// Runs one SQL statement with parameters bound as `$1`, `$2`, …; values never become SQL text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws(PostgresError) -> PostgresRows {
        let result = Self.withBoundParameters(parameters) { types, values, lengths, formats in
            PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        }
        return try consume(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs a script of several statements with no parameters (a migration file). libpq only
    /// allows several statements in one call without parameters, which is also why nothing here
    /// can carry a value.
    public func execute(script sql: String) throws(PostgresError) {
        _ = try consume(PQexec(handle, sql), expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY])
    }

    // MARK: Pipelines

    /// One statement of a pipeline.
    public struct Statement: Sendable {
        public var sql: String
        public var parameters: [any PostgresEncodable]
        public init(_ sql: String, _ parameters: [any PostgresEncodable] = []) {
            self.sql = sql
            self.parameters = parameters
        }
    }

    /// Sends every statement, then waits once for all their results (libpq's pipeline mode):
    /// one network round trip instead of one per statement. If a statement fails, the server
    /// skips the rest; the first error is thrown. Statements inside an explicit transaction
    /// leave it aborted on error: the caller rolls back (`rollBack()`).
    public func pipeline(_ statements: [Statement]) throws(PostgresError) -> [PostgresRows] {
        precondition(!statements.isEmpty, "an empty pipeline")
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(code: .unexpectedResult, message: Self.errorMessage(handle))
        }
        defer { PQexitPipelineMode(handle) }
        var sent = 0
        for statement in statements {
            let ok = Self.withBoundParameters(statement.parameters) { types, values, lengths, formats in
                PQsendQueryParams(handle, statement.sql, Int32(statement.parameters.count), types, values, lengths, formats, 1)
            }
            guard ok == 1 else { break }
            sent += 1
        }
        let syncSent = PQpipelineSync(handle) == 1
        var rows: [PostgresRows] = []
        var firstError: PostgresError?
        for _ in 0..<sent {
            do {
                rows.append(try consume(PQgetResult(handle), expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK]))
            } catch {
                firstError = firstError ?? error
            }
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        if syncSent, let sync = PQgetResult(handle) { PQclear(sync) }
        if sent < statements.count || !syncSent {
            throw firstError ?? PostgresError(code: .connectionLost, message: Self.errorMessage(handle))
        }
        if let firstError { throw firstError }
        return rows
    }

    /// Rolls back the open transaction, if any (for callers that manage BEGIN/COMMIT themselves).
    public func rollBack() {
        if PQtransactionStatus(handle) != PQTRANS_IDLE { rollBackQuietly() }
    }

    // MARK: Transactions

    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// A transaction that an earlier error aborted is reported as an error, never as a commit.
    @discardableResult
    public func withTransaction<T>(
        isolation: IsolationLevel = .readCommitted,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        precondition(PQtransactionStatus(handle) == PQTRANS_IDLE, "withTransaction does not nest")
        try query("BEGIN ISOLATION LEVEL " + isolation.rawValue)
        let value: T
        do {
            value = try body(self)
        } catch {
            rollBackQuietly()
            throw error
        }
        let commit = PQexec(handle, "COMMIT")
        let tag = commit.map { String(cString: PQcmdStatus($0)) }
        _ = try consume(commit, expecting: [PGRES_COMMAND_OK])
        // PostgreSQL answers COMMIT of an aborted transaction with the tag ROLLBACK and no error.
        guard tag == "COMMIT" else {
            throw PostgresError(code: .server, message: "the transaction was aborted by an earlier error and rolled back")
        }
        return value
    }

    private func rollBackQuietly() {
        // If this fails the connection is broken; isReusable then tells the pool to drop it.
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    // MARK: COPY

    /// Loads rows with `COPY table (columns) FROM STDIN` in binary format. Each row's values must
    /// match the columns' types exactly (an `Int64` for a `bigint` column). Returns rows loaded.
    /// Memory stays bounded by `Limits.copyBufferBytesMax` whatever the number of rows.
    @discardableResult
    public func copy<Rows: Sequence>(
        into table: String,
        columns: [String],
        rows: Rows
    ) throws(PostgresError) -> Int where Rows.Element == [any PostgresEncodable] {
        let statement = "COPY \(try quoteIdentifier(table)) ("
            + (try columns.map { (column) throws(PostgresError) in try quoteIdentifier(column) }).joined(separator: ", ")
            + ") FROM STDIN WITH (FORMAT binary)"
        _ = try consume(PQexec(handle, statement), expecting: [PGRES_COPY_IN])

        var buffer = PostgresCopyEncoder.header
        for row in rows {
            precondition(row.count == columns.count, "a COPY row has \(row.count) values for \(columns.count) columns")
            PostgresCopyEncoder.append(row, to: &buffer)
            if buffer.count >= Limits.copyBufferBytesMax {
                try sendCopyData(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        buffer += PostgresCopyEncoder.trailer
        try sendCopyData(buffer)
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw PostgresError(code: .connectionLost, message: Self.errorMessage(handle))
        }
        let rows = try consume(PQgetResult(handle), expecting: [PGRES_COMMAND_OK])
        drainResults()
        return rows.affectedRows
    }

    private func sendCopyData(_ bytes: [UInt8]) throws(PostgresError) {
        let sent = bytes.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else {
            let message = Self.errorMessage(handle)
            _ = PQputCopyEnd(handle, "remit: sending COPY data failed")
            drainResults()
            throw PostgresError(code: .connectionLost, message: message)
        }
    }

    /// Quotes an identifier with libpq's own escaping (identifiers are names, not values).
    public func quoteIdentifier(_ name: String) throws(PostgresError) -> String {
        guard let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError(code: .unexpectedResult, message: Self.errorMessage(handle))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: Results

    /// Turns a `PGresult` into rows or a typed error, and frees it on every path.
    private func consume(_ result: OpaquePointer?, expecting statuses: Set<UInt32>) throws(PostgresError) -> PostgresRows {
        guard let result else {
            throw PostgresError(
                code: PQstatus(handle) == CONNECTION_OK ? .unexpectedResult : .connectionLost,
                message: Self.errorMessage(handle)
            )
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard statuses.contains(status.rawValue) else {
            throw error(from: result, status: status)
        }
        return Self.rows(from: result)
    }

    private func consume(_ result: OpaquePointer?, expecting statuses: [ExecStatusType]) throws(PostgresError) -> PostgresRows {
        try consume(result, expecting: Set(statuses.map(\.rawValue)))
    }

    private func error(from result: OpaquePointer, status: ExecStatusType) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        if let sqlState = field("C") {
            return PostgresError(
                code: .server,
                message: field("M") ?? "",
                sqlState: SQLState(rawValue: sqlState),
                detail: field("D"),
                constraint: field("n")
            )
        }
        if PQstatus(handle) != CONNECTION_OK {
            return PostgresError(code: .connectionLost, message: Self.errorMessage(handle))
        }
        let message = String(cString: PQresultErrorMessage(result))
        return PostgresError(
            code: .unexpectedResult,
            message: message.isEmpty ? "unexpected result status \(String(cString: PQresStatus(status)))" : message
        )
    }

    /// Copies every cell out of the result into one buffer.
    private static func rows(from result: OpaquePointer) -> PostgresRows {
        let affected = Int(String(cString: PQcmdTuples(result)))
        // Only a row-returning result has named columns (a COPY result has counts, no names).
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            return PostgresRows(columns: [], affectedRows: affected ?? 0, storage: [], cells: [])
        }
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { column in
            let name: UnsafeMutablePointer<CChar>? = PQfname(result, Int32(column))
            return PostgresRows.Column(
                name: name.map { String(cString: $0) } ?? "",
                type: PostgresType(rawValue: PQftype(result, Int32(column)))
            )
        }
        var storage: [UInt8] = []
        var cells: [(start: Int, count: Int)] = []
        cells.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    cells.append((start: -1, count: 0))
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                let start = storage.count
                PQgetvalue(result, row, column).withMemoryRebound(to: UInt8.self, capacity: length) { value in
                    storage.append(contentsOf: UnsafeBufferPointer(start: value, count: length))
                }
                cells.append((start: start, count: length))
            }
        }
        return PostgresRows(columns: columns, affectedRows: affected ?? rowCount, storage: storage, cells: cells)
    }

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown libpq error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Lays the parameters out as libpq's four parallel arrays, all in binary format.
    private static func withBoundParameters<R>(
        _ parameters: [any PostgresEncodable],
        _ body: (
            UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        let types = parameters.map { type(of: $0).postgresType.rawValue }
        let encoded = parameters.map { $0.postgresBytes() }
        let lengths = encoded.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: parameters.count)
        // One buffer holds every value; each parameter points into it (NULL stays a nil pointer).
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        for value in encoded {
            guard let value else { offsets.append(nil); continue }
            offsets.append(buffer.count)
            buffer += value
        }
        buffer.append(0)  // never an empty allocation, so baseAddress is never nil
        return buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                    offset.map { chars.baseAddress! + $0 }
                }
                return body(types, pointers, lengths, formats)
            }
        }
    }
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
