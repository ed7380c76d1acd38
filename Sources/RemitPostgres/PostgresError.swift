/// Every failure of the PostgreSQL layer, with a code that says what kind of failure it was and,
/// for errors the server reported, its SQLSTATE and message. Modelled on postgres-nio's `PSQLError`.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; compare with `==` against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed
            case connectionLost
            case server
            case unexpectedResult
            case decoding
            case poolTimeout
            case poolExhausted
            case poolClosed
        }

        private let base: Base

        /// The server could not be reached or refused the connection.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection broke while a command was running.
        public static let connectionLost = Code(base: .connectionLost)
        /// The server executed the command and reported an error; see `sqlState`.
        public static let server = Code(base: .server)
        /// libpq returned a result of a kind the command can not produce (a programming error).
        public static let unexpectedResult = Code(base: .unexpectedResult)
        /// A column could not be decoded as the requested Swift type.
        public static let decoding = Code(base: .decoding)
        /// No connection became free within the pool's acquire timeout.
        public static let poolTimeout = Code(base: .poolTimeout)
        /// Too many callers were already waiting for a connection.
        public static let poolExhausted = Code(base: .poolExhausted)
        /// The pool was closed.
        public static let poolClosed = Code(base: .poolClosed)

        public var description: String { base.rawValue }

        /// Every code, for figures that count errors by code.
        public static let all: [Code] = [
            .connectionFailed, .connectionLost, .server, .unexpectedResult, .decoding, .poolTimeout, .poolExhausted, .poolClosed,
        ]
    }

    public let code: Code
    /// The five-character SQLSTATE the server reported, for `.server` errors.
    public let sqlState: SQLState?
    /// The server's primary message, or ours for errors that did not come from the server.
    /// Never holds parameter values or connection passwords.
    public let message: String
    /// The server's detail line, when it gave one.
    public let detail: String?
    /// The constraint the server named (for integrity violations), when it gave one.
    public let constraint: String?

    public init(
        code: Code,
        message: String,
        sqlState: SQLState? = nil,
        detail: String? = nil,
        constraint: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        var text = "PostgreSQL \(code)"
        if let sqlState { text += " \(sqlState.rawValue)" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }
}

/// A SQLSTATE error code (PostgreSQL manual, appendix A). Only the ones Remit checks are named.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let syntaxError = SQLState(rawValue: "42601")
    /// Cancelled, for instance by `statement_timeout`.
    public static let queryCanceled = SQLState(rawValue: "57014")

    /// Class 23: the command broke an integrity constraint.
    public var isIntegrityViolation: Bool { rawValue.hasPrefix("23") }

    public var description: String { rawValue }
}
