import Crypto
import Foundation

/// One numbered SQL file from `Migrations/`: `NNNN_name.sql`, applied once, in order, and
/// remembered with the SHA-256 of its bytes so that an edited file is caught, not re-run.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Array(SHA256.hash(data: Data(sql.utf8))).hex
    }

    /// Reads every `*.sql` file in `directory`. A `.sql` file whose name is not `NNNN_name.sql`,
    /// two files with one number, or a gap in the numbers is an error: a typo must not be skipped.
    public static func load(directory: String) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError(code: .unreadable, message: "can not list \(directory): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let (version, name) = try parse(fileName: fileName)
            let path = (directory as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw MigrationError(code: .unreadable, message: "can not read \(path) as UTF-8")
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw MigrationError(
                code: .invalidSequence,
                message: "expected migration \(index + 1), found \(migration.version)_\(migration.name): numbers start at 1 with no gaps or repeats"
            )
        }
        return migrations
    }

    private static func parse(fileName: String) throws(MigrationError) -> (Int, String) {
        let stem = fileName.dropLast(".sql".count)
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0,
            !parts[1].isEmpty,
            parts[1].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else {
            throw MigrationError(
                code: .invalidFileName,
                message: "\(fileName) is not named NNNN_name.sql (four digits, then lowercase letters, digits and _)"
            )
        }
        return (version, String(parts[1]))
    }
}

public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unreadable, invalidFileName, invalidSequence, checksumMismatch, unknownApplied, failed
        }
        private let base: Base

        /// The directory or a file could not be read.
        public static let unreadable = Code(base: .unreadable)
        /// A `.sql` file is not named `NNNN_name.sql`.
        public static let invalidFileName = Code(base: .invalidFileName)
        /// The numbers do not run 1, 2, 3, … without gaps or repeats.
        public static let invalidSequence = Code(base: .invalidSequence)
        /// A file that was already applied has changed since.
        public static let checksumMismatch = Code(base: .checksumMismatch)
        /// The database has a migration this program does not know (it is newer than the program).
        public static let unknownApplied = Code(base: .unknownApplied)
        /// A migration's SQL failed; it was rolled back.
        public static let failed = Code(base: .failed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public var description: String { "migration \(code): \(message)" }
}
