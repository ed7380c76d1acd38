import Crypto
import Foundation
import RemitCore
import RemitDomain

/// `remit verify --segments`: an export checked with no database and no network. Each file
/// against the manifest's SHA-256, each segment decoded as a reader decodes one, its events
/// through `LogAudit` (positions, chain, epochs, checkpoints) from the manifest's previous hash
/// to its head hash, the manifest's signature, and the checkpoints an auditor kept. Pure: the
/// files come through `read`.
public enum ExportAudit {
    public struct Report: Codable, Sendable, Equatable {
        public var region = ""
        public var fromPosition: Int64 = 0
        public var throughPosition: Int64 = 0
        public var segments = 0
        public var events: Int64 = 0
        public var headHash = ""
        public var epochsOpened: [Int64] = []
        public var checkpointsVerified: Int64 = 0
        public var checkpointsUnchecked: Int64 = 0
        /// The manifest's signature verified with the key it names.
        public var manifestSigned = false
        public var keptCheckpointsHeld: Int64 = 0
        public var keptCheckpointsCutOff: Int64 = 0
        /// Kept checkpoints of positions the export does not cover.
        public var keptCheckpointsOutside: Int64 = 0
        public var finding: LogAudit.Finding?
        public var ok: Bool { finding == nil }
    }

    public static func audit(
        _ manifest: ExportManifest, keys: [String: P256.Signing.PublicKey], kept: [LedgerCheckpoint] = [],
        read: (String) throws -> [UInt8]
    ) -> Report {
        var report = Report()
        (report.region, report.fromPosition, report.throughPosition) = (manifest.region, manifest.fromPosition, manifest.throughPosition)
        func found(_ position: Int64, _ reason: String) -> Report {
            report.finding = LogAudit.Finding(position: position, reason: reason)
            return report
        }
        guard manifest.format == ExportManifest.formatName else { return found(0, "the manifest's format is \(manifest.format), not \(ExportManifest.formatName)") }
        guard manifest.fromPosition >= 1, manifest.fromPosition <= manifest.throughPosition,
            let previous = [UInt8](hex: manifest.previousHash), previous.count == LedgerFormat.hashBytes
        else { return found(manifest.fromPosition, "the manifest's range or previous hash is malformed") }
        // The signature first: an export whose manifest was altered is not worth reading.
        if let kid = manifest.kid {
            guard let key = keys[kid] else { return found(0, "the manifest is signed with key \(kid), which is not among the keys to check it with") }
            guard manifest.isSigned(by: key) else { return found(0, "the manifest's signature is not key \(kid)'s: the manifest was altered") }
            report.manifestSigned = true
        }
        let wanted = Set(kept.map(\.position))
        var hashes: [Int64: String] = [:]
        var log = LogAudit(after: LogHead(position: manifest.fromPosition - 1, hash: previous, epoch: 0), checkpointKeys: keys)
        var epochKnown = manifest.fromPosition == 1
        for file in manifest.segments {
            guard !file.file.contains("/"), file.file != ".." else { return found(file.firstPosition, "segment file name \(file.file) leaves the export") }
            let bytes: [UInt8]
            do {
                bytes = try read(file.file)
            } catch {
                return found(file.firstPosition, "\(file.file) can not be read: \(error)")
            }
            guard Array(SHA256.hash(data: bytes)).hex == file.sha256 else {
                return found(file.firstPosition, "\(file.file) is not the file the manifest lists (its SHA-256 differs)")
            }
            let segment: Segment
            do {
                segment = try Segment.decode(bytes)
            } catch {
                return found(file.firstPosition, "\(file.file): \(error.description)")
            }
            guard segment.header.firstPosition == file.firstPosition, segment.header.lastPosition == file.lastPosition,
                segment.header.firstPosition == log.head.position + 1
            else { return found(segment.header.firstPosition, "\(file.file) holds positions \(segment.header.firstPosition)–\(segment.header.lastPosition), after \(log.head.position)") }
            guard segment.header.previousHash == log.head.hash else {
                return found(segment.header.firstPosition, "\(file.file) does not follow the hash of position \(log.head.position)")
            }
            if !epochKnown, let first = segment.records.first {
                // A range export starts mid-log: its first event's epoch is taken as given.
                log = LogAudit(after: LogHead(position: log.head.position, hash: log.head.hash, epoch: first.epoch), checkpointKeys: keys)
                epochKnown = true
            }
            var hash = log.head.hash
            for fields in segment.records {
                let event = fields.recorded(after: hash)
                if let finding = log.check(event) { return found(finding.position, "\(file.file): \(finding.reason)") }
                if wanted.contains(event.position) { hashes[event.position] = event.hash.hex }
                hash = event.hash
            }
            guard hash == segment.header.lastHash else {
                return found(segment.header.lastPosition, "\(file.file): its events do not hash to the last hash its header names")
            }
            report.segments += 1
        }
        report.events = log.eventCount
        report.headHash = log.head.hash.hex
        report.epochsOpened = log.epochsOpened.map(\.epoch)
        report.checkpointsVerified = log.checkpointsVerified
        report.checkpointsUnchecked = log.checkpointsUnchecked
        guard log.head.position == manifest.throughPosition, log.head.hash.hex == manifest.headHash else {
            return found(log.head.position, "the segments end at position \(log.head.position), hash \(log.head.hash.hex); the manifest says \(manifest.throughPosition), \(manifest.headHash)")
        }
        for checkpoint in kept.sorted(by: { $0.position < $1.position }) {
            guard let key = keys[checkpoint.kid] else {
                return found(checkpoint.position, "the kept checkpoint is signed with key \(checkpoint.kid), which is not among the keys to check it with")
            }
            guard checkpoint.isSigned(by: key) else {
                return found(checkpoint.position, "the kept checkpoint's signature is not key \(checkpoint.kid)'s: it is not what \(checkpoint.region) signed")
            }
            guard (manifest.fromPosition...manifest.throughPosition).contains(checkpoint.position) else {
                report.keptCheckpointsOutside += 1
                continue
            }
            if hashes[checkpoint.position] == checkpoint.hash {
                report.keptCheckpointsHeld += 1
            } else if log.epochsOpened.contains(where: { $0.epoch > checkpoint.epoch && $0.afterPosition < checkpoint.position }) {
                report.keptCheckpointsCutOff += 1
            } else {
                return found(checkpoint.position, "the export holds another hash here than the \(checkpoint.hash) \(checkpoint.region) signed: history was rewritten")
            }
        }
        return report
    }
}
