import Crypto
import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitSegment
import RemitStorage

/// `remit export`: a range of a region's log, from one read-only snapshot, as sealed segments
/// in replication's format (`docs/segment-format.md`), the keys the log published
/// (`jwks.json`) and a manifest signed with the region's key (`docs/export-format.md`), so that
/// `remit verify --segments` can check it with no database and no network.
public enum LedgerExport {
    public struct ExportError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// How far the export is, in events.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64) -> Void

    /// Writes the export into `directory`, which must be new or empty; the manifest last, so
    /// an export cut short has none. Returns the manifest written.
    public static func export(
        _ pool: PostgresPool, to directory: String, from: Int64? = nil, through: Int64? = nil, segmentEventsMax: Int = Limits.segmentEventsMax,
        progress: @escaping Progress = { _, _ in }
    ) async throws -> ExportManifest {
        let files = FileManager.default
        if let existing = try? files.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw ExportError(description: "\(directory) is not empty: an export goes into a new or empty directory")
        }
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let region: String = try await pool.withConnection { try $0.query("SELECT region FROM region_state").first?.decode(0) }
            ?? { throw ExportError(description: "the region has not been claimed yet: there is no log to export") }()
        let key = try await SigningKeyStore(pool: pool, region: region).currentKeyIfAny()
        var manifest = try await pool.withConnection { connection -> ExportManifest in
            try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.query("ROLLBACK") }
            let row = try connection.query("SELECT head_position, (extract(epoch FROM now()) * 1000000)::int8 FROM region_state")[0]
            let head: Int64 = try row.decode(0), now: Int64 = try row.decode(1)
            let first = max(1, from ?? 1), last = min(through ?? head, head)
            guard first <= last else { throw ExportError(description: "nothing to export: the log holds positions 1–\(head)") }
            let previousHash: [UInt8] = first == 1
                ? LedgerFormat.genesisHash : try connection.query("SELECT hash FROM events WHERE position = $1", [first - 1])[0].decode(0)
            let keys = JWKSDocument(keys: try LedgerAuditor.publishedKeys(connection).map(\.publicJWK))
            try write(try JSONEncoder.sorted.encode(keys), to: directory + "/" + ExportManifest.keysFileName)

            var segments: [ExportManifest.SegmentFile] = []
            var pending: [RecordedEvent] = []
            var pendingBytes = 0
            var chained = previousHash
            func flush() throws {
                guard !pending.isEmpty else { return }
                let bytes = try Segment.encode(pending, previousHash: chained)
                let name = String(format: "segment-%012lld.rseg", pending[0].position)
                try write(Data(bytes), to: directory + "/" + name)
                segments.append(.init(
                    file: name, firstPosition: pending[0].position, lastPosition: pending.last!.position, bytes: Int64(bytes.count),
                    sha256: Array(SHA256.hash(data: bytes)).hex
                ))
                chained = pending.last!.hash
                pending.removeAll(keepingCapacity: true)
                pendingBytes = 0
            }
            var after = first - 1
            while after < last {
                let page = try connection.query(
                    "SELECT \(LedgerReader.eventColumns) FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3",
                    [after, last, Int64(Limits.verifyPageEvents)]
                ).map(LedgerReader.recordedEvent)
                guard let end = page.last?.position else { throw ExportError(description: "the log ends at \(after), before \(last)") }
                for event in page {
                    let recordBytes = Segment.recordBytesBound(event)
                    if pending.count == segmentEventsMax || pendingBytes + recordBytes > Limits.segmentBytesMax { try flush() }
                    pending.append(event)
                    pendingBytes += recordBytes
                }
                after = end
                progress(after - first + 1, last - first + 1)
            }
            try flush()
            return ExportManifest(
                region: region, fromPosition: first, throughPosition: last, previousHash: previousHash.hex, headHash: chained.hex,
                exportedAtMicroseconds: now, segments: segments
            )
        }
        if let key, let privateKey = key.privateKey { try manifest.sign(kid: key.kid, with: privateKey) }
        try write(try JSONEncoder.sorted.encode(manifest), to: directory + "/" + ExportManifest.fileName)
        return manifest
    }

    private static func write(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw ExportError(description: "can not write \(path)") }
    }
}

extension JSONEncoder {
    /// Sorted keys, indented: files an auditor reads.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
}
