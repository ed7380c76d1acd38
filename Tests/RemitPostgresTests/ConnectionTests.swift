import Foundation
import RemitTestSupport
import Testing
@testable import RemitPostgres

@Suite("libpq connection")
struct ConnectionTests {
    /// Binds `value` as `$1`, selects it back, and decodes it as the same type.
    private func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(
        _ value: T, on connection: PostgresConnection
    ) throws -> T {
        try connection.query("SELECT $1", [value])[0].decode(0, as: T.self)
    }

    @Test("every supported type round-trips as a parameter and a column")
    func typesRoundTrip() async throws {
        try await withFreshPool { pool, _ in
            try await pool.withConnection { connection in
                for value in [true, false] { #expect(try roundTrip(value, on: connection) == value) }
                for value in [Int16.min, -1, 0, Int16.max] { #expect(try roundTrip(value, on: connection) == value) }
                for value in [Int32.min, -1, 0, Int32.max] { #expect(try roundTrip(value, on: connection) == value) }
                for value in [Int64.min, -1, 0, 1, Int64.max] { #expect(try roundTrip(value, on: connection) == value) }
                for value in [Int.min, 42, Int.max] { #expect(try roundTrip(value, on: connection) == value) }
                for value in ["", "plain", "Grüße, 汇款, 💸", "quote ' and \\ backslash", String(repeating: "x", count: 100_000)] {
                    #expect(try roundTrip(value, on: connection) == value)
                }
                for value: [UInt8] in [[], [0], [0, 0xFF, 0x5C, 0x27], Array(0...255)] {
                    #expect(try roundTrip(value, on: connection) == value)
                }
                let id = UUID()
                #expect(try roundTrip(id, on: connection) == id)
                // timestamptz keeps microseconds.
                for seconds in [0.0, 817_000_000.123456, -3_000_000_000.5] {
                    let date = Date(timeIntervalSince1970: seconds)
                    let back = try roundTrip(date, on: connection)
                    #expect(abs(back.timeIntervalSince1970 - seconds) < 0.000_001)
                }
                let json = JSONB(#"{"a": [1, 2, {"b": null}]}"#)
                #expect(try roundTrip(json, on: connection).text == #"{"a": [1, 2, {"b": null}]}"#)

                let null: String? = nil
                let row = try connection.query("SELECT $1, $2::int8", [null, Optional<Int64>.none])[0]
                #expect(try row.decode(0, as: String?.self) == nil)
                #expect(try row.decode(1, as: Int64?.self) == nil)
            }
        }
    }

    @Test("values round-trip through a table, read by column name")
    func tableRoundTrip() async throws {
        try await withFreshPool { pool, _ in
            try await pool.withConnection { connection in
                try connection.execute(script: """
                    CREATE TABLE t (id uuid PRIMARY KEY, amount bigint NOT NULL, note text, raw bytea, at timestamptz, ok boolean);
                    """)
                let id = UUID()
                let at = Date(timeIntervalSince1970: 1_800_000_000.25)
                try connection.query(
                    "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)",
                    [id, Int64(12_345), Optional<String>.none, [UInt8]([1, 2, 3]), at, true]
                )
                let row = try connection.query("SELECT * FROM t")[0]
                #expect(try row.decode("id", as: UUID.self) == id)
                #expect(try row.decode("amount", as: Int64.self) == 12_345)
                #expect(try row.decode("note", as: String?.self) == nil)
                #expect(try row.decode("raw", as: [UInt8].self) == [1, 2, 3])
                #expect(try row.decode("at", as: Date.self) == at)
                #expect(try row.decode("ok", as: Bool.self))
            }
        }
    }

    @Test("a syntax error is a typed server error with its SQLSTATE")
    func syntaxError() async throws {
        try await withFreshPool { pool, _ in
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELEC 1") }
            }
            #expect(error.code == .server)
            #expect(error.sqlState == .syntaxError)
            #expect(error.message.contains("syntax error"))
        }
    }

    @Test("a unique violation is a typed error naming the constraint")
    func uniqueViolation() async throws {
        try await withFreshPool { pool, _ in
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.execute(script: "CREATE TABLE u (key text CONSTRAINT u_key UNIQUE)")
                    try connection.query("INSERT INTO u VALUES ($1)", ["same"])
                    try connection.query("INSERT INTO u VALUES ($1)", ["same"])
                }
            }
            #expect(error.code == .server)
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.sqlState?.isIntegrityViolation == true)
            #expect(error.constraint == "u_key")
        }
    }

    @Test("reading a column as the wrong type is a decoding error, not garbage")
    func wrongType() async throws {
        try await withFreshPool { pool, _ in
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT 'text'::text")[0].decode(0, as: Int64.self) }
            }
            #expect(error.code == .decoding)
            let nullError = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT NULL::int8")[0].decode(0, as: Int64.self) }
            }
            #expect(nullError.code == .decoding)
        }
    }

    @Test("a transaction rolls back when its body throws, and commits when it returns")
    func transactions() async throws {
        struct Abort: Error {}
        try await withFreshPool { pool, _ in
            try await pool.withConnection { try $0.execute(script: "CREATE TABLE tx (n int8)") }
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try connection.query("INSERT INTO tx VALUES ($1)", [Int64(1)])
                    throw Abort()
                }
            }
            try await pool.withTransaction { try $0.query("INSERT INTO tx VALUES ($1)", [Int64(2)]) }
            let values = try await pool.withConnection { connection in
                try connection.query("SELECT n FROM tx ORDER BY n").map { try $0.decode(0, as: Int64.self) }
            }
            #expect(values == [2])
        }
    }

    @Test("a transaction whose body swallowed a server error does not report a commit")
    func abortedTransactionIsNotACommit() async throws {
        try await withFreshPool { pool, _ in
            try await pool.withConnection { try $0.execute(script: "CREATE TABLE tx (n int8 CHECK (n > 0))") }
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withTransaction { connection in
                    try connection.query("INSERT INTO tx VALUES ($1)", [Int64(5)])
                    _ = try? connection.query("INSERT INTO tx VALUES ($1)", [Int64(-1)])
                }
            }
            #expect(error.message.contains("rolled back"))
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM tx")[0].decode(0, as: Int64.self) }
            #expect(count == 0)
        }
    }

    @Test("COPY loads rows of every type, NULLs included, with bounded buffering")
    func copyLoadsRows() async throws {
        try await withFreshPool { pool, _ in
            let loaded = try await pool.withConnection { connection in
                try connection.execute(script: "CREATE TABLE c (n bigint, label text, raw bytea, id uuid, flag boolean)")
                let rows = (1...20_000).lazy.map { (n: Int) -> [any PostgresEncodable] in
                    let label: String? = n % 10 == 0 ? nil : "row \(n)\t\n\\"
                    let raw = [UInt8](repeating: UInt8(n % 256), count: 20)
                    return [Int64(n), label, raw, UUID(), n % 2 == 0]
                }
                return try connection.copy(into: "c", columns: ["n", "label", "raw", "id", "flag"], rows: rows)
            }
            #expect(loaded == 20_000)
            let summary = try await pool.withConnection { connection in
                let row = try connection.query(
                    "SELECT sum(n)::int8, count(label), count(*) FILTER (WHERE flag), max(label) FILTER (WHERE n = 7), sum(octet_length(raw))::int8 FROM c"
                )[0]
                return (try row.decode(0, as: Int64.self), try row.decode(1, as: Int64.self), try row.decode(2, as: Int64.self),
                        try row.decode(3, as: String.self), try row.decode(4, as: Int64.self))
            }
            #expect(summary.0 == 20_000 * 20_001 / 2)
            #expect(summary.1 == 18_000)
            #expect(summary.2 == 10_000)
            #expect(summary.3 == "row 7\t\n\\")
            #expect(summary.4 == 400_000)
        }
    }

    @Test("a COPY row of the wrong type is a server error and loads nothing")
    func copyWrongType() async throws {
        try await withFreshPool { pool, _ in
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.execute(script: "CREATE TABLE c (n int4)")
                    try connection.copy(into: "c", columns: ["n"], rows: [[Int64(1)] as [any PostgresEncodable]])
                }
            }
            #expect(error.code == .server)
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM c")[0].decode(0, as: Int64.self) }
            #expect(count == 0)
        }
    }

    @Test("a pipeline answers every statement in one round trip; a failure skips the rest")
    func pipeline() async throws {
        try await withFreshPool { pool, _ in
            try await pool.withConnection { connection in
                try connection.execute(script: "CREATE TABLE p (n int8 PRIMARY KEY)")
                let rows = try connection.pipeline([
                    .init("INSERT INTO p VALUES ($1)", [Int64(1)]),
                    .init("SELECT n FROM p"),
                    .init("SELECT $1::text", ["two"]),
                ])
                #expect(rows.count == 3)
                #expect(try rows[1][0].decode(0, as: Int64.self) == 1)
                #expect(try rows[2][0].decode(0, as: String.self) == "two")
                let error = #expect(throws: PostgresError.self) {
                    try connection.pipeline([
                        .init("BEGIN"),
                        .init("INSERT INTO p VALUES ($1)", [Int64(2)]),
                        .init("INSERT INTO p VALUES ($1)", [Int64(1)]),
                        .init("INSERT INTO p VALUES ($1)", [Int64(3)]),
                        .init("COMMIT"),
                    ])
                }
                #expect(error?.sqlState == .uniqueViolation)
                connection.rollBack()
                #expect(connection.isReusable)
                #expect(try connection.query("SELECT count(*) FROM p")[0].decode(0, as: Int64.self) == 1)
            }
        }
    }

    @Test("array parameters carry NULLs, bytes and the empty array")
    func arrays() async throws {
        try await withFreshPool { pool, _ in
            try await pool.withConnection { connection in
                let texts: [String?] = ["a", nil, "c"]
                let row = try connection.query(
                    "SELECT array_length($1, 1), $1[2] IS NULL, cardinality($2), $3[2], cardinality($4)",
                    [PostgresArray(texts), PostgresArray([[UInt8]([1, 2]), [3]]), PostgresArray([Int64(5), 6]), PostgresArray([UUID]())]
                )[0]
                #expect(try row.decode(0, as: Int32.self) == 3)
                #expect(try row.decode(1, as: Bool.self))
                #expect(try row.decode(2, as: Int32.self) == 2)
                #expect(try row.decode(3, as: Int64.self) == 6)
                #expect(try row.decode(4, as: Int32.self) == 0)
            }
        }
    }

    @Test("a refused connection is a typed error that does not echo the password")
    func connectionFailure() async throws {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://remit:sekrit-password@127.0.0.1:1/remit?connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("sekrit-password") == false)
    }
}
